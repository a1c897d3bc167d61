"""The editor in a real browser: plane identity, strokes applied on release, shortcuts, layout.

Chromium (Debian's package) drives ``streamlit run app.py`` through Playwright; the
downloaded file is the oracle for where bits land.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from playwright.sync_api import expect

from overlay_core.reading import load, plane_bits, read_plane
from tests.e2e.editor import (
    canvas_box,
    commit,
    download,
    goto,
    open_file,
    pick_plane,
    press,
    stroke,
    wait_idle,
)

pytestmark = pytest.mark.e2e

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus"
WEASIS = CORPUS / "weasis_overlay.dcm"


@pytest.mark.skipif(not WEASIS.exists(), reason="the shared corpus is not mounted")
def test_operations_keep_the_plane_and_a_stroke_lands_on_it(page: Any, server: str) -> None:
    """weasis_overlay.dcm, plane 6004: crop, save attributes, undo, then draw: bits on 6004 only."""
    original = load(WEASIS.read_bytes())
    open_file(page, server, WEASIS)
    goto(page, "Edit")
    pick_plane(page, "f1", 0x6004)

    press(page, "edit.crop")
    page.get_by_text("Drawing on plane 6004").wait_for()
    label = page.locator('[class*="st-key-edit-attr-label-"] input')
    expect(label).to_have_count(1)  # the form of the cropped plane only, once the rerun is done
    label.fill("KEPT")
    page.get_by_role("button", name="Save attributes").click()
    wait_idle(page)
    page.get_by_text("Drawing on plane 6004").wait_for()
    press(page, "edit.undo")  # undoes the attributes, not the crop
    page.get_by_text("Drawing on plane 6004").wait_for()
    assert page.locator(".st-key-edit-plane-f1 input").input_value() == "6004"

    box = canvas_box(page)
    y = box["height"] * 226 / 512  # image row 226: inside 6004 once cropped (rows 221-231)
    stroke(page, [(box["width"] * 0.3, y), (box["width"] * 0.7, y)])
    commit(page, 1)
    written = download(page)

    for group in (0x6000, 0x6002, 0x6006):
        assert np.array_equal(plane_bits(written, group), plane_bits(original, group)), hex(group)
    plane = read_plane(written, 0x6004)
    assert plane.label == ""  # the attributes were undone
    before = read_plane(original, 0x6004)
    assert plane.set_bits > before.set_bits  # the stroke landed on 6004
