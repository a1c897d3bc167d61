"""Zoom and pan: the region shown stays on the image, keeps its aspect, and fits the canvas."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from overlay_core.errors import InvalidArgumentError
from overlay_core.model import OverlayPlane
from overlay_core.render.geometry import Region
from overlay_core.render.navigation import (
    MAX_ZOOM,
    ZOOM_STEPS,
    canvas_width,
    extent_view,
    pan,
    step_zoom,
    zoom_window,
)


@given(rows=st.integers(1, 5000), cols=st.integers(1, 5000), zoom=st.floats(1, 100),
       r=st.floats(-1e4, 1e4), c=st.floats(-1e4, 1e4))
def test_the_region_always_lies_on_the_image(rows: int, cols: int, zoom: float, r: float, c: float) -> None:
    region = zoom_window(rows, cols, zoom, (r, c))
    assert 0 <= region.row0 and region.row0 + region.rows <= rows
    assert 0 <= region.col0 and region.col0 + region.cols <= cols
    assert region.rows >= 1 and region.cols >= 1
    z = min(zoom, MAX_ZOOM)
    assert abs(region.rows - rows / z) <= 1 or region.rows == 1
    assert abs(region.cols - cols / z) <= 1 or region.cols == 1


def test_zoom_steps_go_in_and_out_and_stop_at_the_ends() -> None:
    assert [step_zoom(1, k) for k in (1, 2, 3)] == list(ZOOM_STEPS[1:4])
    assert step_zoom(ZOOM_STEPS[-1], 1) == ZOOM_STEPS[-1] and step_zoom(1, -1) == 1
    assert step_zoom(5, -1) == 4 and step_zoom(5, 1) == 6  # between steps: the next one each way


def test_pan_moves_by_a_fraction_of_the_region_and_stops_at_the_edges() -> None:
    region = zoom_window(400, 400, 4, (200, 200))  # 100 x 100 in the middle
    assert pan(region, 400, 400, 0, 0.25) == (200.0, 225.0)
    assert pan(region, 400, 400, -10, 10) == (50.0, 350.0)  # clamped: the region stays on the image


def test_extent_of_a_plane_off_the_origin() -> None:
    plane = OverlayPlane(0x6000, 40, 20, origin=(101, 201))  # image rows 100-139, columns 200-219
    zoom, centre = extent_view(plane, 512, 512, margin=0)
    assert centre == (120.0, 210.0)
    region = zoom_window(512, 512, zoom, centre)
    assert region.row0 <= 100 and region.row0 + region.rows >= 140
    assert region.col0 <= 200 and region.col0 + region.cols >= 220


def test_small_images_are_enlarged_to_the_canvas_and_large_ones_shrunk() -> None:
    assert canvas_width(Region(0, 0, 128, 256), 900, 600) == 900  # 3.5x
    assert canvas_width(Region(0, 0, 4096, 4096), 900, 500) == 500
    assert canvas_width(Region(0, 0, 4, 4), 900, 600, max_scale=16) == 64


def test_bad_zoom_and_empty_images_are_refused() -> None:
    with pytest.raises(InvalidArgumentError, match="at least 1"):
        zoom_window(10, 10, 0.5)
    with pytest.raises(InvalidArgumentError, match="no image"):
        zoom_window(0, 10, 1)
    with pytest.raises(InvalidArgumentError, match="room"):
        canvas_width(Region(0, 0, 1, 1), 0, 10)
