"""Statistics of a plane and the comparison of two planes, shown on Edit and Inspect.

The numbers come from :func:`overlay_core.edit.stats.plane_statistics` and
:func:`overlay_core.audit.compare_planes.compare_planes`, cached by the file's content
(:func:`studio.state.content_key`), so a rerun that changed nothing computes nothing.
"""

from __future__ import annotations

from typing import Any

import streamlit as st
from pydicom.dataset import Dataset

from overlay_core.audit.compare_planes import compare_planes
from overlay_core.edit.stats import LastFrame, plane_statistics, write_roi_statistics
from overlay_core.errors import OverlayError
from overlay_core.model import OverlayPlane, OverlayType
from studio.editor import editing
from studio.state import LoadedFile, content_key, files, pixel_key
from studio.text import plain
from studio.view import CACHE_ENTRIES

__all__ = ["compare_panel", "statistics_panel", "statistics_table"]


#: Session-state key of the image frame the statistics read last (see :func:`_frames`).
_FRAMES = "measure.frames"


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner=False)
def _statistics(key: str, group: int, frame: int | None, _ds: Dataset, _frames: LastFrame | None = None
                ) -> dict[str, Any] | str:
    try:
        return plane_statistics(_ds, group, frame, _frames).document()
    except OverlayError as exc:
        return str(exc)


def _frames(entry: LoadedFile) -> LastFrame:
    """Return the image frame the statistics read last, kept while the file's pixels stay the same.

    A stroke changes the plane, not the image: decoding the frame again after each stroke
    (~40 ms of a 4096² one) was wasted. One frame of one file is kept per session.
    """
    assert entry.dataset is not None
    key = (entry.id, pixel_key(entry))
    kept = st.session_state.get(_FRAMES)
    if isinstance(kept, tuple) and kept[0] == key and isinstance(kept[1], LastFrame):
        return kept[1]
    frames = LastFrame(entry.dataset)
    st.session_state[_FRAMES] = (key, frames)
    return frames


def _number(value: float | None) -> str:
    return "–" if value is None else f"{value:.6g}"


def _rows(stats: dict[str, Any], label: str) -> dict[str, str]:
    box = stats["bounding_box"]
    area = stats["area_mm2"]
    return {
        "": label,
        "set pixels": str(stats["set_pixels"]),
        "area": "no spacing" if area is None else f"{area:.6g} mm²",
        "box (rows, columns)": "–" if box is None else f"{box[0]}–{box[2]}, {box[1]}–{box[3]}",
        "mean": _number(stats["mean"]), "SD": _number(stats["sd"]),
        "min": _number(stats["minimum"]), "max": _number(stats["maximum"]),
    }


def statistics_panel(entry: LoadedFile, plane: OverlayPlane, image_frame: int, page: str) -> None:
    """Show the plane's statistics on the shown image frame (and over all its frames), always visible.

    A Type R plane gets a button that writes (60xx,1301) ROI Area, (60xx,1302) ROI Mean and
    (60xx,1303) ROI Standard Deviation, as one undoable edit.
    """
    assert entry.dataset is not None
    key = content_key(entry)
    frame = _statistics(key, plane.group, image_frame, entry.dataset, _frames(entry))
    box = st.container(key=f"{page}.stats")
    box.markdown(f"**Statistics of plane {plane.group_hex}** (values after the Modality LUT)")
    if isinstance(frame, str):
        box.caption(plain(frame))
        return
    table = [_rows(frame["frames"][0], f"frame {image_frame + 1}")]
    if plane.frames > 1 or plane.frame_specific:
        whole = _statistics(key, plane.group, None, entry.dataset, _frames(entry))
        if isinstance(whole, dict):
            table.append(_rows(whole["total"], "all frames"))
    box.table(table, hide_index=True)
    if frame["values_note"]:
        box.caption(plain(frame["values_note"]))
    if plane.type is OverlayType.ROI:
        stored = ("" if plane.roi_area is None else
                  f"Stored: area {plane.roi_area}, mean {_number(plane.roi_mean)}, "
                  f"SD {_number(plane.roi_standard_deviation)}.")
        if box.button("Write ROI statistics", key=f"{page}.stats.roi", icon=":material/functions:",
                      help="Write (60xx,1301) ROI Area, (60xx,1302) ROI Mean and (60xx,1303) ROI Standard "
                      "Deviation of every frame the plane lies on (undoable)."):
            editing.run_and_rerun(entry, "ROI statistics", lambda d: write_roi_statistics(d, plane.group))
        if stored:
            box.caption(stored)


