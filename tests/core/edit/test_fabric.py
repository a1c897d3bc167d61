"""Rasterising streamlit-drawable-canvas json_data: hand-computed geometry, recorded
browser samples (tests/data/canvas, recorded by tools/record_canvas_samples.py), scaled
and zoomed views, plane origins."""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from PIL import Image

from overlay_core.edit.fabric import is_transparent, rasterize
from overlay_core.errors import InvalidArgumentError
from overlay_core.model import OverlayPlane
from overlay_core.planes.placement import place
from overlay_core.render.geometry import Region, fit_view

DATA = Path(__file__).resolve().parents[2] / "data" / "canvas"
SAMPLES = sorted(p.stem for p in DATA.glob("*.json"))
CANVAS_ROWS, CANVAS_COLS = 200, 300  # the recorded canvas: 300 x 200 display pixels


def load(name: str) -> dict[str, Any]:
    return json.loads((DATA / f"{name}.json").read_text())


def fabric_alpha(name: str) -> np.ndarray:
    """The canvas as fabric.js rendered it in the browser (anti-aliased alpha)."""
    return np.asarray(Image.open(DATA / f"{name}.png").convert("RGBA"))[..., 3]


def one_to_one() -> Any:
    return fit_view(CANVAS_ROWS, CANVAS_COLS)


def obj(kind: str, **kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "type": kind, "version": "7.4.0", "originX": "center", "originY": "center",
        "left": 0, "top": 0, "scaleX": 1, "scaleY": 1, "angle": 0, "flipX": False, "flipY": False,
        "skewX": 0, "skewY": 0, "strokeWidth": 0, "stroke": None, "fill": "red",
        "strokeUniform": False, "strokeLineCap": "butt", "strokeLineJoin": "miter",
    }
    base.update(kw)
    return base


def draw(*objects: dict[str, Any], rows: int = 12, cols: int = 12, **kw: Any) -> np.ndarray:
    return rasterize({"objects": list(objects)}, fit_view(rows, cols), **kw)


def rect_mask(rows: int, cols: int, r0: int, r1: int, c0: int, c1: int) -> np.ndarray:
    out = np.zeros((rows, cols), bool)
    out[r0:r1, c0:c1] = True
    return out


# --- the recorded samples -------------------------------------------------------------------


def test_samples_were_recorded() -> None:
    expected = {"freedraw", "line", "line_reverse", "rect", "rect_outline", "circle", "circle_outline",
                "polygon", "point", "transform_rect", "transform_rotate", "transform_flip", "transform_path",
                "transform_scale_path", "transform_line"}
    assert expected <= set(SAMPLES)
    for name in SAMPLES:
        sample = load(name)
        assert sample["canvas"] == {"width": CANVAS_COLS, "height": CANVAS_ROWS}
        assert sample["json_data"]["objects"], name
        assert (DATA / f"{name}.png").exists(), name


#: Samples of filled shapes: they cover the region dragged (or clicked) out, without the
#: stroke fabric paints around it (at most a brush width more on each side).
FILLED = {"rect", "circle", "polygon", "point", "transform_rect", "transform_rotate", "transform_flip"}


@pytest.mark.parametrize("name", SAMPLES)
def test_sample_matches_what_fabric_drew(name: str) -> None:
    """At 1:1 every pixel fabric painted solidly is set, and none it left clear (a sharp
    mitre tip, which fabric only grazes, may differ by a pixel or two). A filled shape is
    what fabric painted less its stroke: never more, and most of it."""
    mask = rasterize(load(name)["json_data"], one_to_one())
    alpha = fabric_alpha(name)
    assert mask.dtype == np.bool_ and mask.shape == (CANVAS_ROWS, CANVAS_COLS)
    assert (mask & (alpha < 64)).sum() <= 2, "set where fabric drew nothing"
    if name in FILLED:
        # a point's dot of radius 3 is mostly its 6-pixel stroke
        assert mask.sum() >= (0.2 if name == "point" else 0.6) * (alpha > 127).sum()
        return
    assert (~mask & (alpha > 192)).sum() <= 2, "unset where fabric drew solidly"
    union = (mask | (alpha > 127)).sum()
    assert (mask & (alpha > 127)).sum() / union > 0.93


