"""Overlay Studio: the router. Pages live in pages/; logic in studio/ and overlay_core/."""

import streamlit as st

from studio import state
from studio.ui import sidebar

st.set_page_config(page_title="Overlay Studio", page_icon=":material/layers:", layout="wide")
state.init(st.session_state)

page = st.navigation([
    st.Page("pages/open.py", title="Open", url_path="", default=True, icon=":material/folder_open:"),
    st.Page("pages/inspect.py", title="Inspect", url_path="inspect", icon=":material/visibility:"),
    st.Page("pages/edit.py", title="Edit", url_path="edit", icon=":material/draw:"),
    st.Page("pages/export.py", title="Export", url_path="export", icon=":material/download:"),
])
sidebar()
page.run()
