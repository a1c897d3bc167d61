"""The editor's image-reading tools: Fill (key W), the intensity range every stroke obeys, and plane tools.

* **Fill**: a click (the canvas' point mode) grows a region from the clicked pixel, as
  :func:`overlay_core.edit.fill.fill`, with the tolerance and connectivity set here; the
  eraser toggle makes it erase. Each click is one undo step.
* **Intensity range** (Slicer's *masking*): while on, every brush, shape and fill changes
  only the pixels whose value lies in [low, high] (:mod:`overlay_core.edit.masking`). The
  range picker shows the frame's min/max, the file's window presets and a preview of
  the pixels in range.
* **Plane tools** (:func:`plane_tools`): islands, margin, smoothing, logical operators and
  interpolation between frames, each one undoable step.

The fragment (:mod:`studio.editor.fragment`) calls :func:`fill_button`, :func:`options` and
:func:`apply_objects`; nothing else of it knows about these tools.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import streamlit as st
from PIL import Image
from pydicom.dataset import Dataset

from overlay_core.edit import apply as edit
from overlay_core.edit.fill import fill
from overlay_core.edit.interpolate import interpolate
from overlay_core.edit.islands import keep_largest_island, remove_small_islands
from overlay_core.edit.logic import LogicOp, logic
from overlay_core.edit.margin import MorphOp, margin, morph
from overlay_core.edit.masking import IntensityRange, limited
from overlay_core.errors import InvalidArgumentError, OverlayError
from overlay_core.model import OverlayPlane
from overlay_core.planes.placement import image_shape
from overlay_core.planes.reading import overlay_groups, read_plane
from overlay_core.planes.writing import set_plane
from overlay_core.render.geometry import ViewGeometry
from overlay_core.render.pixels import frame_image, modality_frame
from overlay_core.render.windowing import VoiKind, file_presets
from studio.editor import editing
from studio.editor.settings import rerun_editor
from studio.state import LoadedFile
from studio.view import intensity_range

__all__ = ["FILL", "apply_objects", "click_point", "current_range", "fill_button", "options", "plane_tools"]

#: The Fill tool's name (the canvas draws a point for each click).
FILL = "Fill"
_TOLERANCE, _CONNECTIVITY = "edit.fill.tolerance", "edit.fill.connectivity"
_RANGE_ON, _LOW, _HIGH = "edit.range.on", "edit.range.low", "edit.range.high"
# fabric.js origins as a fraction of the size, from the centre
_ORIGINS = {"left": -0.5, "top": -0.5, "center": 0.0, "right": 0.5, "bottom": 0.5}


def _state() -> Any:
    return st.session_state


def _choose_fill() -> None:
    _state()["edit.tool"] = FILL


def fill_button(column: Any, tool: str) -> None:
    """Draw the Fill tool's button (key W) in ``column``."""
    column.button("", key="edit.tool.fill", icon=":material/format_color_fill:", shortcut="W",
                  type="primary" if tool == FILL else "secondary", on_click=rerun_editor,
                  args=(_choose_fill,), width="stretch",
                  help="Fill (W): click a pixel to fill the connected pixels near its value")


def current_range() -> IntensityRange | None:
    """Return the intensity range every stroke obeys, or ``None`` when it is off (or unusable)."""
    state = _state()
    if not state.get(_RANGE_ON):
        return None
    try:
        return IntensityRange(float(state.get(_LOW, 0.0)), float(state.get(_HIGH, 0.0)))
    except (InvalidArgumentError, TypeError, ValueError):
        return None


def click_point(obj: Mapping[str, Any], view: ViewGeometry) -> tuple[int, int]:
    """Return the 0-based image ``(row, col)`` a point object (a click) marks.

    The canvas draws a click as a small circle whose left edge (``originX`` left) lies
    ``radius + strokeWidth / 2`` left of the pointer; its centre is the click.

    >>> from overlay_core.render.geometry import fit_view
    >>> view = fit_view(10, 10, width=100)
    >>> click_point({"type": "circle", "left": 41, "top": 55, "radius": 3, "strokeWidth": 2,
    ...              "originX": "left", "originY": "center"}, view)
    (5, 4)
    """
    radius = float(obj.get("radius", 0)) * float(obj.get("scaleX", 1) or 1)
    width = 2 * radius + float(obj.get("strokeWidth", 0) or 0)
    height = 2 * float(obj.get("radius", 0)) * float(obj.get("scaleY", 1) or 1) + float(
        obj.get("strokeWidth", 0) or 0)
    x = float(obj.get("left", 0)) - _ORIGINS.get(str(obj.get("originX", "left")), -0.5) * width
    y = float(obj.get("top", 0)) - _ORIGINS.get(str(obj.get("originY", "top")), -0.5) * height
    row, col = view.display_to_image(x, y)
    return int(np.floor(row)), int(np.floor(col))