def mouse_points(name: str, action: str = "drag") -> list[tuple[float, float]]:
    return [tuple(p) for step in load(name)["steps"] if step["action"] == action for p in step["points"]]


def near(mask: np.ndarray, x: float, y: float, scale: float = 1.0, reach: int = 1) -> bool:
    r, c = int(y * scale), int(x * scale)
    return bool(mask[max(r - reach, 0):r + reach + 1, max(c - reach, 0):c + reach + 1].any())


@pytest.mark.parametrize("name", ["freedraw", "line", "line_reverse", "rect", "rect_outline", "circle"])
def test_sample_pixels_lie_under_the_mouse(name: str) -> None:
    mask = rasterize(load(name)["json_data"], one_to_one())
    points = mouse_points(name)
    if name == "freedraw":
        strict, loose = points, []
    elif name.startswith("line"):  # from the press to the release; butt ends stop there
        (x0, y0), (x1, y1) = points[0], points[-1]
        strict = [(x0 + t * (x1 - x0), y0 + t * (y1 - y0)) for t in np.linspace(0.02, 0.98, 25)]
        loose = [points[0], points[-1]]
    elif name == "rect_outline":  # the stroke lies inside the dragged box, corner to corner
        strict, loose = [points[0], points[-1]], []
    elif name == "rect":  # the filled box is the dragged box, corner to corner
        strict, loose = [points[0]], [points[-1]]
    else:  # the filled circle's diameter runs from the drag start to its end
        strict, loose = [], [points[0], points[-1]]
    for x, y in strict:
        assert mask[int(y), int(x)], (x, y)
    for x, y in loose:
        assert near(mask, x, y), (x, y)
    # far from the mouse nothing is set: the top-left and bottom-right corners of the canvas
    assert not mask[:20, :20].any() and not mask[-15:, -15:].any()


def test_polygon_sample_covers_its_clicks_and_inside() -> None:
    mask = rasterize(load("polygon")["json_data"], one_to_one())
    clicks = mouse_points("polygon", "click")
    for x, y in clicks:  # the filled polygon is the clicked one: its tips reach the clicks
        assert near(mask, x, y, reach=3), (x, y)
    cx = sum(x for x, _ in clicks[:3]) / 3
    cy = sum(y for _, y in clicks[:3]) / 3
    assert mask[int(cy), int(cx)]
    assert not mask[190, 10] and not mask[10, 290]


def test_point_sample_sets_small_discs_at_the_clicks() -> None:
    """A point is a filled circle placed by its left edge (the editor offers no point tool):
    filled as drawn, without its stroke, it lies within a brush width of the click."""
    mask = rasterize(load("point")["json_data"], one_to_one())
    for x, y in mouse_points("point", "click"):
        assert near(mask, x, y, reach=4)
        r, c = int(y), int(x)
        assert mask[r - 8:r + 9, c - 8:c + 9].sum() == mask.sum() / 2  # each disc lies within 8 px
    assert mask.sum() < 2 * (2 * 6 + 1) ** 2


def test_moved_line_sample_moved_with_the_mouse() -> None:
    mask = rasterize(load("transform_line")["json_data"], one_to_one())
    (x0, y0), (x1, y1) = mouse_points("transform_line")
    edit = next(s for s in load("transform_line")["steps"] if s["action"] == "edit-drag")["points"]
    dx, dy = edit[-1][0] - edit[0][0], edit[-1][1] - edit[0][1]
    for t in np.linspace(0.05, 0.95, 10):
        assert mask[int(y0 + dy + t * (y1 - y0)), int(x0 + dx + t * (x1 - x0))]
    assert not near(mask, x0, y0, reach=2)  # the old start is empty


def test_moved_path_sample_moved_with_the_mouse() -> None:
    sample = load("transform_path")
    mask = rasterize(sample["json_data"], one_to_one())
    edit = next(s for s in sample["steps"] if s["action"] == "edit-drag")["points"]
    dx, dy = edit[-1][0] - edit[0][0], edit[-1][1] - edit[0][1]
    for x, y in mouse_points("transform_path"):
        assert near(mask, x + dx, y + dy), (x, y)


def test_transform_samples_carry_the_transforms() -> None:
    """The samples that test_sample_matches_what_fabric_drew checks do hold transforms."""
    def first(name: str) -> dict[str, Any]:
        return load(name)["json_data"]["objects"][0]

    assert first("transform_rect")["scaleX"] > 1.2
    assert 45 < first("transform_rotate")["angle"] < 135
    assert first("transform_flip")["flipX"] is True
    assert first("transform_scale_path")["scaleY"] > 1.2


