"""Export: what changed, then the checked file, all files as a zip, and plane PNGs."""

import streamlit as st

from overlay_core.edit import operations
from overlay_core.errors import OverlayError
from overlay_core.planes.changes import ChangeKind, plane_changes
from studio import state
from studio.export import checked_bytes, download_name, zip_files
from studio.interop import export_section
from studio.pacs import sections as pacs
from studio.text import plain
from studio.ui import require_active

st.title("Export")
entry = require_active()

st.subheader(f"What changed in {plain(entry.name)}")
changes = plane_changes(entry.original, entry.dataset)
if not changes:
    st.info("Nothing has changed since the file was opened.")
for change in changes:
    icon = {ChangeKind.ADDED: ":material/add:", ChangeKind.DELETED: ":material/delete:"}.get(
        change.kind, ":material/edit:")
    with st.container(border=True):
        st.markdown(f"{icon} {plain(change.summary)}")
        if change.kind is ChangeKind.EDITED and change.attributes:
            st.dataframe(
                [{"attribute": a.name, "before": str(a.before), "after": str(a.after)}
                 for a in change.attributes],
                hide_index=True, key=f"export.attributes.{change.group:04X}",
            )

st.subheader("Download")
new_uid = st.checkbox(
    "Give the file a new SOP Instance UID", value=False, key="export.new_uid",
    help="Recommended when the edited file will be stored next to the original in a PACS.",
)
try:
    data = checked_bytes(entry, new_sop_instance_uid=new_uid)
except OverlayError as exc:
    st.error(plain(str(exc)))
else:
    st.success("The file was written and read back: its overlay planes are as shown.",
               icon=":material/verified:")
    st.download_button(
        f"Download {plain(download_name(entry))}", data=data, file_name=download_name(entry),
        mime="application/dicom", key="download", type="primary", icon=":material/download:",
        on_click="ignore",  # a download needs no rerun of the page
    )

readable = [e for e in state.files(st.session_state) if e.ok]
if len(readable) > 1:
    try:
        archive = zip_files(readable, new_sop_instance_uid=new_uid)
    except OverlayError as exc:
        st.error(f"The zip of all files is not offered: {plain(exc)}")
    else:
        st.download_button(
            f"Download all {len(readable)} files as a zip", data=archive,
            file_name="overlay-studio.zip", mime="application/zip", key="export.zip",
            icon=":material/folder_zip:", on_click="ignore",
        )

pacs.store_section(entry)  # "Store to PACS": only when the operator configured a PACS (DICOMweb or DIMSE)

planes = entry.planes()
if planes:
    st.subheader("Plane PNGs")
    if entry.image_info().rows == 0:  # e.g. a presentation state: nothing to place the planes on
        space = "plane"
        st.caption("This file has no image, so each plane downloads at its own rows and columns.")
    else:
        space = st.radio(
            "Size", ["image", "plane"], horizontal=True, key="export.png_space",
            format_func={"image": "On the image (image size, at the plane's origin)",
                         "plane": "The plane's own rows and columns"}.get,
        )
    columns = st.columns(min(4, len(planes)))
    for i, plane in enumerate(planes):
        with columns[i % len(columns)]:
            frame = 0
            if plane.frames > 1:
                frame = st.number_input(f"Frame of {plane.group_hex}", 1, plane.frames, 1,
                                        key=f"export.png_frame.{plane.group_hex}") - 1
            suffix = f"-frame{frame + 1}" if plane.frames > 1 else ""
            st.download_button(
                f"Plane {plane.group_hex}{suffix} PNG",
                data=lambda g=plane.group, f=frame: operations.export_png(entry.dataset, g, f, space),
                file_name=f"{entry.stem}-{plane.group_hex}{suffix}-{space}.png", mime="image/png",
                key=f"export.png.{plane.group_hex}", icon=":material/image:", on_click="ignore",
            )

export_section(entry)  # SEG, presentation state, burned-in Secondary Capture
