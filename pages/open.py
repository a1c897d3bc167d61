"""Open: upload DICOM files or the bundled sample; choose the active file; remove files."""

import streamlit as st
from streamlit.runtime.uploaded_file_manager import UploadedFile

from studio import budget, formats, memory, state
from studio.first_screen import active_card, file_list, sample_open, upload_style
from studio.guard import guarded
from studio.pacs import sections as pacs

st.title("Open")  # the session note (files stay in memory for this session) is in the sidebar
active_card(state.active(st.session_state))  # the active file's picture and what to do next
upload_style()  # a refused upload says why on its chip, not only on hover


def _ingest(uploads: list[UploadedFile] | None) -> None:
    # The session keeps its own dataset; Streamlit's copy of each upload goes at once, and
    # nothing on this page keeps the uploads (a page's globals outlive its run). Guarded
    # here too: as an on_change callback it runs outside the page's guard.
    with guarded("opening the uploaded files"):
        formats.hold_masks(st.session_state, uploads)  # NIfTI masks: kept to import, not opened
        state.ingest_uploads(st.session_state, uploads)
        memory.release_uploads(uploads or [])


# on_change runs before the page, so the sidebar already shows the new active file; the
# call around the widget takes what the callback did not (files already seen are skipped).
_ingest(st.file_uploader(
    f"DICOM files (any extension), up to {budget.upload_limit_mb()} MB each", type=None,
    accept_multiple_files=True, key="upload",
    max_upload_size=budget.upload_limit_mb(),  # the one limit, stated in the label, enforced as files arrive
    on_change=lambda: _ingest(st.session_state.get("upload")),
    help="Select one or more DICOM files. The newest file you open becomes the active one.",
))

if not sample_open(st.session_state):  # once open, the card above shows it
    st.button("Open the bundled sample", key="open.sample", icon=":material/science:",
              on_click=state.add_sample, args=(st.session_state,))
pacs.open_section()  # "From PACS": only when the operator configured a PACS (DICOMweb or DIMSE)

entries = state.files(st.session_state)
if not entries:
    st.info("No file open yet: upload a DICOM file or open the bundled sample.")
    st.stop()

formats.import_section()  # an RTSTRUCT, SEG or NIfTI mask opened with its images: import as planes

file_list(st.session_state)  # one line per file, details on demand