def test_sample_on_a_downscaled_view() -> None:
    """The canvas shows a 400 x 600 image at half size: bits land at twice the mouse."""
    view = fit_view(400, 600, max_size=300)
    assert (view.display_width, view.display_height) == (CANVAS_COLS, CANVAS_ROWS)
    for name in ("freedraw", "line"):
        mask = rasterize(load(name)["json_data"], view)
        assert mask.shape == (400, 600)
        for x, y in mouse_points(name)[:-1]:
            assert mask[int(2 * y), int(2 * x)], (name, x, y)
        # the same drawing at 1:1, enlarged, is nearly the same set of pixels
        small = np.kron(rasterize(load(name)["json_data"], one_to_one()), np.ones((2, 2), bool))
        assert (small & mask).sum() / (small | mask).sum() > 0.9


def test_stroke_width_scales_from_display_to_image() -> None:
    """A 6-pixel line on a half-size view is 12 image pixels wide."""
    line = obj("Line", left=150, top=100, x1=-100, y1=0, x2=100, y2=0, stroke="blue", strokeWidth=6)
    mask = rasterize({"objects": [line]}, fit_view(400, 600, max_size=300))
    column = mask[:, 300]
    assert column.sum() == 12 and column[194:206].all()


# --- hand-computed geometry -------------------------------------------------------------------


def test_line_butt_and_round_caps() -> None:
    line = obj("Line", left=6, top=6, x1=-4, y1=0, x2=4, y2=0, stroke="blue", strokeWidth=2)
    assert (draw(line) == rect_mask(12, 12, 5, 7, 2, 10)).all()
    round_line = draw({**line, "strokeLineCap": "round"})
    assert round_line[5:7, 1:11].all() and round_line.sum() == 2 * 8 + 4
    square = draw({**line, "strokeLineCap": "square"})
    assert (square == rect_mask(12, 12, 5, 7, 1, 11)).all()


def test_line_end_points_are_relative_to_its_centre_with_any_origin() -> None:
    # a line from (2, 3) to (8, 3), 2 wide: width 6, height 0, so fabric's box is 8 x 2
    centred = obj("Line", left=5, top=3, x1=-3, y1=0, x2=3, y2=0, stroke="k", strokeWidth=2)
    left_top = {**centred, "originX": "left", "originY": "top", "left": 1, "top": 2}
    expected = rect_mask(12, 12, 2, 4, 2, 8)
    assert (draw(centred) == expected).all()
    assert (draw(left_top) == expected).all()


def test_rect_filled_outlined_and_fill_option() -> None:
    # left/top is the top-left of the stroked box: 6 + 2 wide
    rect = obj("Rect", originX="left", originY="top", left=1, top=2, width=6, height=4,
               stroke="blue", strokeWidth=2, fill="rgba(0, 0, 0, 0)")
    outline = draw(rect)
    outer = rect_mask(12, 12, 2, 8, 1, 9)
    inner = rect_mask(12, 12, 4, 6, 3, 7)
    assert (outline == (outer & ~inner)).all()
    filled = rect_mask(12, 12, 2, 6, 1, 7)  # the dragged box: 6 x 4 from (1, 2)
    assert (draw(rect, fill=True) == filled).all()
    assert (draw({**rect, "fill": "#eee"}) == filled).all()
    assert (draw({**rect, "fill": "#eee"}, fill=False) == (outer & ~inner)).all()


@pytest.mark.parametrize("width", [1, 6, 20])
def test_filled_shapes_cover_the_dragged_region_whatever_the_brush_width(width: int) -> None:
    """The rectangle tool's object for a 10 x 6 drag from (2, 3); the circle tool's for a
    drag of 8 to the right from (2, 10): the filled pixels are the drag's, not the drag
    plus the brush width (fabric paints the stroke outside it)."""
    rect = obj("Rect", originX="left", originY="top", left=2, top=3, width=10, height=6,
               stroke="blue", strokeWidth=width, strokeUniform=True, fill="#eee")
    assert (draw(rect, rows=30, cols=30) == rect_mask(30, 30, 3, 9, 2, 12)).all()
    circle = obj("Circle", originX="left", originY="center", left=2, top=10, radius=4, angle=0,
                 stroke="blue", strokeWidth=width, fill="#eee")
    rr, cc = np.mgrid[0:30, 0:30]
    disc = (cc + 0.5 - 6) ** 2 + (rr + 0.5 - 10) ** 2 < 4**2
    assert (draw(circle, rows=30, cols=30) == disc).all()


