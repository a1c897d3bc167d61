"""Edit: draw or erase on a plane with the canvas, undo/redo, plane attributes and operations."""

import streamlit as st

from overlay_core import edit, operations
from overlay_core.errors import OverlayError
from overlay_core.geometry import Region, fit_view
from overlay_core.model import OverlayPlane, OverlayType
from overlay_core.placement import frame_map
from overlay_core.writing import Attributes, delete_plane, first_free_group, migrate_embedded, set_attributes
from studio import editing
from studio.canvas import TOOLS, canvas_key, draw_canvas
from studio.interop import seg_import_section
from studio.series import series_nav
from studio.ui import require_active
from studio.view import intensity_range, render_view

st.title("Edit")
entry = require_active()
series_nav("edit")  # previous/next instance of a series (PageUp/PageDown)
ds = entry.dataset
info = entry.image_info()
if info.rows == 0:
    st.warning("This file has no image, so there is nothing to draw on.")
    st.stop()
planes = {p.group: p for p in entry.planes()}
NEW = 0
try:
    free = first_free_group(ds)
except OverlayError:
    free = None

# --- which plane, which frame -------------------------------------------------------------
options = [*planes, *([NEW] if free is not None else [])]
plane_key = f"edit.plane.{entry.id}"
pending = st.session_state.pop(editing.select_key(entry), None)  # a plane just created
if pending in options:
    st.session_state[plane_key] = pending
if st.session_state.get(plane_key) not in options:
    st.session_state.pop(plane_key, None)  # a deleted plane: back to the first one


def _label(group: int) -> str:
    if group == NEW:
        return f"New plane ({free:04X})"
    p = planes[group]
    embedded = " (embedded in Pixel Data)" if p.embedded else ""
    label = f" — {p.label}" if p.label else ""
    return f"{p.group_hex} {p.type.value} {p.rows}×{p.columns}{embedded}{label}"


top = st.columns([2, 1, 1, 1, 1])
group = top[0].selectbox("Plane", options, format_func=_label, key=plane_key)
if group == NEW:
    plane = OverlayPlane(free, info.rows, info.columns)  # created by the first apply
else:
    plane = planes[group]
frame = 0
if plane.frames > 1:
    frame = top[1].number_input("Plane frame", 1, plane.frames, 1, key=f"edit.frame.{entry.id}.{group}") - 1
image_frames = [f for k, f in frame_map(plane, info.frames) if k == frame]
image_frame = image_frames[0] if image_frames else 0
tool = top[2].selectbox("Tool", list(TOOLS), key="edit.tool")
mode = top[3].radio("Mode", ["draw", "erase"], horizontal=True, key="edit.mode")
width = top[4].slider("Width", 1, 60, 6, key="edit.width", help="Stroke width in screen pixels.")

with st.expander("Zoom into a region (image rows and columns)", expanded=False):
    z = st.columns(5)
    row0 = z[0].number_input("First row", 0, info.rows - 1, 0, key=f"edit.zoom.row0.{entry.id}")
    col0 = z[1].number_input("First column", 0, info.columns - 1, 0, key=f"edit.zoom.col0.{entry.id}")
    rows = z[2].number_input("Rows", 1, info.rows, info.rows, key=f"edit.zoom.rows.{entry.id}")
    cols = z[3].number_input("Columns", 1, info.columns, info.columns, key=f"edit.zoom.cols.{entry.id}")
    canvas_width = z[4].number_input("Canvas width", 200, 1600, min(900, max(200, info.columns)), 50,
                                     key="edit.canvas_width")
    filled = st.checkbox("Fill rectangles, circles and polygons", value=True, key="edit.fill")

region = Region(int(row0), int(col0), int(rows), int(cols))
try:
    view = fit_view(info.rows, info.columns, region=region, width=int(canvas_width))
    background = render_view(entry, frame=image_frame, region=view.region, width=view.display_width,
                             max_size=None)
except OverlayError as exc:
    st.error(str(exc))
    st.stop()

# --- the canvas ---------------------------------------------------------------------------
st.caption(
    f"Drawing on plane {plane.group_hex}"
    + (f", frame {frame + 1} of {plane.frames}" if plane.frames > 1 else "")
    + (f" · image frame {image_frame + 1} of {info.frames}" if info.frames > 1 else "")
    + f" · image rows {view.region.row0}–{view.region.row0 + view.region.rows - 1}, "
    f"columns {view.region.col0}–{view.region.col0 + view.region.cols - 1} "
    f"at {view.scale:.2f} screen pixels per image pixel"
    + (" · the plane is created when you apply" if group == NEW else "")
)
key = canvas_key(entry.id, plane.group, frame, view, editing.nonce(st.session_state))
drawing = draw_canvas(
    key=key, background_png=background.png, view=view, tool=tool, stroke_width=int(width),
    stroke_color="#ff3df5" if mode == "draw" else "#00e5ff",
    fill_color=("rgba(255, 61, 245, 0.35)" if mode == "draw" else "rgba(0, 229, 255, 0.35)")
    if filled else "rgba(0, 0, 0, 0)",
)