def statistics_table(entry: LoadedFile, image_frame: int, page: str) -> None:
    """Show one row of statistics per plane on the shown image frame (Inspect)."""
    assert entry.dataset is not None
    key = content_key(entry)
    table, notes = [], []
    for plane in entry.planes():
        stats = _statistics(key, plane.group, image_frame, entry.dataset)
        if isinstance(stats, str):
            notes.append(f"{plane.group_hex}: {stats}")
            continue
        table.append({**_rows(stats["frames"][0], plane.group_hex)})
        if stats["values_note"]:
            notes.append(f"{plane.group_hex}: {stats['values_note']}")
    st.markdown(f"**Statistics on frame {image_frame + 1}** (values after the Modality LUT)")
    if table:
        st.table(table, hide_index=True)
    for note in notes:
        st.caption(plain(note))


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner=False)
def _compare(key_a: str, a: int, key_b: str, b: int, _ds: Dataset, _other: Dataset | None
             ) -> dict[str, Any] | str:
    try:
        return compare_planes(_ds, a, b, _other).document()
    except OverlayError as exc:
        return str(exc)


def compare_panel(entry: LoadedFile, page: str) -> None:
    """Compare two planes of this file, or a plane of this file with one of another open file."""
    planes = entry.planes()
    others = [f for f in files(st.session_state) if f.id != entry.id and f.dataset is not None
              and f.image_info().shape == entry.image_info().shape]
    if not planes:
        return
    with st.expander("Compare two planes", expanded=False):
        c = st.columns(3)
        a = c[0].selectbox("Plane A (this file)", [p.group for p in planes], format_func=lambda g: f"{g:04X}",
                           key=f"{page}.compare.a.{entry.id}")
        sources = [entry, *others]
        source_id = c[1].selectbox("Plane B from", [f.id for f in sources],
                                   format_func=lambda i: "this file" if i == entry.id else plain(
                                       next(f.name for f in sources if f.id == i)),
                                   key=f"{page}.compare.file.{entry.id}")
        other = next(f for f in sources if f.id == source_id)
        b_planes = [p.group for p in other.planes()]
        if not b_planes:
            st.caption("That file has no usable plane.")
            return
        b = c[2].selectbox("Plane B", b_planes, format_func=lambda g: f"{g:04X}",
                           index=min(1, len(b_planes) - 1) if other is entry else 0,
                           key=f"{page}.compare.b.{entry.id}.{other.id}")
        assert entry.dataset is not None and other.dataset is not None
        result = _compare(content_key(entry), a, content_key(other), b, entry.dataset,
                          None if other is entry else other.dataset)
        if isinstance(result, str):
            st.error(plain(result))
            return

        def show(value: float | None, unit: str = "") -> str:
            return "undefined" if value is None else f"{value:.4g}{unit}"

        m = st.columns(4)
        m[0].metric("Dice", show(result["dice"]))
        m[1].metric("Jaccard", show(result["jaccard"]))
        m[2].metric("Hausdorff", show(result["hausdorff_pixels"], " px"),
                    help="Symmetric, in-plane; undefined when one plane is empty where the other is not.")
        m[3].metric("Hausdorff (mm)", show(result["hausdorff_mm"], " mm") if result["hausdorff_pixels"]
                    is not None else "undefined", help="By Pixel Spacing; undefined without it.")
        area_mm = result["area_difference_mm2"]
        st.caption(f"A {result['a_pixels']} px, B {result['b_pixels']} px; B − A = "
                   f"{result['area_difference_pixels']} px"
                   + ("" if area_mm is None else f" = {area_mm:.6g} mm²") + ".")
