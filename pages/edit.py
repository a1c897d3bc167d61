"""Edit: draw or erase on a plane; strokes apply on release; zoom, pan, keys; plane operations."""

import streamlit as st

from overlay_core.edit import apply as edit
from overlay_core.edit import operations
from overlay_core.edit.frames import copy_frame
from overlay_core.errors import OverlayError
from overlay_core.model import OverlayPlane, OverlayType
from overlay_core.planes.writing import (
    Attributes,
    delete_plane,
    first_free_group,
    migrate_embedded,
    set_attributes,
)
from studio.editor import editing
from studio.editor.fragment import NEW, editor
from studio.editor.layers import plane_frame_for
from studio.editor.tools import plane_tools
from studio.frames import frame_control
from studio.interop import seg_import_section
from studio.series import series_nav
from studio.ui import require_active
from studio.view import intensity_range

st.html("<style>[data-testid='stMainBlockContainer']{padding-top:2.6rem;padding-bottom:1rem}"
        ".st-key-edit-undo_z,.st-key-edit-redo_z,.st-key-edit-redo_y{display:none}"  # keys only
        "[data-testid='stMain']:focus,"  # no focus frame on a click
        "[data-testid='stMain']:focus-visible{outline:none;box-shadow:none}</style>")
entry = require_active()
series_nav("edit")  # previous/next instance of a series (PageUp/PageDown)
ds = entry.dataset
info = entry.image_info()
if info.rows == 0:
    st.title("Edit")
    st.warning("This file has no image, so there is nothing to draw on.")
    st.stop()
planes = {p.group: p for p in entry.planes()}
try:
    free = first_free_group(ds)
except OverlayError:
    free = None

# --- which plane, which frame -------------------------------------------------------------
# The picker's values are groups and its text is the group only: a text holding the size or
# the label would change on crop or save, and Streamlit would fall back to the first plane.
options = [*planes, *([NEW] if free is not None else [])]
plane_key = f"edit.plane.{entry.id}"
pending = st.session_state.pop(editing.select_key(entry), None)  # a plane just created
if pending in options:
    st.session_state[plane_key] = pending
if st.session_state.get(plane_key) not in options:
    st.session_state.pop(plane_key, None)  # a deleted plane: back to the first one


def _details(p: OverlayPlane) -> str:
    embedded = " · embedded in Pixel Data" if p.embedded else ""
    frames = f" · {p.frames} frames" if p.frames > 1 else ""
    origin = f"{p.origin[0]}\\\\{p.origin[1]}"  # a backslash, escaped for markdown
    return f"Type {p.type.value} · {p.rows}×{p.columns} · origin {origin}{frames}{embedded}"


head = st.columns([0.8, 1, 2.2, 3], vertical_alignment="bottom")
head[0].title("Edit")
group = head[1].selectbox("Plane", options, format_func=lambda g: "New plane" if g == NEW else f"{g:04X}",
                          key=plane_key)
plane = OverlayPlane(free, info.rows, info.columns) if group == NEW and free is not None else planes[group]
head[2].caption(_details(plane) if group != NEW else f"Created as {plane.group_hex} by the first stroke.")
with head[3]:
    image_frame = frame_control(entry, info.frames, "edit")
frame = 0 if group == NEW else plane_frame_for(plane, image_frame, info.frames)

# --- the editor: canvas, tools, navigation (a fragment: a stroke reruns only this) ----------
editor(entry, plane, frame, image_frame, create=group == NEW)
if group != NEW:  # issue 18: the plane tools (statistics are in the editor)
    plane_tools(entry, plane, image_frame, [g for g in planes if g != group])


# --- new planes from an intensity range, masks from files ---------------------------------
more = st.columns(2)
with more[0].expander("New plane from an intensity range", expanded=False):
    if free is None:
        st.caption("Every overlay group 6000–601E is in use: delete a plane first.")
    else:
        t = st.columns(2)
        span = intensity_range(entry, image_frame)
        low = t[0].number_input("Low", value=span[0] if span else 0.0, step=1.0,
                                key=f"edit.threshold.low.{entry.id}.{image_frame}")
        high = t[1].number_input("High", value=span[1] if span else 0.0, step=1.0,
                                 key=f"edit.threshold.high.{entry.id}.{image_frame}")
        st.caption(
            (f"Values of image frame {image_frame + 1} run from {span[0]:g} to {span[1]:g}" if span
             else f"The values of image frame {image_frame + 1} cannot be read (undecodable or colour image)")
            + f" (after the Modality LUT, e.g. HU). Pixels from low to high, both included, are set in a "
            f"new image-sized plane {free:04X}."
        )
        if st.button(f"Create plane {free:04X}", key="edit.threshold", icon=":material/tune:"):
            editing.run_and_rerun(entry, "threshold", lambda d: operations.threshold_plane(
                d, float(low), float(high), frame=image_frame), select=True)

target = f"a new plane ({plane.group_hex})" if group == NEW else (
    f"plane {plane.group_hex}" + (f", frame {(frame or 0) + 1}" if plane.frames > 1 else ""))