pending = len((drawing or {}).get("objects") or [])
st.caption(f"{pending} shape{'s' if pending != 1 else ''} drawn, not yet applied." if pending
           else "Nothing drawn yet: draw on the image, then apply.")
b = st.columns(5)
if b[0].button("Apply", key="apply", type="primary", icon=":material/check:",
               help="Write the strokes into the plane, at the image's own resolution."):
    stroke = editing.drawing_action(plane.group, drawing, view, mode, frame, filled)
    editing.run_and_rerun(entry, mode, stroke, select=True)
history = editing.history(entry)
if b[1].button("Undo", key="edit.undo", icon=":material/undo:", disabled=not history.can_undo):
    editing.step_and_rerun(entry)
if b[2].button("Redo", key="edit.redo", icon=":material/redo:", disabled=not history.can_redo):
    editing.step_and_rerun(entry, redo=True)
if b[3].button("Discard strokes", key="edit.discard", icon=":material/ink_eraser_off:"):
    editing.bump_nonce(st.session_state)
    st.rerun()
if group != NEW and b[4].button("Clear plane", key="edit.clear", icon=":material/layers_clear:",
                                help="Unset every pixel of this frame (undoable)."):
    editing.run_and_rerun(entry, "clear",
                          lambda d: operations.clear(d, plane.group, frame if plane.frames > 1 else None))



# --- new planes from an intensity range, masks from files ---------------------------------
with st.expander("New plane from an intensity range", expanded=False):
    if free is None:
        st.caption("Every overlay group 6000–601E is in use: delete a plane first.")
    else:
        t = st.columns(3)
        t_frame = image_frame
        if info.frames > 1:
            t_frame = t[2].number_input("Image frame", 1, info.frames, image_frame + 1,
                                        key=f"edit.threshold.frame.{entry.id}") - 1
        span = intensity_range(entry, t_frame)
        low = t[0].number_input("Low", value=span[0] if span else 0.0, step=1.0,
                                key=f"edit.threshold.low.{entry.id}.{t_frame}")
        high = t[1].number_input("High", value=span[1] if span else 0.0, step=1.0,
                                 key=f"edit.threshold.high.{entry.id}.{t_frame}")
        st.caption(
            (f"Values of image frame {t_frame + 1} run from {span[0]:g} to {span[1]:g}" if span
             else f"The values of image frame {t_frame + 1} cannot be read (undecodable or colour image)")
            + f" (after the Modality LUT, e.g. HU). Pixels from low to high, both included, are set in a "
            f"new image-sized plane {free:04X}."
        )
        if st.button(f"Create plane {free:04X}", key="edit.threshold", icon=":material/tune:"):
            editing.run_and_rerun(entry, "threshold", lambda d: operations.threshold_plane(
                d, float(low), float(high), frame=t_frame), select=True)

target = f"a new plane ({free:04X})" if group == NEW else (
    f"plane {plane.group_hex}" + (f", frame {frame + 1}" if plane.frames > 1 else ""))
with st.expander("Import a mask (PNG or NPY)", expanded=False):
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
            space, frame), select=True)

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
    st.caption(f"{plane.rows} × {plane.columns} at origin {plane.origin[0]}\\{plane.origin[1]}, "
               f"{plane.set_bits} pixels set.")
    if st.button("Resize to the image", key="edit.resize", icon=":material/fit_screen:",
                 help="Make the plane the image's size at origin 1\\1; nothing moves on the image."):
        editing.run_and_rerun(entry, "resize", lambda d: operations.resize_to_image(d, plane.group))
    if st.button("Crop to content", key="edit.crop", icon=":material/crop:",
                 help="Shrink the plane to its set pixels; nothing moves on the image."):
        editing.run_and_rerun(entry, "crop", lambda d: operations.crop_to_content(d, plane.group))
    if st.button("Invert", key="edit.invert", icon=":material/invert_colors:"):
        editing.run_and_rerun(entry, "invert", lambda d: operations.invert(d, plane.group,
                                                                         frame if plane.frames > 1 else None))
    if plane.embedded and st.button(
        "Migrate to Overlay Data", key="edit.migrate", icon=":material/move_up:",
        help="Move this retired plane out of the Pixel Data bits into its own (60xx,3000) Overlay Data.",
    ):
        editing.run_and_rerun(entry, "migrate", lambda d: migrate_embedded(d, plane.group))
    confirm = st.checkbox(f"Yes, delete plane {plane.group_hex}", key=f"edit.confirm_delete.{entry.id}")
    if st.button("Delete plane", key="edit.delete", icon=":material/delete:", disabled=not confirm):
        editing.run_and_rerun(entry, "delete", lambda d: delete_plane(d, plane.group),
                              after=lambda: st.session_state.pop(f"edit.confirm_delete.{entry.id}", None))
