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

from overlay_core.planes.reading import load, plane_bits, read_plane
from tests.builders import add_plane, image_dataset, to_file_bytes
from tests.e2e.editor import (
    CANVAS,
    canvas_box,
    canvas_compared_with,
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


def synthetic(tmp_path: Path, rows: int = 96, cols: int = 128, frames: int = 1,
              name: str = "edit.dcm") -> Path:
    """A small image with one empty image-sized plane 6000."""
    ds = image_dataset(rows, cols, frames=frames)
    add_plane(ds, 0x6000, np.zeros((1, rows, cols), bool), label="E2E")
    path = tmp_path / name
    path.write_bytes(to_file_bytes(ds))
    return path


def tool_on(page: Any, name: str) -> None:
    """Wait until the tool button ``name`` is shown as the active one."""
    button = page.locator(f".st-key-edit-tool-{name}").get_by_role("button")
    expect(button).to_have_attribute("kind", "primary")


def caption(page: Any, text: str) -> None:
    page.get_by_text(text).first.wait_for()
    wait_idle(page)


def key(page: Any, keys: str) -> None:
    """Press keys with the focus on the page, not in a field."""
    page.locator("h1").first.click()
    page.keyboard.press(keys)
    wait_idle(page)


def test_rapid_strokes_all_land(page: Any, server: str, tmp_path: Path) -> None:
    """Ten strokes 250 ms apart, without waiting for the server: all ten are in the file."""
    open_file(page, server, synthetic(tmp_path))
    goto(page, "Edit")
    page.locator(".st-key-edit-status").get_by_text("0 applied").wait_for()
    box = canvas_box(page)
    ys = [box["height"] * (0.06 + 0.09 * i) for i in range(10)]
    for y in ys:
        stroke(page, [(box["width"] * 0.2, y), (box["width"] * 0.8, y)], steps=3)
        page.wait_for_timeout(250)  # the pace of a quick user, not a wait for the app
    commit(page, 10)
    bits = plane_bits(download(page), 0x6000)[0]
    rows = bits.shape[0]
    for y in ys:
        row = int(y / box["height"] * rows)
        assert bits[row - 2:row + 3, bits.shape[1] // 2].any(), f"the stroke at canvas y={y:.0f} is missing"


def test_the_shortcut_help_reads_as_written(page: Any, server: str, tmp_path: Path) -> None:
    """The Shortcuts popover shows every key as written ('+ and -' was once a bullet and '-')."""
    from studio.editor.settings import SHORTCUTS

    open_file(page, server, synthetic(tmp_path))
    goto(page, "Edit")
    page.locator(".st-key-edit-status").get_by_text("0 applied").wait_for()
    page.get_by_role("button", name="Shortcuts").click()
    table = page.get_by_role("table").filter(has_text="Shift+PageUp")
    table.wait_for()
    rows = [[cell.strip() for cell in row.split("\t")] for row in table.inner_text().splitlines()[1:]]
    assert [tuple(row) for row in rows] == list(SHORTCUTS)
    assert ["+ and -", "Zoom in / out"] in rows
    assert ["Shift+PageUp / Shift+PageDown", "Previous / next instance of a series"] in rows


def test_every_shortcut(page: Any, server: str, tmp_path: Path) -> None:
    open_file(page, server, synthetic(tmp_path))
    goto(page, "Edit")
    page.locator(".st-key-edit-status").get_by_text("0 applied").wait_for()
    for keys, tool in (("l", "line"), ("r", "rectangle"), ("c", "circle"), ("p", "polygon"), ("b", "brush")):
        key(page, keys)
        tool_on(page, tool)
    key(page, "e")
    expect(page.locator(".st-key-edit-eraser").get_by_role("button")).to_have_attribute("kind", "primary")
    caption(page, "Erasing with the brush")
    key(page, "e")
    caption(page, "Drawing with the brush")
    key(page, "]")
    caption(page, "8 image px")
    key(page, "[")
    key(page, "[")
    caption(page, "5 image px")
    key(page, "+")
    caption(page, "zoom 1.5×")
    key(page, "=")
    caption(page, "zoom 2×")
    status = page.locator(".st-key-edit-status")
    # the rows and columns shown only: the rest of the line says whether the canvas is loading
    before = status.inner_text().split(" · ")[1]
    # Each pan mounts a new canvas, which reruns once it reports its size: a key pressed
    # during that rerun is lost, so each waits for the new canvas (canvas_box).
    key(page, "ArrowRight")
    expect(status).not_to_contain_text(before)  # the columns shown moved right
    canvas_box(page)
    key(page, "ArrowLeft")
    expect(status).to_contain_text(before)
    canvas_box(page)
    key(page, "ArrowDown")
    expect(status).not_to_contain_text(before)
    canvas_box(page)
    key(page, "ArrowUp")
    expect(status).to_contain_text(before)
    key(page, "-")
    caption(page, "zoom 1.5×")
    key(page, "f")
    caption(page, "zoom 1×")

    box = canvas_box(page)
    stroke(page, [(box["width"] * 0.3, box["height"] / 2), (box["width"] * 0.6, box["height"] / 2)])
    commit(page, 1)
    undo, redo = (page.locator(f".st-key-edit-{k}").get_by_role("button") for k in ("undo", "redo"))
    key(page, "Control+z")
    expect(redo).to_be_enabled()
    expect(undo).to_be_disabled()
    key(page, "Control+Shift+z")
    expect(undo).to_be_enabled()
    key(page, "Control+z")
    expect(undo).to_be_disabled()
    key(page, "Control+y")
    expect(undo).to_be_enabled()
    expect(redo).to_be_disabled()
    key(page, "z")  # zoom to the plane: the plane is the whole image here
    caption(page, "zoom 1×")


def test_frame_keys_and_the_shared_frame(page: Any, server: str, tmp_path: Path) -> None:
    open_file(page, server, synthetic(tmp_path, frames=3, name="frames.dcm"))
    goto(page, "Edit")
    # The editor reruns once the browser reports its size; a key pressed during that rerun is lost.
    page.locator(".st-key-edit-status").get_by_text("applied on release", exact=False).wait_for()
    wait_idle(page)
    value = page.locator(".st-key-edit-frame-f1 [data-testid=stSliderThumbValue]")
    expect(value).to_have_text("1")
    key(page, "PageDown")
    expect(value).to_have_text("2")
    key(page, "PageDown")
    expect(value).to_have_text("3")
    key(page, "PageUp")
    expect(value).to_have_text("2")
    goto(page, "Inspect")
    expect(page.locator(".st-key-inspect-frame-f1 [data-testid=stSliderThumbValue]")).to_have_text("2")


def test_a_polygon_applies_when_closed(page: Any, server: str, tmp_path: Path) -> None:
    open_file(page, server, synthetic(tmp_path))
    goto(page, "Edit")
    page.locator(".st-key-edit-status").get_by_text("0 applied").wait_for()
    key(page, "p")
    tool_on(page, "polygon")
    caption(page, "click the first point again to close the polygon")
    box = canvas_box(page)
    w, h = box["width"], box["height"]
    corners = [(0.25 * w, 0.25 * h), (0.75 * w, 0.25 * h), (0.75 * w, 0.75 * h), (0.25 * w, 0.75 * h)]
    for x, y in corners:
        page.mouse.click(box["x"] + x, box["y"] + y)
    page.wait_for_timeout(300)
    assert "0 applied" in page.locator(".st-key-edit-status").inner_text()  # not closed: nothing applied
    page.mouse.click(box["x"] + corners[0][0], box["y"] + corners[0][1])  # close it
    commit(page, 1)
    # The next polygon's points clicked with pauses longer than the editor's rest (0.6 s), as
    # people place points: the canvas is not emptied under it, and it applies when closed.
    second = [(0.1 * w, 0.85 * h), (0.2 * w, 0.85 * h), (0.2 * w, 0.95 * h), (0.1 * w, 0.95 * h)]
    for x, y in [*second, second[0]]:
        page.mouse.click(box["x"] + x, box["y"] + y)
        page.wait_for_timeout(1000)
    commit(page, 2)
    bits = plane_bits(download(page), 0x6000)[0]
    rows, cols = bits.shape
    assert bits[rows // 2, cols // 2]  # filled inside
    assert bits[int(rows * 0.3):int(rows * 0.7), int(cols * 0.3):int(cols * 0.7)].all()
    assert bits[int(rows * 0.9), int(cols * 0.15)]  # the second polygon, filled
    assert not bits[:int(rows * 0.2)].any() and not bits[:, int(cols * 0.8):].any()


@pytest.mark.parametrize("collect", [False, True], ids=["on release", "collect then apply"])
def test_laptop_screen_shows_tools_canvas_and_undo_without_scrolling(
    browser: Any, server: str, tmp_path: Path, collect: bool
) -> None:
    """At 1366 x 768 a 4096 x 4096 image fits: tools, canvas, undo (and Apply) in view."""
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        ds = image_dataset(1024, 1024)  # big enough to be shrunk; small enough to load fast
        add_plane(ds, 0x6000, np.zeros((1, 1024, 1024), bool))
        path = tmp_path / "big.dcm"
        path.write_bytes(to_file_bytes(ds))
        open_file(page, server, path)
        goto(page, "Edit")
        # The editor reruns once the browser reports its size: act after that.
        page.locator(".st-key-edit-status").get_by_text("applied on release").first.wait_for()
        wait_idle(page)
        if collect:
            page.locator(".st-key-edit-release label").first.click()
            page.locator(".st-key-apply").first.wait_for()
            wait_idle(page)
        page.locator(".st-key-edit-status").get_by_text("applied").first.wait_for()
        wait_idle(page)
        keys = ["edit-undo", "edit-redo", "edit-tool-brush", "edit-eraser", "edit-status"]
        if collect:
            keys.append("apply")
        for name in [*keys, "canvas"]:
            locator = (page.locator(CANVAS).last if name == "canvas"
                       else page.locator(f".st-key-{name}").first)
            box = locator.bounding_box()
            assert box is not None, name
            assert box["y"] >= 0 and box["y"] + box["height"] <= 768, (name, box)
            assert box["x"] >= 0 and box["x"] + box["width"] <= 1366, (name, box)
        assert page.evaluate("window.scrollY") == 0
    finally:
        context.close()


def rested(page: Any) -> None:
    """Wait until strokes applied (or refused) have left the canvas: it rests on the stored plane."""
    wait_idle(page)
    page.wait_for_function("() => window.__overlayStudioPending === false")
    canvas_box(page)
    page.wait_for_timeout(300)  # the emptied canvas repainted


def test_a_stroke_past_a_small_plane_grows_it_or_with_the_size_kept_is_refused_and_not_left_painted(
    page: Any, server: str, tmp_path: Path
) -> None:
    ds = image_dataset(96, 128)
    add_plane(ds, 0x6000, np.zeros((1, 20, 20), bool), label="SMALL")  # top-left corner only
    path = tmp_path / "small-plane.dcm"
    path.write_bytes(to_file_bytes(ds))
    open_file(page, server, path)
    goto(page, "Edit")
    page.locator(".st-key-edit-status").get_by_text("applied on release", exact=False).wait_for()
    wait_idle(page)
    box = canvas_box(page)
    w, h = box["width"], box["height"]
    stroke(page, [(0.1 * w, 0.1 * h), (0.5 * w, 0.5 * h)])  # from inside the plane to well past it
    commit(page, 1)
    details = page.get_by_text("Type G · ", exact=False).first
    expect(details).not_to_contain_text("20×20")  # grown with the stroke
    grown = details.inner_text()
    page.locator(".st-key-edit-keep label").first.click()
    wait_idle(page)
    box = canvas_box(page)
    page.mouse.move(0, 0)
    rested(page)
    before = page.locator(CANVAS).last.screenshot()
    stroke(page, [(0.7 * w, 0.7 * h), (0.9 * w, 0.9 * h)])  # far from the plane
    page.get_by_text("Nothing you drew lies on plane 6000", exact=False).first.wait_for()
    page.mouse.move(0, 0)
    rested(page)
    canvas_compared_with(page, before, same=True)  # the refused stroke is gone (fails if it stays)
    assert "1 applied" in page.locator(".st-key-edit-status").inner_text()
    written = read_plane(download(page), 0x6000)
    assert f"{written.rows}×{written.columns} · origin 1\\1" in grown
    assert 40 < written.rows < 96 and 50 < written.columns < 128  # to the stroke, not to the image


def test_the_first_key_after_opening_edit_is_never_lost(page: Any, server: str, tmp_path: Path) -> None:
    """Pressed as soon as the editor says it is ready, three times over: each first ] counts."""
    open_file(page, server, synthetic(tmp_path))
    for expected in (8, 10, 12):
        goto(page, "Edit")
        page.locator(".st-key-edit-status").get_by_text("applied on release", exact=False).wait_for()
        page.locator("h1").first.click()
        page.keyboard.press("]")
        page.get_by_text(f"{expected} image px").first.wait_for(timeout=10_000)
        page.wait_for_timeout(1000)  # later reruns (the canvas reporting in) must not undo it
        assert page.get_by_text(f"{expected} image px").count() >= 1
        goto(page, "Inspect")


def test_a_stroke_drawn_while_the_canvas_is_emptied_is_not_lost(
    page: Any, server: str, tmp_path: Path
) -> None:
    """A stroke started right after another is released, and drawn slowly: the first is
    applied (and the canvas emptied) while the second is under way; both are in the file."""
    open_file(page, server, synthetic(tmp_path))
    goto(page, "Edit")
    page.locator(".st-key-edit-status").get_by_text("0 applied").wait_for()
    wait_idle(page)
    box = canvas_box(page)
    w, h = box["width"], box["height"]
    for i in range(3):
        y1, y2 = h * (0.1 + 0.3 * i), h * (0.2 + 0.3 * i)
        page.mouse.move(box["x"] + 0.2 * w, box["y"] + y1)
        page.mouse.down()
        page.mouse.move(box["x"] + 0.8 * w, box["y"] + y1, steps=3)
        page.mouse.up()
        page.mouse.move(box["x"] + 0.2 * w, box["y"] + y2)
        page.mouse.down()
        for k in range(1, 16):  # about 1.5 s: the first stroke is applied meanwhile
            page.mouse.move(box["x"] + (0.2 + 0.04 * k) * w, box["y"] + y2)
            page.wait_for_timeout(100)
        page.mouse.up()
        commit(page, 2 * (i + 1))  # each once: what the new tool caught was taken back
    bits = plane_bits(download(page), 0x6000)[0]
    rows, cols = bits.shape
    for i in range(3):
        for y in (0.1 + 0.3 * i, 0.2 + 0.3 * i):
            row = int(y * rows)
            assert bits[row - 1:row + 2, cols // 2].any(), f"the stroke at {y:.0%} of the height is missing"