with more[1].expander("Import a mask (PNG or NPY)", expanded=False):
    upload = st.file_uploader("Mask file", type=["png", "npy"], key="edit.import",
                              help="PNG: set where not black (or not transparent); .npy: set where non-zero.")
    m = st.columns(2)
    space = m[0].radio("The mask has the size of", ["image", "plane"], horizontal=True,
                       format_func=lambda s: {"image": f"the image ({info.rows} × {info.columns})",
                                              "plane": "the plane"}[s],
                       key="edit.import.space")
    import_mode = m[1].radio("Mode", ["replace", "draw", "erase"], horizontal=True, key="edit.import.mode",
                             disabled=group == NEW, help="How the mask combines with the plane's pixels.")
    st.caption(f"Imports into {target}; a 3-D .npy mask covers every frame of the plane.")
    if st.button("Import", key="edit.import.apply", icon=":material/upload:", disabled=upload is None):
        assert upload is not None
        data = upload.getvalue()
        editing.run_and_rerun(entry, "import", lambda d: edit.apply_mask(
            d, None if group == NEW else plane.group, data, "replace" if group == NEW else import_mode,
            space, frame or 0), select=True)

seg_import_section(entry)  # segments of a DICOM SEG become planes

if group == NEW:
    st.stop()

# --- plane attributes and operations ------------------------------------------------------
attributes_col, operations_col = st.columns(2)
# Keys carry the nonce, so after an edit or undo the fields show the plane as stored.
suffix = f"{entry.id}.{plane.group_hex}.{editing.nonce(st.session_state)}"
with attributes_col, st.form(f"edit.attributes.{suffix}"):
    st.markdown(f"**Attributes of plane {plane.group_hex}**")
    kind = st.selectbox("Type", ["G", "R"], index=0 if plane.type is OverlayType.GRAPHICS else 1,
                        format_func=lambda t: {"G": "G — graphics", "R": "R — region of interest"}[t],
                        key=f"edit.attr.type.{suffix}")
    label = st.text_input("Label", plane.label, max_chars=64, key=f"edit.attr.label.{suffix}")
    description = st.text_input("Description", plane.description, max_chars=64,
                                key=f"edit.attr.description.{suffix}")
    o = st.columns(2)
    origin_row = o[0].number_input("Origin row (1 = top)", -32768, 32767, plane.origin[0],
                                   key=f"edit.attr.origin_row.{suffix}")
    origin_col = o[1].number_input("Origin column (1 = left)", -32768, 32767, plane.origin[1],
                                   key=f"edit.attr.origin_col.{suffix}")
    if st.form_submit_button("Save attributes", icon=":material/save:", key=f"edit.attr.save.{suffix}"):
        attrs = Attributes(origin=(int(origin_row), int(origin_col)), type=kind, label=label,
                           description=description)
        editing.run_and_rerun(entry, "attributes", lambda d: set_attributes(d, plane.group, attrs))

with operations_col:
    st.markdown(f"**Operations on plane {plane.group_hex}**")
    # A multi-frame plane's frame shown here; None: the plane has no frame on this image frame.
    this_frame = frame if plane.frames > 1 else None
    ops = st.columns(2)
    if ops[0].button("Resize to the image", key="edit.resize", icon=":material/fit_screen:",
                     help="Make the plane the image's size at origin 1\\1; nothing moves on the image."):
        editing.run_and_rerun(entry, "resize", lambda d: operations.resize_to_image(d, plane.group))
    if ops[1].button("Crop to content", key="edit.crop", icon=":material/crop:",
                     help="Shrink the plane to its set pixels; nothing moves on the image."):
        editing.run_and_rerun(entry, "crop", lambda d: operations.crop_to_content(d, plane.group))
    frame_missing = plane.frames > 1 and frame is None
    if ops[0].button("Invert", key="edit.invert", icon=":material/invert_colors:", disabled=frame_missing):
        editing.run_and_rerun(entry, "invert", lambda d: operations.invert(d, plane.group, this_frame))
    if ops[1].button("Clear plane", key="edit.clear", icon=":material/layers_clear:", disabled=frame_missing,
                     help="Unset every pixel of this frame (undoable)."):
        editing.run_and_rerun(entry, "clear", lambda d: operations.clear(d, plane.group, this_frame))
    if info.frames > 1 and frame is not None:
        source = frame
        if ops[0].button("Copy frame to the next", key="edit.copy_next", icon=":material/content_copy:",
                         help="Copy this frame of the plane to the next image frame (undoable)."):
            editing.run_and_rerun(entry, "copy frame", lambda d: copy_frame(d, plane.group, source, "next"))
        if ops[1].button("Copy frame to all", key="edit.copy_all", icon=":material/library_add:",
                         help="Make the plane cover every image frame, each a copy of this one (undoable)."):
            editing.run_and_rerun(entry, "copy frame", lambda d: copy_frame(d, plane.group, source, "all"))
    if plane.embedded and st.button(
        "Migrate to Overlay Data", key="edit.migrate", icon=":material/move_up:",
        help="Move this retired plane out of the Pixel Data bits into its own (60xx,3000) Overlay Data.",
    ):
        editing.run_and_rerun(entry, "migrate", lambda d: migrate_embedded(d, plane.group))
    confirm = st.checkbox(f"Yes, delete plane {plane.group_hex}", key=f"edit.confirm_delete.{entry.id}")
    if st.button("Delete plane", key="edit.delete", icon=":material/delete:", disabled=not confirm):
        editing.run_and_rerun(entry, "delete", lambda d: delete_plane(d, plane.group),
                              after=lambda: st.session_state.pop(f"edit.confirm_delete.{entry.id}", None))
