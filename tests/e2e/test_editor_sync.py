"""A stroke or an undo by key reruns the canvas alone; the tools column follows at a pause (issue 17).

A control in the column that changes the canvas reruns both fragments at once.

While the column is a change behind, its plane-dependent parts (statistics, overview) are
greyed (``os-stale`` on ``<body>``, :mod:`studio.editor.sync`); once the pointer rests the
column's fragment reruns and they show the stored plane again. Chromium drives
``streamlit run app.py``; the page fixture fails the test on any uncaught page error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from playwright.sync_api import expect

from overlay_core.planes.reading import plane_bits
from tests.builders import add_plane, image_dataset, to_file_bytes
from tests.e2e.editor import canvas_box, commit, download, goto, open_file, press, stroke, wait_idle

pytestmark = pytest.mark.e2e

# Records, from the page, each time the column went stale: the statistics' opacity then.
_WATCH = """() => {
  window.__staleSeen = [];
  new MutationObserver(() => {
    if (document.body.classList.contains('os-stale')) {
      const stats = document.querySelector('.st-key-edit-stats');
      window.__staleSeen.push(stats ? Number(getComputedStyle(stats).opacity) : null);
    }
  }).observe(document.body, { attributes: true, attributeFilter: ['class'] });
}"""


def _stats(page: Any) -> str:
    return str(page.locator(".st-key-edit-stats").inner_text())


def _followed(page: Any) -> None:
    """Wait until the tools column shows the stored plane again (the pointer rests off the canvas)."""
    page.mouse.move(0, 0)
    page.wait_for_function("() => !document.body.classList.contains('os-stale')"
                           " && window.__overlayStudioPending === false")
    wait_idle(page)


def _edit_empty_plane(page: Any, server: str, tmp_path: Path) -> Any:
    """Open a 120 x 160 image with an empty plane 6000 on Edit; return the status line."""
    ds = image_dataset(120, 160)
    add_plane(ds, 0x6000, np.zeros((1, 120, 160), bool), label="SYNC")
    path = tmp_path / "sync.dcm"
    path.write_bytes(to_file_bytes(ds))
    open_file(page, server, path)
    goto(page, "Edit")
    status = page.locator(".st-key-edit-status")
    status.get_by_text("0 applied on release").wait_for()
    wait_idle(page)
    return status


def test_a_stroke_and_an_undo_by_key_rerun_the_canvas_and_the_column_follows_greyed_meanwhile(
    page: Any, server: str, tmp_path: Path
) -> None:
    _edit_empty_plane(page, server, tmp_path)
    undo = page.locator(".st-key-edit-undo").get_by_role("button")
    expect(undo).to_be_disabled()
    empty = _stats(page)
    page.evaluate(_WATCH)

    box = canvas_box(page)
    stroke(page, [(0.2 * box["width"], 0.5 * box["height"]), (0.8 * box["width"], 0.5 * box["height"])])
    commit(page, 1)
    _followed(page)
    seen = page.evaluate("window.__staleSeen")
    assert seen and all(o is not None and o < 0.6 for o in seen), seen  # greyed while behind
    drawn = _stats(page)
    assert drawn != empty  # the statistics count the stroke
    expect(undo).to_be_enabled()

    page.evaluate(_WATCH)
    page.locator("h1").first.click()
    page.keyboard.press("Control+z")
    page.locator(".st-key-edit-status").get_by_text("0 applied on release").wait_for()
    _followed(page)
    assert page.evaluate("window.__staleSeen")  # the undo reran the canvas alone, then the column
    assert _stats(page) == empty
    expect(undo).to_be_disabled()
    expect(page.locator(".st-key-edit-redo").get_by_role("button")).to_be_enabled()


def test_a_control_in_the_column_changes_the_canvas_in_the_same_run(
    page: Any, server: str, tmp_path: Path
) -> None:
    """Zoom and a tool picked in the tools column reach the canvas' fragment at once (both rerun)."""
    status = _edit_empty_plane(page, server, tmp_path)
    expect(status).to_contain_text("rows 1–120, columns 1–160")
    press(page, "edit.zoom_in")
    expect(status).not_to_contain_text("rows 1–120, columns 1–160")  # the canvas shows the new view
    press(page, "edit.fit")
    expect(status).to_contain_text("rows 1–120, columns 1–160")

    press(page, "edit.tool.rectangle")
    expect(page.get_by_text("Drawing with the rectangle").first).to_be_visible()
    box = canvas_box(page)
    stroke(page, [(0.25 * box["width"], 0.25 * box["height"]), (0.75 * box["width"], 0.75 * box["height"])])
    commit(page, 1)
    bits = plane_bits(download(page), 0x6000)[0]
    # a filled 60 x 80 rectangle, as dragged (a brush along the diagonal would set ~600 pixels)
    assert bits[60, 80] and abs(int(bits.sum()) - 60 * 80) < 0.15 * 60 * 80, int(bits.sum())
