"""The image-frame control fits its column on a 1366-pixel-wide screen (Inspect and Edit).

Found in a QA pass: with the slider and both PageUp/PageDown buttons on one row, the
buttons' shortcut hints did not fit their narrow columns, so the buttons overlapped the
slider and the next-frame button stuck out past the page's right edge.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.builders import multiframe_file
from tests.e2e.editor import goto, open_file, wait_idle

pytestmark = pytest.mark.e2e


def _box(page: Any, selector: str) -> dict[str, float]:
    box = page.locator(selector).get_by_role("button").bounding_box()
    assert box is not None, selector
    return dict(box)


@pytest.mark.parametrize("title", ["Inspect", "Edit"])
def test_frame_buttons_stay_inside_the_frame_control(
    page: Any, server: str, tmp_path: Path, title: str
) -> None:
    page.set_viewport_size({"width": 1366, "height": 768})
    path = tmp_path / "frames.dcm"
    path.write_bytes(multiframe_file(image_frames=5, plane_frames=5, image_frame_origin=1)[0])
    open_file(page, server, path)
    goto(page, title)
    if title == "Edit":  # the editor reruns once the browser reports its size: measure after that
        page.locator(".st-key-edit-status").get_by_text("applied on release", exact=False).wait_for()
    wait_idle(page)
    key = title.lower()
    slider = page.locator(f".st-key-{key}-frame-f1").bounding_box()
    assert slider is not None
    main = page.get_by_test_id("stMainBlockContainer").bounding_box()
    assert main is not None
    prev, nxt = _box(page, f".st-key-{key}-frame-prev"), _box(page, f".st-key-{key}-frame-next")
    right_edge = main["x"] + main["width"]
    for button in (prev, nxt):
        assert button["x"] + button["width"] <= right_edge + 1  # not past the page's edge
        # ... and not over the slider's track
        x, y, w, h = button["x"], button["y"], button["width"], button["height"]
        overlaps_x = x < slider["x"] + slider["width"] and slider["x"] < x + w
        overlaps_y = y < slider["y"] + slider["height"] and slider["y"] < y + h
        assert not (overlaps_x and overlaps_y), (title, button, slider)
    # the shortcut hint is shown in full inside its button (not clipped)
    for key_name in ("prev", "next"):
        fits = page.locator(f".st-key-{key}-frame-{key_name}").get_by_role("button").evaluate(
            "b => b.scrollWidth <= b.clientWidth + 1")
        assert fits, key_name
