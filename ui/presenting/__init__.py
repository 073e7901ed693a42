"""What the app says and draws, without Streamlit: KPI card and table content (kpis.py), the Plotly
charts (charts.py), the line diagram (diagram.py), the guided tour's narrative (narrative.py), the
self-contained HTML report (report.py), the levers' documentation (docs.py), durations in words
(units.py) and the escaping of every user-written text for the place it is shown in (escape.py).
Numbers in, text and figures out (tests/test_ui_layers.py checks that Streamlit stays out)."""
