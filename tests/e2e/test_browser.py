"""A real browser draws strokes on the Edit canvas; the downloaded file has the bits there.

AppTest cannot draw, so this test drives Debian's chromium through Playwright: it
uploads a synthetic file whose plane lies at origin 11\\21 (not 1\\1), draws a brush
stroke with the mouse on the Edit canvas (applied on release), then another in a zoomed
view, downloads the file from Export, and checks that the new bits lie where the strokes
were drawn, mapping the mouse positions through the same view geometry the page uses.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from overlay_core.planes.placement import origin_offset
from overlay_core.planes.reading import plane_bits, read_plane
from overlay_core.render.geometry import ViewGeometry, fit_view
from overlay_core.render.navigation import zoom_window
from tests.builders import add_plane, image_dataset, to_file_bytes
from tests.e2e.editor import canvas_box, commit, download, goto, open_file, press, stroke, upload

# The fixtures `server`, `browser` and `page` (see tests/e2e/browser.py).

pytestmark = pytest.mark.e2e

ROWS, COLS = 120, 160
PLANE_ROWS, PLANE_COLS = 80, 120
ORIGIN = (11, 21)  # plane row 0 is image row 10, plane column 0 is image column 20
BRUSH = 6  # the Edit page's default brush, in image pixels


def synthetic_file(tmp_path: Path) -> tuple[Path, np.ndarray]:
    ds = image_dataset(ROWS, COLS)
    mask = np.zeros((1, PLANE_ROWS, PLANE_COLS), bool)
    mask[0, 0, :] = True  # a line along the plane's top edge, far from the stroke
    add_plane(ds, 0x6000, mask, origin=ORIGIN, label="E2E")
    path = tmp_path / "e2e-offset.dcm"
    path.write_bytes(to_file_bytes(ds))
    return path, mask[0]


def check_stroke(new: np.ndarray, view: ViewGeometry, start: float, end: float, y: float) -> None:
    """The bits ``new`` (plane space) are the brush band along ``(start..end, y)`` in canvas px."""
    (r0, c0), (_, c1) = view.display_to_image(start, y), view.display_to_image(end, y)
    dr, dc = origin_offset(ORIGIN)
    half = BRUSH / 2  # half the brush, in image pixels
    rows, cols = np.nonzero(new)
    image_rows, image_cols = rows + dr, cols + dc
    assert image_rows.min() >= r0 - half - 1 and image_rows.max() <= r0 + half + 1
    assert image_cols.min() >= c0 - half - 1 and image_cols.max() <= c1 + half + 1
    # ... and along its whole length: the centre row is set from end to end (inside the caps).
    centre = int(r0) - dr
    assert new[centre, int(np.ceil(c0)) - dc:int(c1) - dc].all()


def test_strokes_drawn_with_the_mouse_land_on_the_right_pixels(
    page: Any, server: str, tmp_path: Path
) -> None:
    path, before = synthetic_file(tmp_path)
    open_file(page, server, path)
    goto(page, "Edit")
    box = canvas_box(page)
    fit = fit_view(ROWS, COLS, width=round(box["width"]))
    assert round(box["height"]) == fit.display_height

    # A horizontal brush stroke across the middle of the plane, applied on release.
    y1 = fit.image_to_display(40, 0)[1]
    x1a, x1b = fit.image_to_display(0, 40)[0], fit.image_to_display(0, 120)[0]
    stroke(page, [(x1a, y1), (x1b, y1)], steps=25)
    commit(page, 1)

    # Zoom in twice (1 -> 1.5 -> 2) around the centre and draw lower down.
    press(page, "edit.zoom_in")
    press(page, "edit.zoom_in")
    page.get_by_text("Zoom 2×").wait_for()
    zoomed_box = canvas_box(page)
    window = zoom_window(ROWS, COLS, 2)
    zoomed = fit_view(ROWS, COLS, region=window, width=round(zoomed_box["width"]))
    y2 = zoomed.image_to_display(70, 0)[1]
    x2a, x2b = zoomed.image_to_display(0, 60)[0], zoomed.image_to_display(0, 100)[0]
    stroke(page, [(x2a, y2), (x2b, y2)], steps=25)
    commit(page, 2)

    written = download(page)
    plane = read_plane(written, 0x6000)
    assert (plane.origin, plane.rows, plane.columns) == (ORIGIN, PLANE_ROWS, PLANE_COLS)
    bits = plane_bits(written, 0x6000)[0]
    new = bits & ~before
    dr = origin_offset(ORIGIN)[0]
    upper, lower = new.copy(), new.copy()
    upper[55 - dr:] = False  # the first stroke lies around image row 40, the second around row 70
    lower[:55 - dr] = False
    check_stroke(upper, fit, x1a, x1b, y1)
    check_stroke(lower, zoomed, x2a, x2b, y2)
    assert before[0].all() and bits[0].all()  # the plane's own line is kept


def test_files_uploaded_one_after_another_all_open(page: Any, server: str, tmp_path: Path) -> None:
    """Regression: the uploader's second value holds the first upload as a DeletedFile
    (released from Streamlit's manager once read), and emptying it raised in the callback."""
    paths = []
    for n in range(3):
        ds = image_dataset(32, 40, seed=n)
        add_plane(ds, 0x6000, np.eye(32, 40, dtype=bool), label=f"N{n}")
        paths.append(tmp_path / f"one-by-one-{n}.dcm")
        paths[-1].write_bytes(to_file_bytes(ds))
    open_file(page, server, paths[0])
    for path in paths[1:]:
        upload(page, path)  # waits until the sidebar shows it as the active file
    files = page.locator('[class*="st-key-open-file-"]')
    assert files.count() == 3
    assert page.get_by_test_id("stException").count() == 0
    assert "one-by-one-0.dcm" in files.last.inner_text()  # the first is still open (newest on top)