def test_rect_without_stroke_covers_exactly_its_pixels() -> None:
    rect = obj("Rect", originX="left", originY="top", left=2, top=1, width=3, height=2)
    assert (draw(rect) == rect_mask(12, 12, 1, 3, 2, 5)).all()


def test_circle_filled_is_the_disc_of_pixel_centres() -> None:
    circle = obj("Circle", left=6, top=6, radius=3.2)
    rr, cc = np.mgrid[0:12, 0:12]
    disc = (cc + 0.5 - 6) ** 2 + (rr + 0.5 - 6) ** 2 < 3.2**2
    assert (draw(circle) == disc).all()


def test_circle_outline_is_a_ring() -> None:
    circle = obj("Circle", left=10, top=10, radius=6, fill="transparent", stroke="k", strokeWidth=2)
    rr, cc = np.mgrid[0:20, 0:20]
    d2 = (cc + 0.5 - 10) ** 2 + (rr + 0.5 - 10) ** 2
    mask = draw(circle, rows=20, cols=20)
    assert mask[(d2 > 5.2**2) & (d2 < 6.8**2)].all()
    assert not mask[(d2 < 4.8**2) | (d2 > 7.2**2)].any()


def test_circle_from_the_tool_is_rotated_about_its_drag_start() -> None:
    """The circle tool puts left/top at the drag start (origin left/center) and turns the
    circle by the drag's angle: dragging down puts the circle below the start."""
    circle = obj("Circle", originX="left", originY="center", left=10, top=2, radius=3.2, angle=90)
    expected = obj("Circle", left=10, top=2 + 3.2, radius=3.2)
    assert (draw(circle, rows=20, cols=20) == draw(expected, rows=20, cols=20)).all()
    assert draw(circle, rows=20, cols=20)[5, 10]


def test_polygon_uses_its_points_around_its_centre() -> None:
    tri = obj("Polygon", left=4, top=4, points=[{"x": 100, "y": 100}, {"x": 108, "y": 100},
                                                {"x": 100, "y": 108}])
    rr, cc = np.mgrid[0:12, 0:12]
    assert (draw(tri) == (rr + cc <= 6)).all()


def test_path_commands_and_its_offset() -> None:
    # drawn at (1..9, 1) but placed by left/top: centre (5, 6) moves it down by 5
    path = obj("Path", left=5, top=6, fill=None, stroke="k", strokeWidth=2,
               path=[["M", 1, 1], ["L", 9, 1]])
    assert (draw(path) == rect_mask(12, 12, 5, 7, 1, 9)).all()
    # fabric bounds a Q as a cubic with both controls at (6, 2): y from 3 to 6, centre 4.5,
    # so top=6 moves it down 1.5 and the apex (y = 4) lands at 5.5, mid-row 5
    curve = obj("Path", left=6, top=6, fill=None, stroke="k", strokeWidth=1,
                path=[["M", 2, 6], ["Q", 6, 2, 10, 6]], strokeLineCap="round", strokeLineJoin="round")
    mask = draw(curve)
    assert mask[5, 5] and mask[5, 6] and not mask[4, 6] and not mask[6, 6]
    assert mask[7, 2] or mask[6, 2]


def test_transforms_scale_rotate_flip_and_skew() -> None:
    rect = obj("Rect", left=10, top=10, width=4, height=2)
    assert (draw(rect, rows=20, cols=20) == rect_mask(20, 20, 9, 11, 8, 12)).all()
    assert (draw({**rect, "angle": 90}, rows=20, cols=20) == rect_mask(20, 20, 8, 12, 9, 11)).all()
    assert (draw({**rect, "scaleX": 2}, rows=20, cols=20) == rect_mask(20, 20, 9, 11, 6, 14)).all()
    ell = obj("Path", left=10, top=10, fill=None, stroke="k", strokeWidth=2,
              path=[["M", 0, 0], ["L", 6, 0], ["L", 6, 6]])  # an L: top edge, then down the right
    plain, flipped = draw(ell, rows=20, cols=20), draw({**ell, "flipX": True}, rows=20, cols=20)
    assert (flipped == plain[:, ::-1]).all() and not (flipped == plain).all()
    skewed = draw({**rect, "skewX": 45, "height": 4}, rows=20, cols=20)
    # x' = x + y: the top row (y = 8.5) spans x 6.5..10.5, the bottom row (11.5) 9.5..13.5
    assert skewed[8, 7] and not skewed[8, 10] and skewed[11, 12] and not skewed[11, 8]


