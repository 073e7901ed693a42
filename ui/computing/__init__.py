"""What the app computes, without Streamlit: background jobs and the server's result store
(jobs.py), the runs of a setting, its attribution and the guided tour (results.py), where a run
stands and how the page words it (progress.py), and the phase timings (timing.py). A worker process
and the HTML report import these without the UI (tests/test_ui_layers.py checks)."""
