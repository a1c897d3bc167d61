"""The canvas shows what is stored (issue 17): after every stroke, undo, redo, erase and plane
operation a screenshot of the canvas equals the app's own render of the downloaded file,
composited as Inspect composites it; a stroke past a small plane grows it (or is clipped);
viewer gestures on the canvas.

Chromium (Debian's package) drives ``streamlit run app.py``; the page fixture fails a test
on any uncaught page error (``this.clear is not a function`` was one).
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import expect

from overlay_core.planes.reading import load, read_plane
from overlay_core.render.compose import render
from overlay_core.render.geometry import Region
from overlay_core.render.styles import default_style
from tests.builders import add_plane, image_dataset, to_file_bytes
from tests.e2e.editor import CANVAS, canvas_box, commit, download, goto, open_file, press, stroke, wait_idle

pytestmark = pytest.mark.e2e

ROWS, COLS = 120, 160


def make_file(tmp_path: Path, plane_shape: tuple[int, int] = (ROWS, COLS), origin: tuple[int, int] = (1, 1),
              name: str = "truth.dcm") -> Path:
    ds = image_dataset(ROWS, COLS)
    add_plane(ds, 0x6000, np.zeros((1, *plane_shape), bool), origin=origin, label="TRUTH")
    path = tmp_path / name
    path.write_bytes(to_file_bytes(ds))
    return path


def status(page: Any) -> str:
    return str(page.locator(".st-key-edit-status").inner_text())


def shown_region(page: Any) -> Region:
    """The image rows and columns the canvas shows, as its status line says."""
    found = re.search(r"rows (\d+)–(\d+), columns (\d+)–(\d+)", status(page))
    assert found, status(page)
    r0, r1, c0, c1 = (int(g) - 1 for g in found.groups())  # 1-based on screen, 0-based here
    return Region(r0, c0, r1 - r0 + 1, c1 - c0 + 1)


def canvas_pixels(page: Any) -> np.ndarray:
    """The canvas as the user sees it (background, drawing layer and anything over them)."""
    page.mouse.move(0, 0)  # no cursor or hover over the canvas
    # applied strokes leave the canvas once the pointer rests: then only the stored plane shows
    # (and the tools column has followed the canvas' last change: the editor is at rest)
    page.wait_for_function("() => window.__overlayStudioPending === false"
                           " && !document.body.classList.contains('os-stale')")
    wait_idle(page)
    canvas_box(page)
    canvas = page.locator(CANVAS).last
    # its own pixels: inside any border, not a rounded box
    x, y, width, height = canvas.evaluate("""c => {
        const r = c.getBoundingClientRect();
        return [r.left + c.clientLeft, r.top + c.clientTop, c.width, c.height];
    }""")
    shot = page.screenshot(clip={"x": x, "y": y, "width": width, "height": height}, animations="disabled")
    return np.asarray(Image.open(io.BytesIO(shot)).convert("RGB"))


def assert_canvas_shows(page: Any, ds: Any, what: str) -> None:
    """The canvas equals the render of ``ds`` (one plane, its default style) in the shown view."""
    shot = canvas_pixels(page)
    plane = read_plane(ds, 0x6000)
    expected = render(ds, region=shown_region(page), width=shot.shape[1], styles=[default_style(plane)]).image
    assert expected.shape == shot.shape, (what, expected.shape, shot.shape)
    differ = np.any(expected != shot, axis=2)
    assert not differ.any(), f"{what}: {int(differ.sum())} of {differ.size} pixels differ from the file"


def after(page: Any, text: str) -> None:
    page.locator(".st-key-edit-status").get_by_text(text, exact=False).wait_for()
    wait_idle(page)


def key(page: Any, keys: str) -> None:
    page.locator("h1").first.click()
    page.keyboard.press(keys)
    wait_idle(page)


def back_to_edit(page: Any) -> None:
    goto(page, "Edit")
    after(page, "applied")


# Under load a screenshot can catch the canvas mid-remount (2 px taller): retried, reported by the plugin.
@pytest.mark.flaky(reruns=2)
def test_the_canvas_shows_the_stored_plane_after_strokes_undo_redo_erase_and_crop(
    page: Any, server: str, tmp_path: Path
) -> None:
    path = make_file(tmp_path)
    original = load(path.read_bytes())
    open_file(page, server, path)
    goto(page, "Edit")
    after(page, "0 applied on release")
    box = canvas_box(page)
    w, h = box["width"], box["height"]
    stroke(page, [(0.1 * w, 0.3 * h), (0.9 * w, 0.3 * h)])
    commit(page, 1)
    stroke(page, [(0.1 * w, 0.7 * h), (0.9 * w, 0.7 * h)])
    commit(page, 2)
    drawn = canvas_pixels(page)

    key(page, "Control+z")
    after(page, "1 applied")
    key(page, "Control+z")
    after(page, "0 applied")  # the count follows undo
    assert_canvas_shows(page, original, "after two undos")

    key(page, "Control+y")
    key(page, "Control+y")
    after(page, "2 applied")
    redone = canvas_pixels(page)
    stored = download(page)
    back_to_edit(page)
    assert_canvas_shows(page, stored, "after two redos")
    assert np.array_equal(redone, canvas_pixels(page))
    assert np.array_equal(drawn, redone), "the strokes as drawn were not shown as stored"

    key(page, "e")
    page.get_by_text("Erasing with the brush").first.wait_for()
    box = canvas_box(page)
    stroke(page, [(0.5 * w, 0.1 * h), (0.5 * w, 0.9 * h)])
    commit(page, 3)
    erased = canvas_pixels(page)
    stored = download(page)
    back_to_edit(page)
    assert_canvas_shows(page, stored, "after an erase")
    assert np.array_equal(erased, canvas_pixels(page))

    press(page, "edit.crop")
    after(page, "applied")
    stored = download(page)
    assert read_plane(stored, 0x6000).rows < ROWS  # cropped to the strokes
    back_to_edit(page)
    hide_extent(page)
    assert_canvas_shows(page, stored, "after a crop")
    key(page, "Control+z")  # the crop undone
    after(page, "applied")
    stored = download(page)
    assert read_plane(stored, 0x6000).rows == ROWS
    back_to_edit(page)
    assert_canvas_shows(page, stored, "after undoing the crop")


def hide_extent(page: Any) -> None:
    """Hide the plane's dashed extent outline (drawn over the canvas, never in it)."""
    page.evaluate("""() => {
      const walk = (root) => {
        for (const el of root.querySelectorAll("*")) {
          if (el.classList.contains("og-extent")) el.style.visibility = "hidden";
          if (el.shadowRoot) walk(el.shadowRoot);
        }
      };
      walk(document);
    }""")


def test_a_reload_keeps_the_files_and_edits_and_asks_first(page: Any, server: str, tmp_path: Path) -> None:
    path = make_file(tmp_path, name="reload.dcm")
    open_file(page, server, path)
    goto(page, "Edit")
    after(page, "0 applied on release")
    assert not leaving_asks(page)  # nothing to lose yet
    box = canvas_box(page)
    stroke(page, [(0.2 * box["width"], 0.5 * box["height"]), (0.8 * box["width"], 0.5 * box["height"])])
    commit(page, 1)
    assert leaving_asks(page)
    page.reload()
    page.get_by_test_id("stSidebar").get_by_text("reload.dcm").wait_for()
    after(page, "1 applied")  # the edit and its undo step are back
    expect(page.locator(".st-key-edit-undo").get_by_role("button")).to_be_enabled()
    written = read_plane(download(page), 0x6000)
    assert written.set_bits > 0


def leaving_asks(page: Any) -> bool:
    """Whether leaving the page would ask first (a ``beforeunload`` handler cancels the event)."""
    return bool(page.evaluate("""() => {
        const event = new Event("beforeunload", { cancelable: true });
        window.dispatchEvent(event);
        return event.defaultPrevented;
    }"""))