def test_rotation_about_the_left_top_origin() -> None:
    """fabric rotates about the origin point: with origin left/top, left/top stays put."""
    rect = obj("Rect", originX="left", originY="top", left=10, top=10, width=4, height=2, angle=90)
    # turned 90 degrees clockwise about (10, 10): x in [8, 10), y in [10, 14)
    assert (draw(rect, rows=20, cols=20) == rect_mask(20, 20, 10, 14, 8, 10)).all()


def test_fabric_6_objects_without_origin_default_to_left_top() -> None:
    rect = obj("Rect", version="6.0.0", left=2, top=1, width=3, height=2)
    del rect["originX"], rect["originY"]
    assert (draw(rect) == rect_mask(12, 12, 1, 3, 2, 5)).all()
    # fabric 7 defaults to the centre: x 0.5..3.5, y 0..2
    assert (draw({**rect, "version": "7.4.0"}) == rect_mask(12, 12, 0, 2, 0, 3)).all()


# --- views, zoom, origins -------------------------------------------------------------------


def test_zoomed_view_maps_to_the_right_native_pixels() -> None:
    """A 50 x 75 window at (20, 30) of a 100 x 150 image, shown 4x: display (40..80, 20..40)
    is image columns 40..50 and rows 25..30."""
    view = fit_view(100, 150, region=Region(20, 30, 50, 75), width=300)
    assert view.scale_x == 4
    rect = obj("Rect", originX="left", originY="top", left=40, top=20, width=40, height=20)
    mask = rasterize({"objects": [rect]}, view)
    assert (mask == rect_mask(100, 150, 25, 30, 40, 50)).all()


def test_thin_stroke_on_a_zoomed_view_is_one_pixel_wide() -> None:
    view = fit_view(100, 150, region=Region(20, 30, 50, 75), width=300)
    line = obj("Line", left=150, top=101, x1=-100, y1=0, x2=100, y2=0, stroke="k", strokeWidth=1)
    mask = rasterize({"objects": [line]}, view)
    assert mask.any(axis=0)[43:67].all()  # unbroken along its length
    assert mask.sum(axis=0).max() == 1  # one pixel thick, never zero
    assert mask.any(axis=1).nonzero()[0].tolist() == [45]


@pytest.mark.parametrize("origin", [(1, 1), (0, 0), (-3, -5), (4, 7)])
def test_plane_origin_places_the_bits_where_the_image_has_them(origin: tuple[int, int]) -> None:
    drawing = load("freedraw")["json_data"]
    view = fit_view(100, 150, max_size=300, width=300)
    image = rasterize(drawing, view)
    plane = OverlayPlane(0x6000, 60, 90, origin=origin)
    bits = rasterize(drawing, view, plane)
    assert bits.shape == (60, 90)
    placed = place(plane, bits[None], (1, 100, 150))[0]
    footprint = place(plane, np.ones((1, 60, 90), bool), (1, 100, 150))[0]
    assert (placed == (image & footprint)).all()
    assert bits.any()


