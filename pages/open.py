"""Open: upload DICOM files or the bundled sample; choose the active file; remove files."""

import streamlit as st
from streamlit.runtime.uploaded_file_manager import UploadedFile

from studio import memory, state
from studio.guard import guarded
from studio.pacs import sections as pacs
from studio.text import plain
from studio.ui import severity_icon

st.title("Open")  # the session note (files stay in memory for this session) is in the sidebar


def _ingest(uploads: list[UploadedFile] | None) -> None:
    # The session keeps its own dataset; Streamlit's copy of each upload goes at once, and
    # nothing on this page keeps the uploads (a page's globals outlive its run). Guarded
    # here too: as an on_change callback it runs outside the page's guard.
    with guarded("opening the uploaded files"):
        state.ingest_uploads(st.session_state, uploads)
        memory.release_uploads(uploads or [])


# on_change runs before the page, so the sidebar already shows the new active file; the
# call around the widget takes what the callback did not (files already seen are skipped).
_ingest(st.file_uploader(
    "DICOM files (any extension)", type=None, accept_multiple_files=True, key="upload",
    on_change=lambda: _ingest(st.session_state.get("upload")),
    help="Select one or more DICOM files. The newest file you open becomes the active one.",
))

st.button("Open the bundled sample", key="open.sample", icon=":material/science:",
          on_click=state.add_sample, args=(st.session_state,))
pacs.open_section()  # "From PACS": only when the operator configured a PACS (DICOMweb or DIMSE)

entries = state.files(st.session_state)
if not entries:
    st.info("No file open yet: upload a DICOM file or open the bundled sample.")
    st.stop()

st.subheader("Files in this session")
current = state.active(st.session_state)
for entry in reversed(entries):
    with st.container(border=True, key=f"open.file.{entry.id}"):
        name_col, status_col, buttons_col = st.columns([3, 4, 2], vertical_alignment="center")
        is_active = current is not None and current.id == entry.id
        name_col.markdown(f"**{plain(entry.name)}**" + ("  \n:green-badge[active]" if is_active else ""))
        if entry.error:
            status_col.error(plain(entry.error), icon=":material/error:")
        else:
            planes = entry.planes()
            findings = entry.findings()
            worst = sorted({f.severity for f in findings}, key=["error", "warning", "info"].index)
            status_col.markdown(
                f"{len(planes)} plane{'s' if len(planes) != 1 else ''} · "
                f"{len(findings)} diagnostic{'s' if len(findings) != 1 else ''} "
                + " ".join(severity_icon(s) for s in worst)
            )
        with buttons_col:
            if entry.ok and not is_active:
                st.button("Make active", key=f"open.activate.{entry.id}",
                          on_click=state.activate, args=(st.session_state, entry.id))
            st.button("Remove", key=f"open.remove.{entry.id}",
                      on_click=state.remove, args=(st.session_state, entry.id))
