"""Small UI pieces shared by the pages: the sidebar and the "no file yet" guard."""

from __future__ import annotations

import streamlit as st

from overlay_core.model import Severity
from studio import state
from studio.series import sidebar_series
from studio.state import LoadedFile
from studio.text import plain

__all__ = ["SESSION_NOTE", "require_active", "severity_icon", "sidebar"]

SESSION_NOTE = (
    "Files stay in this server's memory for this browser session only: nothing is saved "
    "to disk or shared with other users, and closing the tab discards them. "
    "Download your edits before you leave."
)

_ICONS = {Severity.ERROR: "🛑", Severity.WARNING: "⚠️", Severity.INFO: "ℹ️"}


def severity_icon(severity: Severity) -> str:
    """Return an emoji for a finding's severity."""
    return _ICONS.get(severity, "")


def sidebar() -> None:
    """Draw the sidebar: the active file, its planes, and the session note."""
    with st.sidebar:
        entry = state.active(st.session_state)
        if entry is None:
            st.caption("No file open yet.")
        else:
            st.markdown(f"**Active file**  \n{plain(entry.name)}")
            planes = entry.planes()
            if planes:
                st.markdown("\n".join(
                    f"- `{p.group_hex}` {p.type.value} {p.rows}×{p.columns}"
                    f"{' (embedded)' if p.embedded else ''}{' — ' + plain(p.label) if p.label else ''}"
                    for p in planes
                ))
            else:
                st.caption("No overlay planes.")
            sidebar_series()  # the active file's series, unsaved instances marked
        st.caption(SESSION_NOTE)


def require_active() -> LoadedFile:
    """Return the active file, or tell the user to open one and stop the page."""
    entry = state.active(st.session_state)
    if entry is None:
        st.info("Open a DICOM file first.")
        st.page_link("pages/open.py", label="Open a file", icon=":material/folder_open:")
        st.stop()
    return entry
