"""Export: what changed (in the series, then the file), the checked file, series and all files, PNGs."""

import streamlit as st

from overlay_core.edit import operations
from overlay_core.planes.changes import ChangeKind, plane_changes
from studio.deid import deid_section
from studio.downloads import downloads, series_changes
from studio.formats import export_section as formats_section
from studio.interop import export_section
from studio.pacs import sections as pacs
from studio.text import plain
from studio.ui import require_active

st.title("Export")
entry = require_active()
series_changes(entry)  # with a series open: what changed in each of its instances

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
downloads(entry, new_uid)  # the file shown, its series, every open file; each checked

deid_section(entry)  # "De-identify overlays": remove them, or find, review and erase their text

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
formats_section(entry)  # RT Structure Set and NIfTI mask of the series
