"""The widgets that change the config: the station grid (line_editor.py), each station's and the
line's forms (station_forms.py), the lever cards and the investment frame (levers_panel.py), and the
input widgets they share (widgets.py). Each starts from the config as loaded and returns it with the
user's edits; twin validates the result."""
