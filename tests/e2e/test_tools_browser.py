"""The tools of issue 18 in a real browser: W then a click fills exactly a uniform region, the
intensity range limits the brush, and Ctrl+Z undoes each tool. The downloaded file is the oracle.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from playwright.sync_api import expect
from scipy import ndimage
from skimage.segmentation import flood

from overlay_core.planes.reading import plane_bits
from tests import tool_support as ts
from tests.builders import add_plane, to_file_bytes
from tests.e2e.editor import canvas_box, commit, download, goto, open_file, press, stroke, wait_idle

pytestmark = pytest.mark.e2e

ROWS, COLS = 40, 50


def blocks_file(tmp_path: Path) -> Path:
    """The tool tests' image (uniform blocks on noise, rescaled) with an empty image-sized plane."""
    ds = ts.image(ts.blocks(), slope=2.0, intercept=-1024.0)
    add_plane(ds, 0x6000, np.zeros((1, ROWS, COLS), bool))
    path = tmp_path / "blocks.dcm"
    path.write_bytes(to_file_bytes(ds))
    return path


def at_pixel(box: dict[str, float], row: int, col: int) -> tuple[float, float]:
    """The canvas point at the centre of image pixel (row, col)."""
    return (col + 0.5) * box["width"] / COLS, (row + 0.5) * box["height"] / ROWS


def key(page: Any, keys: str) -> None:
    page.locator("h1").first.click()
    page.keyboard.press(keys)
    wait_idle(page)


def fill_click(page: Any, row: int, col: int, applied: int) -> None:
    box = canvas_box(page)
    x, y = at_pixel(box, row, col)
    page.mouse.click(box["x"] + x, box["y"] + y)
    commit(page, applied)


def expected_fill(path: Path, row: int, col: int) -> np.ndarray:
    from overlay_core.planes.reading import load

    ds = load(path.read_bytes())
    return np.asarray(flood(ts.modality(ds), (row, col), tolerance=0, connectivity=1))


def test_w_then_a_click_fills_exactly_the_uniform_region(page: Any, server: str, tmp_path: Path) -> None:
    path = blocks_file(tmp_path)
    open_file(page, server, path)
    goto(page, "Edit")
    page.locator(".st-key-edit-status").get_by_text("0 applied").wait_for()
    key(page, "w")
    expect(page.locator(".st-key-edit-tool-fill").get_by_role("button")).to_have_attribute("kind", "primary")
    fill_click(page, 10, 20, 1)  # inside the 15 x 22 block of one value
    bits = plane_bits(download(page), 0x6000)[0]
    region = expected_fill(path, 10, 20)
    assert region.sum() == 15 * 22
    assert np.array_equal(bits, region)


def test_the_intensity_range_limits_the_brush(page: Any, server: str, tmp_path: Path) -> None:
    path = blocks_file(tmp_path)
    open_file(page, server, path)
    goto(page, "Edit")
    page.locator(".st-key-edit-status").get_by_text("0 applied").wait_for()
    page.get_by_text("Intensity range").first.click()
    page.locator(".st-key-edit-range-on").get_by_text("Paint only in range").click()
    wait_idle(page)
    for name, value in (("low", "976"), ("high", "990")):  # stored 1000-1007: 976-990 after rescaling
        field = page.locator(f".st-key-edit-range-{name} input")
        field.fill(value)
        field.press("Enter")
        wait_idle(page)
    key(page, "b")
    box = canvas_box(page)
    row_y = at_pixel(box, 12, 0)[1]
    stroke(page, [(2, row_y), (box["width"] - 2, row_y)])  # across the block and the noise
    commit(page, 1)
    bits = plane_bits(download(page), 0x6000)[0]
    from overlay_core.planes.reading import load

    values = ts.modality(load(path.read_bytes()))
    inside = (values >= 976) & (values <= 990)
    assert bits.any() and not bits[~inside].any()  # painted only where the value is in range
    assert bits[12, 10:28].all()  # the block the stroke crossed


def test_ctrl_z_undoes_each_tool(page: Any, server: str, tmp_path: Path) -> None:
    path = blocks_file(tmp_path)
    open_file(page, server, path)
    goto(page, "Edit")
    page.locator(".st-key-edit-status").get_by_text("0 applied").wait_for()
    key(page, "w")
    fill_click(page, 10, 20, 1)
    key(page, "Control+z")  # undo the fill
    expect(page.locator(".st-key-edit-undo").get_by_role("button")).to_be_disabled()
    fill_click(page, 22, 5, 1)  # the band (the count follows undo: one stroke in effect)
    page.get_by_text("Tools for plane 6000").click()
    press(page, "edit.tools.grow")  # 3 pixels
    key(page, "Control+z")  # undo the margin, keep the fill
    band = expected_fill(path, 22, 5)
    bits = plane_bits(download(page), 0x6000)[0]
    assert np.array_equal(bits, band)
    assert not np.array_equal(ndimage.binary_dilation(band, iterations=3), band)  # the grow did change it
    goto(page, "Edit")
    key(page, "Control+z")  # undo the second fill
    assert not plane_bits(download(page), 0x6000).any()
