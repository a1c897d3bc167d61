"""Edit and Inspect with the tools of issue 18: Fill clicks, the intensity range, plane tools,
statistics, ROI statistics and comparison, each edit one undo step.

As in test_app_edit.py, a click is a drawing put where the canvas keeps its value (a point
object: the small circle the canvas draws where the mouse went down).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from skimage.segmentation import flood
from streamlit.testing.v1 import AppTest

from overlay_core.planes.placement import image_mask
from overlay_core.planes.reading import read_plane
from overlay_core.planes.writing import to_bytes
from studio import state
from studio.editor.canvas import inject_drawing
from tests import builders as b
from tests import tool_support as ts
from tests.app.support import goto, no_exception
from tests.app.test_app_edit import VIEWPORT, canvas_key

SCALE = 4  # 50 columns shown 200 px wide


def tools_file() -> bytes:
    ds = ts.image(ts.blocks(), slope=2.0, intercept=-1024.0, spacing=(0.5, 0.5))
    mask = np.zeros((10, 12), bool)
    mask[2:5, 3:6] = True
    mask[8:10, 9:11] = True  # a second, smaller island
    b.add_plane(ds, 0x6000, mask, origin=(3, 4), overlay_type="R")
    b.add_plane(ds, 0x6002, np.ones((6, 6), bool), origin=(5, 6))
    return b.to_file_bytes(ds)


def click(row: int, col: int) -> dict[str, Any]:
    """The canvas' point object for a click on image pixel (row, col)."""
    x, y = (col + 0.5) * SCALE, (row + 0.5) * SCALE
    return {"type": "Circle", "version": "7.0.0", "originX": "left", "originY": "center",
            "left": x - 4, "top": y, "radius": 3, "strokeWidth": 2, "stroke": "#ff3df5", "fill": "#ff3df5"}


@pytest.fixture
def tools_app(app: AppTest) -> AppTest:
    app.run()
    app.file_uploader(key="upload").set_value(("tools.dcm", tools_file(), "application/dicom")).run()
    app.session_state["edit.keys"] = {"viewport": VIEWPORT}
    return goto(app, "edit")


def stats_table(at: AppTest) -> Any:
    [table] = [t.value for t in at.table if "mean" in t.value.columns]
    return table


def placed(at: AppTest, group: int = 0x6000) -> np.ndarray:
    entry = state.active(at.session_state)
    return image_mask(entry.dataset, group, 0)


def test_fill_click_fills_the_flood_region_and_undoes(tools_app: AppTest) -> None:
    at = tools_app
    entry = state.active(at.session_state)
    original, before = to_bytes(entry.dataset), placed(at)
    at.button(key="edit.tool.fill").click().run()
    assert at.session_state["edit.tool"] == "Fill"
    inject_drawing(at.session_state, canvas_key(at), {"version": "7.0.0", "objects": [click(10, 20)]})
    at.run()
    no_exception(at)
    region = flood(ts.modality(entry.dataset), (10, 20), tolerance=0, connectivity=1)
    assert (placed(at) == (before | region)).all()
    assert read_plane(entry.dataset, 0x6000).columns > 12  # grown to hold the region
    at.button(key="edit.undo").click().run()
    assert to_bytes(entry.dataset) == original


def test_the_intensity_range_limits_every_stroke(tools_app: AppTest) -> None:
    at = tools_app
    entry = state.active(at.session_state)
    before = placed(at)
    at.toggle(key="edit.range.on").set_value(True).run()
    at.number_input(key="edit.range.low").set_value(976.0).run()  # stored 1000 -> 976
    at.number_input(key="edit.range.high").set_value(990.0).run()
    rect = {"type": "Rect", "version": "7.0.0", "originX": "left", "originY": "top", "left": 0, "top": 0,
            "width": 200, "height": 160, "fill": "rgba(255, 61, 245, 0.35)", "stroke": "#ff3df5",
            "strokeWidth": 0}
    inject_drawing(at.session_state, canvas_key(at), {"version": "7.0.0", "objects": [rect]})
    at.run()
    no_exception(at)
    values = ts.modality(entry.dataset)
    inside = (values >= 976) & (values <= 990)
    after = placed(at)
    assert (after[~inside] == before[~inside]).all()
    plane_window = np.zeros_like(inside)
    plane_window[2:12, 3:15] = True  # a brush stroke changes the plane only
    assert after[inside & plane_window].all()


