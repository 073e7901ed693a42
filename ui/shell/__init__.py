"""The app's frame: one pass of the page (page.py, run by ui/app.py), the session's state and the study
it loaded (state.py), the sidebar (sidebar.py), the page's own style for narrow screens (layout.py)
and the progress panel of the runs this session waits for (progress.py). It draws the editing tabs,
validates the setting, starts its run and hands a `ui.views.context.Context` to every page."""
