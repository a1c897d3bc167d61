"""A real browser draws a stroke on the Edit canvas; the downloaded file has the bits there.

AppTest cannot draw, so this test drives Debian's chromium through Playwright: it
uploads a synthetic file whose plane lies at origin 11\\21 (not 1\\1), draws a brush
stroke with the mouse on the Edit canvas, applies it, downloads the file from Export,
and checks that the new bits lie where the stroke was drawn, mapping the mouse
positions through the same view geometry the page uses.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from overlay_core.geometry import fit_view
from overlay_core.placement import origin_offset
from overlay_core.reading import load, plane_bits, read_plane
from tests.builders import add_plane, image_dataset, to_file_bytes

# The fixtures `server`, `browser` and `page` (see tests/e2e/browser.py).

pytestmark = pytest.mark.e2e

ROWS, COLS = 120, 160
PLANE_ROWS, PLANE_COLS = 80, 120
ORIGIN = (11, 21)  # plane row 0 is image row 10, plane column 0 is image column 20
CANVAS_WIDTH = 200  # the Edit page's default for an image 160 columns wide
BRUSH = 6  # the Edit page's default width, in screen pixels


def wait_idle(page: Any) -> None:
    """Wait until the script is not running and no element is stale (left from a rerun)."""
    page.wait_for_function(
        """() => document.querySelector('[data-testid="stApp"]')?.dataset.testScriptState === 'notRunning'
              && document.querySelectorAll('[data-stale="true"]').length === 0"""
    )


def synthetic_file(tmp_path: Path) -> tuple[Path, np.ndarray]:
    ds = image_dataset(ROWS, COLS)
    mask = np.zeros((1, PLANE_ROWS, PLANE_COLS), bool)
    mask[0, 0, :] = True  # a line along the plane's top edge, far from the stroke
    add_plane(ds, 0x6000, mask, origin=ORIGIN, label="E2E")
    path = tmp_path / "e2e-offset.dcm"
    path.write_bytes(to_file_bytes(ds))
    return path, mask[0]


def test_stroke_drawn_with_the_mouse_lands_on_the_right_pixels(
    page: Any, server: str, tmp_path: Path
) -> None:
    path, before = synthetic_file(tmp_path)
    page.goto(server)
    page.locator(".st-key-upload input[type=file]").set_input_files(str(path))
    page.get_by_text("Files in this session").wait_for()
    page.get_by_test_id("stSidebar").get_by_text("e2e-offset.dcm").wait_for()

    page.get_by_test_id("stSidebarNav").get_by_text("Edit").click()
    page.get_by_text("Nothing drawn yet").wait_for()
    wait_idle(page)
    canvas = page.locator('[class*="st-key-canvas-"] canvas').last
    canvas.wait_for()
    box = canvas.bounding_box()
    view = fit_view(ROWS, COLS, width=CANVAS_WIDTH)
    assert box is not None and round(box["width"]) == view.display_width

    # A horizontal brush stroke in canvas pixels: x 40 -> 160 at y 70.
    start, end, y = 40, 160, 70
    page.mouse.move(box["x"] + start, box["y"] + y)
    page.mouse.down()
    page.mouse.move(box["x"] + end, box["y"] + y, steps=25)
    page.mouse.up()
    page.get_by_text("1 shape drawn, not yet applied.").wait_for()  # the stroke reached the app
    wait_idle(page)

    page.locator(".st-key-apply").get_by_role("button", name="Apply").click()
    page.get_by_text("Nothing drawn yet").wait_for()
    page.locator(".st-key-edit-undo button:enabled").wait_for()
    wait_idle(page)

    page.get_by_test_id("stSidebarNav").get_by_text("Export").click()
    button = page.locator(".st-key-download button")
    button.wait_for()
    wait_idle(page)
    with page.expect_download() as info:
        button.click()
    written = load(Path(info.value.path()).read_bytes())

    plane = read_plane(written, 0x6000)
    assert (plane.origin, plane.rows, plane.columns) == (ORIGIN, PLANE_ROWS, PLANE_COLS)
    bits = plane_bits(written, 0x6000)[0]
    new = bits & ~before
    assert new.any(), "the stroke did not reach the file"

    # Where the stroke must be: the same geometry as the page, then the origin.
    (r0, c0), (_, c1) = view.display_to_image(start, y), view.display_to_image(end, y)
    dr, dc = origin_offset(ORIGIN)
    half = BRUSH / 2 / view.scale  # half the brush, in image pixels
    rows, cols = np.nonzero(new)
    image_rows, image_cols = rows + dr, cols + dc
    assert image_rows.min() >= r0 - half - 1 and image_rows.max() <= r0 + half + 1
    assert image_cols.min() >= c0 - half - 1 and image_cols.max() <= c1 + half + 1
    # ... and along its whole length: the centre row is set from end to end (inside the caps).
    centre = int(r0) - dr
    assert bits[centre, int(np.ceil(c0)) - dc:int(c1) - dc].all()
    assert before[0].all() and bits[0].all()  # the plane's own line is kept
