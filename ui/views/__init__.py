"""The Streamlit pages of the app, one module per tab.

- `line` and `levers` are the editing tabs (the setting is built from them, see ui/editing/);
- `compare` (with `line_results`, the results of a line alone) and `trainer` show the results;
- `context.Context` is what every result page is given; `registry.PAGES` lists them in tab order.

Adding a page is one module and one registry entry:

    # ui/views/explore.py
    import streamlit as st
    from ui.views.context import Context

    def show(ctx: Context) -> None:
        if ctx.shown is None:
            st.info(f"No results yet. {ctx.status.sentence()}")
            return
        ...

    # ui/views/registry.py
    PAGES = (..., Page(":material/explore: Explore", "explore"))  # its label, its module's name

The registry imports no page: a page's module is imported when its tab is first drawn.

A page draws with Streamlit; what it computes goes in ui/computing/ and what it says or plots in
ui/presenting/ (neither imports Streamlit, tests/test_ui_layers.py checks)."""