def test_an_intensity_range_with_low_above_high_says_off(tools_app: AppTest) -> None:
    at = tools_app
    at.toggle(key="edit.range.on").set_value(True).run()
    at.number_input(key="edit.range.low").set_value(990.0).run()
    at.number_input(key="edit.range.high").set_value(976.0).run()
    no_exception(at)
    labels = [e.label for e in at.expander if e.label.startswith("Intensity range")]
    assert labels == ["Intensity range · off: low is above high"]
    assert [w.value for w in at.warning] == [
        "Low (990) is above high (976), so the range is off: strokes change every pixel until low is at "
        "or below high."]
    entry = state.active(at.session_state)
    before = placed(at)
    rect = {"type": "Rect", "version": "7.0.0", "originX": "left", "originY": "top", "left": 0, "top": 0,
            "width": 200, "height": 160, "fill": "rgba(255, 61, 245, 0.35)", "stroke": "#ff3df5",
            "strokeWidth": 0}
    inject_drawing(at.session_state, canvas_key(at), {"version": "7.0.0", "objects": [rect]})
    at.run()
    no_exception(at)
    window = np.zeros_like(before)
    window[2:12, 3:15] = True  # what the off range lets the stroke change: all of the plane
    assert placed(at)[window].all() and entry.dataset is not None
    at.number_input(key="edit.range.high").set_value(995.0).run()  # fixed: on again
    assert [e.label for e in at.expander if e.label.startswith("Intensity range")] == ["Intensity range · on"]
    assert not at.warning


def test_plane_tools_each_one_undo_step(tools_app: AppTest) -> None:
    at = tools_app
    entry = state.active(at.session_state)
    states = [to_bytes(entry.dataset)]
    for key in ("edit.tools.largest", "edit.tools.grow", "edit.tools.shrink", "edit.tools.logic"):
        at.button(key=key).click().run()
        no_exception(at)
        assert not at.error, key
        states.append(to_bytes(entry.dataset))
        assert states[-1] != states[-2], key
    assert 0x6004 in {p.group for p in entry.planes()}  # logic wrote a new plane
    goto(at, "edit")
    for expected in reversed(states[:-1]):
        at.button(key="edit.undo").click().run()
        assert to_bytes(entry.dataset) == expected


def test_statistics_and_roi_on_edit_and_comparison_on_inspect(tools_app: AppTest) -> None:
    at = tools_app
    entry = state.active(at.session_state)
    table = stats_table(at)
    values = ts.modality(entry.dataset)
    mask = placed(at)
    assert int(table["set pixels"][0]) == mask.sum() == 13
    assert float(table["mean"][0]) == pytest.approx(values[mask].mean(), rel=1e-5)
    assert table["area"][0] == "3.25 mm²"
    at.button(key="edit.stats.roi").click().run()
    plane = read_plane(entry.dataset, 0x6000)
    assert plane.roi_area == 13 and plane.roi_mean == pytest.approx(values[mask].mean(), rel=1e-5)
    goto(at, "inspect")
    rows = stats_table(at)
    assert list(rows[""]) == ["6000", "6002"]
    metrics = {m.label: m.value for m in at.metric}
    a, b_ = placed(at, 0x6000), placed(at, 0x6002)
    assert float(metrics["Dice"]) == pytest.approx(2 * (a & b_).sum() / (a.sum() + b_.sum()), abs=1e-3)