@settings(max_examples=60, deadline=None)
@given(
    left=st.floats(-30, 60), top=st.floats(-30, 60), width=st.floats(1, 40), height=st.floats(1, 40),
    angle=st.sampled_from([0, 30, 90]), row=st.integers(-20, 30), col=st.integers(-20, 30),
    rows=st.integers(1, 40), cols=st.integers(1, 40), max_size=st.sampled_from([None, 25]),
)
@example(  # an edge a hair off a pixel centre, differently on the image and on the plane
    left=0.25, top=0.0, width=1.566592102628376, height=1.0, angle=0,
    row=0, col=-3, rows=2, cols=5, max_size=25,
)
def test_any_plane_is_the_image_mask_cut_to_its_footprint(
    left: float, top: float, width: float, height: float, angle: int,
    row: int, col: int, rows: int, cols: int, max_size: int | None,
) -> None:
    view = fit_view(40, 50, max_size=max_size)
    rect = obj("Rect", originX="left", originY="top", left=left, top=top, width=width,
               height=height, angle=angle, stroke="k", strokeWidth=2, fill="transparent")
    image = rasterize({"objects": [rect]}, view)
    plane = OverlayPlane(0x6000, rows, cols, origin=(row, col))
    bits = rasterize({"objects": [rect]}, view, plane)
    placed = place(plane, bits[None], (1, 40, 50))[0]
    footprint = place(plane, np.ones((1, rows, cols), bool), (1, 40, 50))[0]
    assert (placed == (image & footprint)).all()


def test_stroke_outside_the_plane_is_clipped_or_empty() -> None:
    line = obj("Line", left=6, top=6, x1=-20, y1=0, x2=20, y2=0, stroke="k", strokeWidth=2)
    assert (draw(line) == rect_mask(12, 12, 5, 7, 0, 12)).all()
    far = {**line, "left": 500}
    assert not draw(far).any()
    away = OverlayPlane(0x6000, 4, 4, origin=(20, 20))
    assert not rasterize({"objects": [line]}, fit_view(12, 12), away).any()


# --- inputs ---------------------------------------------------------------------------------


def test_empty_drawings() -> None:
    view = fit_view(5, 5)
    for data in (None, {}, {"objects": []}, {"objects": None}, {"version": "7.4.0", "objects": []}):
        mask = rasterize(data, view)
        assert mask.shape == (5, 5) and not mask.any()


def test_invisible_objects_are_skipped() -> None:
    rect = obj("Rect", left=6, top=6, width=4, height=4)
    assert not draw({**rect, "visible": False}).any()
    assert not draw({**rect, "opacity": 0}).any()
    assert not draw({**rect, "fill": "transparent"}).any()  # no fill, no stroke: nothing


@pytest.mark.parametrize(
    ("data", "match"),
    [
        ("not a dict", "must be a dict"),
        ({"objects": "x"}, "must be a list"),
        ({"objects": [3]}, "Canvas object 1 is 3"),
        ({"objects": [{"type": "Text", "text": "hi"}]}, 'type "Text", which cannot be drawn'),
        ({"objects": [{"type": "Circle", "left": 1, "top": 1}]},
         r"object 1 \(Circle\) is malformed: its \"radius\""),
        ({"objects": [{"type": "Rect", "left": 1, "top": 1, "width": float("nan"), "height": 1}]},
         "not a finite number"),
        ({"objects": [{"type": "Path", "path": [["X", 1, 2]]}]}, "is not one of M, L"),
        ({"objects": [{"type": "Path", "path": [["M", 1]]}]}, "has 1 values, not 2"),
        ({"objects": [{"type": "Path", "path": []}]}, "has no points"),
        ({"objects": [{"type": "Polygon", "points": [{"x": 1}]}]}, 'its "y" is None'),
        ({"objects": [{"type": "Rect", "width": 1, "height": 1, "originX": "middle"}]}, "originX"),
        ({"objects": [{"type": "Rect", "width": 1, "height": 1, "flipX": "yes"}]}, "flipX"),
    ],
)
def test_malformed_objects_raise_one_sentence(data: Any, match: str) -> None:
    before = copy.deepcopy(data)
    with pytest.raises(InvalidArgumentError, match=match) as info:
        rasterize(data, fit_view(5, 5))
    message = str(info.value)
    assert message.endswith(".") and "\n" not in message
    assert data == before or (isinstance(data, dict) and math.isnan(
        data["objects"][0].get("width", 0)))  # the input is not changed


@pytest.mark.parametrize(
    ("color", "expected"),
    [(None, True), ("", True), ("transparent", True), ("rgba(255, 165, 0, 0)", True), ("#0000", True),
     ("#11223300", True), ("hsla(0, 0%, 0%, 0)", True), ("rgba(0,0,0,0.3)", False), ("#eee", False),
     ("red", False), ({"type": "linear"}, False)],
)
def test_is_transparent(color: object, expected: bool) -> None:
    assert is_transparent(color) is expected
