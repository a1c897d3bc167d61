"""Overlay Studio: the router. Pages live in pages/; logic in studio/ and overlay_core/."""

from pathlib import Path

import streamlit as st

from studio import memory, restore, state
from studio.guard import guarded
from studio.ui import sidebar

# A local icon: ":material/…" page icons make every page load fetch the favicon from a CDN.
ICON = str(Path(__file__).parent / "studio" / "icon.png")
st.set_page_config(page_title="Overlay Studio", page_icon=ICON, layout="wide")
memory.start_janitor()  # closed sessions' files freed within server.disconnectedSessionTTL
memory.prepare_process()  # once per process, before any session holds a file (see studio/memory.py)
state.init(st.session_state)
restore.keep_on_reload()  # a reload of the tab brings its files and edits back (studio/restore.py)

page = st.navigation([
    st.Page("pages/open.py", title="Open", url_path="", default=True, icon=":material/folder_open:"),
    st.Page("pages/inspect.py", title="Inspect", url_path="inspect", icon=":material/visibility:"),
    st.Page("pages/edit.py", title="Edit", url_path="edit", icon=":material/draw:"),
    st.Page("pages/export.py", title="Export", url_path="export", icon=":material/download:"),
])
with guarded("the sidebar"):
    sidebar()
with guarded("this page"):  # an unexpected error: one sentence here, the traceback in the server log
    page.run()
