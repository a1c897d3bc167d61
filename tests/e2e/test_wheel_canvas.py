"""Wheel zoom on the Edit canvas in a real browser: the canvas stays mounted and swaps its picture,
and a stroke drawn at any moment around a wheel notch is stored where it was drawn, or (while the
canvas does not show the new view yet) not drawn at all (issue 17; ``studio/editor/views.py``).

The page fixture fails a test on any uncaught page error.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from overlay_core.planes.reading import plane_bits
from tests.builders import add_plane, image_dataset, to_file_bytes
from tests.e2e.editor import FIND_BACKGROUND, canvas_box, download, goto, open_file, wait_idle

pytestmark = pytest.mark.e2e

ROWS, COLS = 200, 300

#: The colour of plane 6000 on the canvas' background at the point (x, y) of the canvas.
_PLANE_AT = """([x, y]) => {
  """ + FIND_BACKGROUND + """
  const d = background().getContext('2d').getImageData(Math.round(x), Math.round(y), 1, 1).data;
  return d[0] > 200 && d[1] > 180 && d[2] < 80;  // plane 6000's yellow
}"""


_COUNT_ABOVE = """(n) => {
  const m = document.querySelector('.st-key-edit-status')?.innerText.match(/(\\d+) applied/);
  return !!m && Number(m[1]) > n;
}"""


def make_file(tmp_path: Path) -> Path:
    ds = image_dataset(ROWS, COLS)
    add_plane(ds, 0x6000, np.zeros((1, ROWS, COLS), bool), label="WHEEL")
    path = tmp_path / "wheel.dcm"
    path.write_bytes(to_file_bytes(ds))
    return path


def applied(page: Any) -> int:
    found = re.search(r"(\d+) applied", page.locator(".st-key-edit-status").inner_text())
    assert found
    return int(found.group(1))


def window_shown(page: Any) -> tuple[int, int, int, int]:
    """The image rows and columns the canvas shows, 0-based: ``(row0, rows, col0, cols)``."""
    status = page.locator(".st-key-edit-status").inner_text()
    found = re.search(r"rows (\d+)–(\d+), columns (\d+)–(\d+)", status)
    assert found
    r0, r1, c0, c1 = (int(g) - 1 for g in found.groups())
    return (r0, r1 - r0 + 1, c0, c1 - c0 + 1)


def test_a_stroke_around_a_wheel_notch_is_stored_where_it_was_drawn_or_not_drawn(
    page: Any, server: str, tmp_path: Path
) -> None:
    open_file(page, server, make_file(tmp_path))
    goto(page, "Edit")
    page.locator(".st-key-edit-status").get_by_text("0 applied on release").wait_for()
    box = canvas_box(page)
    key = page.locator('[class*="st-key-canvas-"]').first.get_attribute("class")
    stored: list[tuple[int, int]] = []  # the image pixel under the middle of each stroke stored
    for delay, fy in ((0, 0.3), (200, 0.5), (None, 0.7)):  # None: once the canvas shows the new view
        page.mouse.move(box["x"] + 0.8 * box["width"], box["y"] + 0.2 * box["height"])
        page.mouse.wheel(0, -120)
        if delay is None:
            canvas_box(page)
        else:
            page.wait_for_timeout(delay)
        before = applied(page)
        y = box["y"] + fy * box["height"]
        page.mouse.move(box["x"] + 0.2 * box["width"], y)
        page.mouse.down()
        page.mouse.move(box["x"] + 0.4 * box["width"], y, steps=4)
        page.mouse.up()
        try:  # a stroke drawn is applied within seconds
            page.wait_for_function(_COUNT_ABOVE, arg=before, timeout=5000 if delay is not None else 30_000)
        except PlaywrightTimeout:
            assert delay is not None, "a stroke drawn on the canvas showing the new view was not applied"
        canvas_box(page)  # idle, and the canvas shows the view the status line names
        host = page.locator('[class*="st-key-canvas-"]').first
        assert host.get_attribute("class") == key  # never remounted
        if applied(page) == before:
            continue  # held: the canvas did not show the new view yet, and nothing was drawn
        assert applied(page) == before + 1
        # the canvas (the stored plane, drawn by the server) has the plane where the stroke was drawn
        assert page.evaluate(_PLANE_AT, [0.3 * box["width"], fy * box["height"]])
        r0, rows, c0, cols = window_shown(page)
        stored.append((int(r0 + fy * rows), int(c0 + 0.3 * cols)))
    wait_idle(page)
    bits = plane_bits(download(page), 0x6000)[0]
    for row, col in stored:
        assert bits[row - 2:row + 3, col].any(), f"no stroke stored at image row {row}, column {col}"