def apply_objects(
    ds: Dataset, group: int, objects: Sequence[Mapping[str, Any]], view: ViewGeometry, mode: str,
    frame: int, image_frame: int, tool: str, grow: bool = True,
) -> OverlayPlane:
    """Apply canvas objects to plane frame ``frame`` (on ``image_frame``), within the intensity range.

    With the Fill tool each object is a click; otherwise the objects are drawn as
    :func:`overlay_core.edit.apply.apply_canvas` draws them (``grow``: a stroke past the plane
    grows it). A plane that does not exist yet is created empty and image-sized first.
    Returns the plane as it is now.
    """
    with limited(ds, group, current_range(), image_frame) as values:  # the shown frame's values decide
        if tool != FILL:
            return edit.apply_canvas(ds, group, {"objects": list(objects)}, view, mode, frame, grow=grow)
        if group not in overlay_groups(ds):
            _, rows, cols = image_shape(ds, "to fill")
            set_plane(ds, group, np.zeros((rows, cols), bool))
        state = _state()
        for obj in objects:
            fill(ds, group, click_point(obj, view), image_frame, float(state.get(_TOLERANCE, 0.0)),
                 int(state.get(_CONNECTIVITY, 4)), mode, values=values)
    return read_plane(ds, group)


@st.cache_data(max_entries=8, show_spinner=False)
def _preview(key: str, frame: int, low: float, high: float, _ds: Dataset) -> bytes | None:
    """Return a small picture of the frame with the pixels in range tinted."""
    try:
        values = modality_frame(_ds, frame)
        grey = frame_image(_ds, frame).pixels
    except OverlayError:
        return None
    step = max(1, int(np.ceil(max(values.shape) / 240)))
    inside = ((values >= low) & (values <= high))[::step, ::step]
    rgb = np.repeat(grey[::step, ::step, None], 3, axis=2).astype(np.float32) if grey.ndim == 2 else \
        grey[::step, ::step].astype(np.float32)
    rgb[inside] = rgb[inside] * 0.4 + np.array([255, 200, 0], np.float32) * 0.6
    out = io.BytesIO()
    Image.fromarray(rgb.astype(np.uint8)).save(out, format="PNG")
    return out.getvalue()


def _set_range(low: float, high: float) -> None:
    state = _state()
    state[_LOW], state[_HIGH], state[_RANGE_ON] = float(low), float(high), True


def options(entry: LoadedFile, image_frame: int, tool: str) -> None:
    """Show the Fill settings (with the Fill tool) and the intensity range, in the tools column."""
    from studio.state import pixel_key

    state = _state()
    if tool == FILL:
        f = st.columns([1.3, 1], gap="small")
        f[0].number_input("Fill tolerance", min_value=0.0, value=0.0, step=1.0, key=_TOLERANCE,
                          help="How far (image values, e.g. HU) a value may lie from the clicked one.")
        f[1].radio("Neighbours", [4, 8], horizontal=True, key=_CONNECTIVITY,
                   help="4: edges only; 8: corners too.")
    span = intensity_range(entry, image_frame)
    wanted = bool(state.get(_RANGE_ON))  # "on" only when strokes obey it (low above high: they do not)
    shown = " · on" if current_range() is not None else " · off: low is above high" if wanted else ""
    with st.expander("Intensity range" + shown, expanded=wanted, icon=":material/tune:"):
        if span is None:
            st.caption("The image's values cannot be read (undecodable or colour), so no range applies.")
            return
        state.setdefault(_LOW, span[0])
        state.setdefault(_HIGH, span[1])
        st.toggle("Paint only in range", key=_RANGE_ON,
                  help="Every brush, shape and fill changes only pixels whose value lies from low to high.")
        r = st.columns(2, gap="small")
        r[0].number_input("Low", step=1.0, key=_LOW)
        r[1].number_input("High", step=1.0, key=_HIGH)
        st.caption(f"Frame {image_frame + 1} runs from {span[0]:g} to {span[1]:g} (after the Modality LUT).")
        assert entry.dataset is not None
        windows = [p for p in file_presets(entry.dataset) if p.kind is VoiKind.WINDOW]
        if windows:
            w = st.columns(min(len(windows), 3), gap="small")
            for i, p in enumerate(windows[:3]):
                w[i].button(p.name.split(":")[0], key=f"edit.range.preset.{i}", width="stretch",
                            help=f"{p.name}: {p.center - p.width / 2:g} to {p.center + p.width / 2:g}",
                            on_click=_set_range, args=(p.center - p.width / 2, p.center + p.width / 2))
        low, high = float(state.get(_LOW, span[0])), float(state.get(_HIGH, span[1]))
        if low > high:
            st.warning(f"Low ({low:g}) is above high ({high:g}), so the range is off: strokes change every "
                       "pixel until low is at or below high.", icon=":material/warning:")
            return
        picture = _preview(pixel_key(entry), image_frame, low, high, entry.dataset)
        if picture is not None:
            st.image(picture, caption="In range: tinted", width="stretch")


# --- plane tools: islands, margin, smoothing, logic, interpolation -----------------------


def plane_tools(entry: LoadedFile, plane: OverlayPlane, image_frame: int, others: Sequence[int]) -> None:
    """Show the plane tools for ``plane`` on ``image_frame`` (each button one undoable step)."""
    group = plane.group
    with st.expander(f"Tools for plane {plane.group_hex}: islands, margin, smoothing, logic, interpolation",
                     expanded=False, icon=":material/auto_fix_high:"):
        c = st.columns(3)
        with c[0]:
            st.markdown("**Islands** (8-connected)")
            if st.button("Keep the largest", key="edit.tools.largest", icon=":material/filter_center_focus:"):
                editing.run_and_rerun(entry, "islands", lambda d: keep_largest_island(d, group, image_frame))
            size = st.number_input("Smallest island kept, px", 1, 10_000_000, 10, key="edit.tools.min_size")
            if st.button("Remove smaller islands", key="edit.tools.small", icon=":material/grain:"):
                editing.run_and_rerun(entry, "islands",
                                      lambda d: remove_small_islands(d, group, int(size), image_frame))
        with c[1]:
            st.markdown("**Margin and smoothing**")
            m = st.columns(2, gap="small")
            radius = m[0].number_input("Radius", 0.1, 10_000.0, 3.0, step=1.0, key="edit.tools.radius")
            unit = m[1].radio("Unit", ["pixels", "mm"], key="edit.tools.unit", horizontal=True)
            g = st.columns(2, gap="small")
            mm = unit == "mm"
            if g[0].button("Grow", key="edit.tools.grow", icon=":material/zoom_out_map:", width="stretch"):
                editing.run_and_rerun(entry, "margin", lambda d: margin(d, group, radius, image_frame, mm))
            if g[1].button("Shrink", key="edit.tools.shrink", icon=":material/zoom_in_map:", width="stretch"):
                editing.run_and_rerun(entry, "margin", lambda d: margin(d, group, -radius, image_frame, mm))
            op = st.selectbox("Smoothing", [o.value for o in MorphOp], key="edit.tools.morph",
                              help="Open and close use a disk of the radius in pixels.")
            if st.button("Smooth", key="edit.tools.smooth", icon=":material/blur_on:"):
                editing.run_and_rerun(entry, "smoothing", lambda d: morph(d, group, op, radius, image_frame))
        with c[2]:
            st.markdown("**Logical operators**")
            if others:
                other = st.selectbox("With plane", list(others), format_func=lambda v: f"{v:04X}",
                                     key="edit.tools.logic.b")
                how = st.selectbox("Operator", [o.value for o in LogicOp], key="edit.tools.logic.op")
                into = st.radio("Into", ["new", "this"], horizontal=True, key="edit.tools.logic.into",
                                format_func=lambda v: "a new plane" if v == "new" else f"{plane.group_hex}")
                if st.button("Combine", key="edit.tools.logic", icon=":material/join:"):
                    target = None if into == "new" else group
                    editing.run_and_rerun(entry, "logic", lambda d: logic(d, how, group, other, target),
                                          select=True)
            else:
                st.caption("Another plane is needed.")
            if plane.frames >= 3:
                st.markdown("**Between frames**")
                if st.button("Fill between key frames", key="edit.tools.interpolate",
                             icon=":material/animation:",
                             help="Fill every empty frame between two frames with pixels (shape-based)."):
                    editing.run_and_rerun(entry, "interpolate", lambda d: interpolate(d, group)[0])
