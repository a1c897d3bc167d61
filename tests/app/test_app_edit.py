"""Edit page: drawings injected through the canvas' own session-state key, applied on
release or collected then applied, undo/redo, new planes, erase, zoom, keys, frames,
attributes and plane operations, and the edited file downloaded.

AppTest cannot draw, so a test puts a fabric.js drawing where streamlit-drawable-canvas
keeps the value its browser side sends: ``st.session_state[<canvas key>]["drawing"]["raw"]``
(:func:`studio.editor.canvas.inject_drawing`), and the browser's size where the editor's key
listener keeps it (``st.session_state["edit.keys"]``), so the view's scale is known. The
page reads them as it does in a browser. The real-browser tests in tests/e2e draw with the
mouse.
"""

from __future__ import annotations

import base64
import io
import json
from typing import Any

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from overlay_core.planes.reading import load, plane_bits, read_plane, read_planes
from overlay_core.planes.writing import to_bytes
from overlay_core.render.geometry import fit_view
from overlay_core.render.navigation import canvas_width, zoom_window
from studio import state
from studio.editor.canvas import inject_drawing
from studio.editor.strokes import ERASE_FILL, ERASE_STROKE
from tests import builders as b
from tests.app.support import Downloads, errors, goto, no_exception, shown
from tests.builders import add_plane, embedded_file, image_dataset, multiframe_file, to_file_bytes

ROWS, COLS = 40, 50  # shown 200 px wide (the column the test browser reports): 4 screen px per pixel
ORIGIN = (3, 4)  # plane's top-left on image row 2, column 3 (0-based)


def rect(left: float, top: float, width: float, height: float, **extra: Any) -> dict[str, Any]:
    """A filled fabric 7 rectangle in canvas pixels, positioned by its top-left corner."""
    return {
        "type": "Rect", "version": "7.0.0", "originX": "left", "originY": "top",
        "left": left, "top": top, "width": width, "height": height,
        "fill": "rgba(255, 61, 245, 0.35)", "stroke": "#ff3df5", "strokeWidth": 0, **extra,
    }


def erase_rect(left: float, top: float, width: float, height: float) -> dict[str, Any]:
    """A rectangle drawn with the eraser on (its colours say so)."""
    return rect(left, top, width, height, stroke=ERASE_STROKE, fill=ERASE_FILL)


def drawing(*objects: dict[str, Any]) -> dict[str, Any]:
    return {"version": "7.0.0", "objects": list(objects)}


def offset_file() -> bytes:
    ds = image_dataset(ROWS, COLS)
    mask = np.zeros((1, 20, 30), bool)
    mask[0, 0, 0] = True
    add_plane(ds, 0x6000, mask, origin=ORIGIN, label="OFFSET")
    return to_file_bytes(ds)


#: What the key listener reports in these tests: a tall window, a 200 px wide canvas column.
VIEWPORT = {"width": 1400, "height": 2000, "column": 200, "top": 100}


def open_in_editor(at: AppTest, name: str, data: bytes) -> AppTest:
    at.run()
    at.file_uploader(key="upload").set_value((name, data, "application/dicom")).run()
    at.session_state["edit.keys"] = {"viewport": VIEWPORT}
    return goto(at, "edit")


@pytest.fixture
def edit_app(app: AppTest) -> AppTest:
    return open_in_editor(app, "offset.dcm", offset_file())


def canvas_element(at: AppTest) -> Any:
    [canvas] = [c for c in at.get("bidi_component") if str(c.key).startswith("canvas")]
    return canvas


def canvas_key(at: AppTest) -> str:
    key = str(canvas_element(at).key)
    assert key.startswith("canvas.")
    return key


def draw(at: AppTest, *objects: dict[str, Any], previous: tuple[dict[str, Any], ...] = ()) -> AppTest:
    """Put a drawing on the canvas and rerun, as the browser does on mouse-up.

    The canvas sends every object it holds: ``previous`` are those drawn before (already
    applied), ``objects`` the new ones.
    """
    inject_drawing(at.session_state, canvas_key(at), drawing(*previous, *objects))
    at.run()
    no_exception(at)
    return at


def collect(at: AppTest) -> AppTest:
    """Switch to the collect-then-Apply way."""
    at.toggle(key="edit.release").set_value(False).run()
    return at


def status(at: AppTest) -> str:
    return " ".join(c.value for c in at.caption if "Drawing on plane" in c.value)


def active_bits(at: AppTest, group: int = 0x6000) -> np.ndarray:
    entry = state.active(at.session_state)
    return plane_bits(entry.dataset, group)[0]


def test_defaults_to_the_first_plane_and_keys_the_canvas(edit_app: AppTest) -> None:
    entry = state.active(edit_app.session_state)
    assert edit_app.selectbox(key=f"edit.plane.{entry.id}").value == 0x6000
    assert edit_app.selectbox(key=f"edit.plane.{entry.id}").options[-1] == "New plane"
    assert canvas_key(edit_app).startswith(f"canvas.{entry.id}.6000.0.")
    assert {b.key for b in edit_app.button} >= {
        "edit.tool.brush", "edit.tool.line", "edit.tool.rectangle", "edit.tool.circle", "edit.tool.polygon",
        "edit.eraser", "edit.undo", "edit.redo", "edit.zoom_in", "edit.zoom_out", "edit.fit", "edit.extent"}
    assert not [b for b in edit_app.button if b.key == "apply"]  # strokes apply on release


def test_a_stroke_applies_on_release_at_native_resolution(edit_app: AppTest) -> None:
    before = canvas_key(edit_app)
    first = rect(40, 20, 40, 20)
    draw(edit_app, first)  # image rows 5-9, columns 10-19
    expected = np.zeros((20, 30), bool)
    expected[0, 0] = True
    expected[5 - 2:10 - 2, 10 - 3:20 - 3] = True  # minus the origin offset (2, 3)
    assert np.array_equal(active_bits(edit_app), expected)
    assert canvas_key(edit_app) == before  # the canvas stays mounted: nothing drawn meanwhile is lost
    assert not errors(edit_app) and "1 applied on release" in status(edit_app)
    draw(edit_app, rect(80, 80, 4, 4), previous=(first,))  # the canvas resends the first: applied once
    expected[20 - 2, 20 - 3] = True  # image row 20, column 20
    assert np.array_equal(active_bits(edit_app), expected)
    assert editing_history(edit_app).undo_labels == ["draw", "draw"]  # one undo step per stroke


def test_a_run_without_the_canvas_value_applies_no_stroke_twice(edit_app: AppTest) -> None:
    """Each canvas object applies once: count and undo steps equal the strokes drawn.

    A rerun interrupted before the canvas was drawn can leave the next run without the
    canvas' value; that is not an empty canvas, and the strokes it resends afterwards are
    not applied (nor counted, nor made undo steps) again.
    """
    first, second, third = rect(40, 20, 8, 8), rect(60, 40, 8, 8), rect(80, 80, 4, 4)
    draw(edit_app, first)
    draw(edit_app, second, previous=(first,))
    key = canvas_key(edit_app)
    fit = edit_app.session_state[key]["backgroundFit"]
    edit_app.session_state[key] = {"backgroundFit": fit}  # no drawing in this run
    edit_app.run()
    no_exception(edit_app)
    draw(edit_app, third, previous=(first, second))
    assert not errors(edit_app) and "3 applied on release" in status(edit_app)
    assert editing_history(edit_app).undo_labels == ["draw", "draw", "draw"]


def test_eraser_strokes_clear_pixels(edit_app: AppTest) -> None:
    first = rect(40, 20, 40, 20)
    draw(edit_app, first)
    edit_app.button(key="edit.eraser").click().run()
    assert edit_app.session_state["edit.mode"] == "erase"
    draw(edit_app, erase_rect(40, 20, 20, 20), previous=(first,))  # image columns 10-14
    bits = active_bits(edit_app)
    assert not bits[3:8, 7:12].any() and bits[3:8, 12:17].all()
    assert editing_history(edit_app).undo_labels == ["erase", "draw"]


def test_collect_then_apply_writes_all_strokes_as_one_step(edit_app: AppTest) -> None:
    collect(edit_app)
    apply = edit_app.button(key="apply")
    assert apply.disabled  # nothing drawn yet
    draw(edit_app, rect(40, 20, 40, 20), erase_rect(40, 20, 20, 20))
    assert "2 shapes drawn, not yet applied" in status(edit_app)
    assert active_bits(edit_app).sum() == 1  # nothing written yet
    edit_app.button(key="apply").click().run()
    bits = active_bits(edit_app)
    assert not bits[3:8, 7:12].any() and bits[3:8, 12:17].all()
    assert editing_history(edit_app).undo_labels == ["draw"]


def test_undo_and_redo_restore_exact_bytes(edit_app: AppTest) -> None:
    entry = state.active(edit_app.session_state)
    original = to_bytes(entry.dataset)
    assert edit_app.button(key="edit.undo").disabled
    first = rect(40, 20, 40, 20)
    draw(edit_app, first)
    drawn = to_bytes(entry.dataset)
    assert drawn != original
    edit_app.button(key="edit.undo").click().run()
    assert to_bytes(entry.dataset) == original
    draw(edit_app, first)  # the canvas sends its strokes again before it is cleared: not re-applied
    assert to_bytes(entry.dataset) == original
    edit_app.button(key="edit.redo").click().run()
    assert to_bytes(entry.dataset) == drawn
    assert not edit_app.button(key="edit.undo").disabled and edit_app.button(key="edit.redo").disabled


def test_new_plane_takes_the_first_free_group(edit_app: AppTest) -> None:
    entry = state.active(edit_app.session_state)
    edit_app.selectbox(key=f"edit.plane.{entry.id}").set_value(0).run()
    assert ".6002." in canvas_key(edit_app)
    draw(edit_app, rect(0, 0, 8, 8))
    assert [p.group for p in read_planes(entry.dataset)] == [0x6000, 0x6002]
    assert read_plane(entry.dataset, 0x6002).origin == (1, 1)
    assert active_bits(edit_app, 0x6002).sum() == 4
    assert edit_app.selectbox(key=f"edit.plane.{entry.id}").value == 0x6002


def test_an_undrawable_object_shows_an_error(edit_app: AppTest) -> None:
    entry = state.active(edit_app.session_state)
    original = to_bytes(entry.dataset)
    draw(edit_app, {"type": "Textbox", "version": "7.0.0", "left": 5, "top": 5, "text": "hi"})
    [message] = errors(edit_app)
    assert "cannot be drawn into an overlay plane" in message
    assert to_bytes(entry.dataset) == original
    assert not entry.history.can_undo


def test_zoomed_view_maps_to_the_window(edit_app: AppTest) -> None:
    entry = state.active(edit_app.session_state)
    for _ in range(3):  # 1 -> 1.5 -> 2 -> 3
        edit_app.button(key="edit.zoom_in").click().run()
    window = zoom_window(ROWS, COLS, 3, (ROWS / 2, COLS / 2))
    assert edit_app.session_state[f"edit.zoom.{entry.id}"] == 3
    view = fit_view(ROWS, COLS, region=window, width=canvas_width(window, 200, 2000 - 100 - 78))
    x, y = view.image_to_display(12, 21)  # the top-left corner of image pixel (12, 21)
    s = view.scale
    draw(edit_app, rect(x + s * 0.1, y + s * 0.1, s * 0.8, s * 0.8))
    bits = active_bits(edit_app)
    assert np.argwhere(bits).tolist() == [[0, 0], [12 - 2, 21 - 3]]
    edit_app.button(key="edit.pan.right").click().run()
    assert edit_app.session_state[f"edit.centre.{entry.id}"][1] > COLS / 2
    edit_app.button(key="edit.fit").click().run()
    assert edit_app.session_state[f"edit.zoom.{entry.id}"] == 1


def width(at: AppTest) -> int:
    """The brush width the slider shows (its key carries it: edit.width.<n>)."""
    [slider] = [s for s in at.slider if str(s.key).startswith("edit.width.")]
    assert slider.key == f"edit.width.{slider.value}"
    return int(slider.value)


def test_keys_change_the_brush_tools_and_zoom(edit_app: AppTest) -> None:
    entry = state.active(edit_app.session_state)
    serial = 0
    for key, check in (
        ("]", lambda: width(edit_app) == 8),
        ("[", lambda: width(edit_app) == 6),
        ("r", lambda: edit_app.session_state["edit.tool"] == "Rectangle"),
        ("c", lambda: edit_app.session_state["edit.tool"] == "Circle"),
        ("+", lambda: edit_app.session_state[f"edit.zoom.{entry.id}"] == 1.5),
        ("-", lambda: edit_app.session_state[f"edit.zoom.{entry.id}"] == 1),
    ):
        serial += 1
        edit_app.session_state["edit.keys"] = {"viewport": VIEWPORT,
                                               "presses": {"mount": "test", "presses": [[serial, key]]}}
        edit_app.run()
        assert check(), key
    # two presses that reach the app in one rerun both count; one seen again does not
    presses = [[serial + 1, "]"], [serial + 2, "]"]]
    sent = {"mount": "test", "presses": presses}
    edit_app.session_state["edit.keys"] = {"viewport": VIEWPORT, "presses": sent}
    edit_app.run().run()
    assert width(edit_app) == 10
    edit_app.button(key="edit.tool.brush").click().run()
    assert edit_app.session_state["edit.tool"] == "Brush"
    assert any("10 image px = 40.0 screen px at 400%" in c.value for c in edit_app.caption)


def test_zoom_to_the_plane_extent(edit_app: AppTest) -> None:
    entry = state.active(edit_app.session_state)
    edit_app.button(key="edit.extent").click().run()
    zoom = edit_app.session_state[f"edit.zoom.{entry.id}"]
    window = zoom_window(ROWS, COLS, zoom, edit_app.session_state[f"edit.centre.{entry.id}"])
    # the plane covers image rows 2-21 and columns 3-32 (20 x 30): all of it is in view
    assert window.row0 <= 2 and window.row0 + window.rows >= 22
    assert window.col0 <= 3 and window.col0 + window.cols >= 33 and zoom > 1


def test_attributes_are_saved(edit_app: AppTest) -> None:
    entry = state.active(edit_app.session_state)
    [label] = [w for w in edit_app.text_input if w.key.startswith("edit.attr.label.")]
    label.set_value("EDITED")
    [kind] = [w for w in edit_app.selectbox if w.key.startswith("edit.attr.type.")]
    kind.set_value("R")
    [row] = [w for w in edit_app.number_input if w.key.startswith("edit.attr.origin_row.")]
    row.set_value(5)
    edit_app.button[[b.label for b in edit_app.button].index("Save attributes")].click().run()
    no_exception(edit_app)
    plane = read_plane(entry.dataset, 0x6000)
    assert (plane.label, plane.type.value, plane.origin) == ("EDITED", "R", (5, 4))


def test_invalid_attribute_shows_the_core_error(edit_app: AppTest) -> None:
    entry = state.active(edit_app.session_state)
    [label] = [w for w in edit_app.text_input if w.key.startswith("edit.attr.label.")]
    label.set_value("back\\slash")
    edit_app.button[[b.label for b in edit_app.button].index("Save attributes")].click().run()
    assert errors(edit_app) == [
        "The label must be at most 64 characters without backslashes or control characters."
    ]
    assert read_plane(entry.dataset, 0x6000).label == "OFFSET"


def test_resize_crop_and_delete(edit_app: AppTest) -> None:
    entry = state.active(edit_app.session_state)
    edit_app.button(key="edit.resize").click().run()
    assert read_plane(entry.dataset, 0x6000).shape == (1, ROWS, COLS)
    edit_app.button(key="edit.crop").click().run()
    plane = read_plane(entry.dataset, 0x6000)
    assert (plane.rows, plane.columns, plane.origin) == (1, 1, ORIGIN)
    edit_app.checkbox(key=f"edit.confirm_delete.{entry.id}").check().run()
    edit_app.button(key="edit.delete").click().run()
    no_exception(edit_app)
    assert read_planes(entry.dataset) == []
    assert ".6000." in canvas_key(edit_app)  # the first free group is offered as a new plane
    edit_app.button(key="edit.undo").click().run()
    assert [p.group for p in read_planes(entry.dataset)] == [0x6000]


def test_migrate_an_embedded_plane(app: AppTest) -> None:
    data, masks = embedded_file()
    open_in_editor(app, "embedded.dcm", data)
    entry = state.active(app.session_state)
    picker = app.selectbox(key=f"edit.plane.{entry.id}")
    assert picker.format_func(0x6000) == "6000"  # stable text: the selection survives migration
    assert any("embedded in Pixel Data" in c.value for c in app.caption)
    app.button(key="edit.migrate").click().run()
    no_exception(app)
    plane = read_plane(entry.dataset, 0x6000)
    assert not plane.embedded
    assert app.selectbox(key=f"edit.plane.{entry.id}").value == 0x6000
    assert not any("embedded in Pixel Data" in c.value for c in app.caption)
    assert np.array_equal(plane_bits(entry.dataset, 0x6000), masks[0x6000])
    assert not [b for b in app.button if b.key == "edit.migrate"]


def test_drawn_bits_are_in_the_downloaded_file(edit_app: AppTest, downloads: Downloads) -> None:
    draw(edit_app, rect(40, 20, 40, 20))
    goto(edit_app, "export")
    assert any("Plane 6000 edited: 50 pixels set" in shown(m.value) for m in edit_app.markdown)
    written = load(downloads.get_bytes("offset-edited.dcm"))
    bits = plane_bits(written, 0x6000)[0]
    assert read_plane(written, 0x6000).origin == ORIGIN
    assert bits[3:8, 7:17].all() and bits.sum() == 51


def test_multiframe_plane_is_edited_one_frame_at_a_time(app: AppTest) -> None:
    data, mask = multiframe_file(image_frames=4, plane_frames=2, image_frame_origin=2, origin=(1, 1))
    open_in_editor(app, "multi.dcm", data)
    entry = state.active(app.session_state)
    app.slider(key=f"edit.frame.{entry.id}").set_value(3).run()  # image frame 3: plane frame 2
    key = canvas_key(app)
    assert key.startswith(f"canvas.{entry.id}.6000.1.")
    assert "(frame 2 of 2)" in status(app)
    view_width = 200  # 11 columns shown 200 px wide
    scale = view_width / 11
    draw(app, rect(0, 0, scale, scale))  # the top-left pixel
    bits = plane_bits(entry.dataset, 0x6000)
    assert np.array_equal(bits[0], mask[0])
    assert bits[1][0, 0] and np.array_equal(bits[1][0, 1:], mask[1][0, 1:])
    assert np.array_equal(bits[1][1:], mask[1][1:])


def canvas_background(at: AppTest) -> np.ndarray:
    """The background image the page hands to the canvas (a PNG data URL in its data)."""
    url = json.loads(canvas_element(at).proto.json)["backgroundImageURL"]
    assert url.startswith("data:image/png;base64,")
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))).convert("RGB"))


def test_canvas_background_shows_the_planes(edit_app: AppTest) -> None:
    draw(edit_app, rect(40, 20, 40, 20))
    background = canvas_background(edit_app)
    assert background.shape == (ROWS * 4, COLS * 4, 3)
    painted = (background == (255, 225, 25)).all(axis=2)  # plane 6000's colour
    assert painted[20:40, 40:80].all()  # the applied rectangle, image rows 5-9, columns 10-19


def threshold(at: AppTest, low: float, high: float) -> AppTest:
    entry = state.active(at.session_state)
    at.number_input(key=f"edit.threshold.low.{entry.id}.0").set_value(low)
    at.number_input(key=f"edit.threshold.high.{entry.id}.0").set_value(high)
    at.button(key="edit.threshold").click().run()
    no_exception(at)
    return at


def test_threshold_makes_an_undoable_plane_in_the_first_free_group(edit_app: AppTest) -> None:
    entry = state.active(edit_app.session_state)
    values = entry.dataset.pixel_array
    hint = f"run from {values.min():g} to {values.max():g}"
    assert any(hint in c.value for c in edit_app.caption), [c.value for c in edit_app.caption]
    threshold(edit_app, 1000, 2000)
    assert not errors(edit_app)
    plane = read_plane(entry.dataset, 0x6002)
    assert (plane.rows, plane.columns, plane.origin) == (ROWS, COLS, (1, 1))
    assert np.array_equal(plane_bits(entry.dataset, 0x6002)[0], (values >= 1000) & (values <= 2000))
    assert ".6002." in canvas_key(edit_app)  # the new plane is selected
    edit_app.button(key="edit.undo").click().run()
    assert [p.group for p in read_planes(entry.dataset)] == [0x6000]


def test_threshold_with_low_above_high_shows_an_error_and_changes_nothing(edit_app: AppTest) -> None:
    entry = state.active(edit_app.session_state)
    before = to_bytes(entry.dataset)
    threshold(edit_app, 2000, 1000)
    assert any("low <= high" in e for e in errors(edit_app))
    assert to_bytes(entry.dataset) == before
    assert not editing_history(edit_app).can_undo


def editing_history(at: AppTest) -> Any:
    return state.active(at.session_state).history


def import_mask(at: AppTest, name: str, data: bytes, space: str = "image",
                mode: str | None = None) -> AppTest:
    at.file_uploader(key="edit.import").set_value((name, data, "application/octet-stream")).run()
    at.radio(key="edit.import.space").set_value(space)
    if mode is not None:  # disabled (replace) for a new plane
        at.radio(key="edit.import.mode").set_value(mode)
    at.button(key="edit.import.apply").click().run()
    no_exception(at)
    return at


def test_import_an_image_space_png_into_the_plane_and_undo(edit_app: AppTest) -> None:
    entry = state.active(edit_app.session_state)
    before = plane_bits(entry.dataset, 0x6000)[0].copy()
    mask = np.zeros((ROWS, COLS), bool)
    mask[5:10, 10:20] = True  # plane rows 3-7, columns 7-16 (origin 3\4)
    import_mask(edit_app, "mask.png", b.png_bytes(mask), mode="draw")
    assert not errors(edit_app)
    bits = plane_bits(entry.dataset, 0x6000)[0]
    assert bits[3:8, 7:17].all() and bits[0, 0] and bits.sum() == 51
    edit_app.button(key="edit.undo").click().run()
    assert np.array_equal(plane_bits(entry.dataset, 0x6000)[0], before)


def test_import_a_plane_space_npy_as_a_new_plane(edit_app: AppTest) -> None:
    entry = state.active(edit_app.session_state)
    buffer = io.BytesIO()
    np.save(buffer, np.eye(6, 8, dtype=np.uint8))
    edit_app.selectbox(key=f"edit.plane.{entry.id}").set_value(0).run()  # New plane
    import_mask(edit_app, "mask.npy", buffer.getvalue(), space="plane")
    assert not errors(edit_app)
    assert np.array_equal(plane_bits(entry.dataset, 0x6002)[0], np.eye(6, 8, dtype=bool))
    assert ".6002." in canvas_key(edit_app)


def test_import_a_png_of_the_wrong_size_shows_an_error_and_changes_nothing(edit_app: AppTest) -> None:
    entry = state.active(edit_app.session_state)
    before = to_bytes(entry.dataset)
    import_mask(edit_app, "small.png", b.png_bytes(np.ones((10, 10), bool)))
    assert any("The mask is 10 x 10 pixels but the image is 40 x 50" in e for e in errors(edit_app))
    assert to_bytes(entry.dataset) == before
    assert not editing_history(edit_app).can_undo
    import_mask(edit_app, "junk.png", b"not a mask")
    assert any("neither a PNG image nor a NumPy" in e for e in errors(edit_app))
    assert to_bytes(entry.dataset) == before


def test_a_drawing_beside_the_plane_grows_it_to_hold_the_drawing(edit_app: AppTest) -> None:
    draw(edit_app, rect(160, 120, 20, 20))  # image rows 30-34, columns 40-44: beside the plane
    assert not errors(edit_app)
    plane = read_plane(state.active(edit_app.session_state).dataset, 0x6000)
    # it covered image rows 2-21 and columns 3-32; now down to row 34 and column 44
    assert (plane.rows, plane.columns, plane.origin) == (33, 42, ORIGIN)
    bits = active_bits(edit_app)
    assert bits[0, 0] and bits[30 - 2:35 - 2, 40 - 3:45 - 3].all() and bits.sum() == 1 + 25
    assert editing_history(edit_app).undo_labels == ["draw"]
    assert "Rows 33" in " ".join(c.value for c in edit_app.caption) or "33×42" in " ".join(
        c.value for c in edit_app.caption)  # the page shows the new size


def test_with_the_size_kept_a_drawing_part_outside_is_clipped_and_said(edit_app: AppTest) -> None:
    edit_app.toggle(key="edit.keep").set_value(True).run()
    draw(edit_app, rect(120, 20, 20, 20))  # image rows 5-9, columns 30-34: columns 33-34 are outside
    plane = read_plane(state.active(edit_app.session_state).dataset, 0x6000)
    assert (plane.rows, plane.columns) == (20, 30)
    assert active_bits(edit_app)[3:8, 27:30].all()
    assert any("10 drawn pixels outside plane 6000 were dropped" in w.value for w in edit_app.warning)
    edit_app.run()  # the message stays until the next action
    assert any("were dropped" in w.value for w in edit_app.warning)
    edit_app.button(key="edit.undo").click().run()
    assert not any("were dropped" in w.value for w in edit_app.warning)


def test_a_drawing_wholly_beside_a_small_plane_says_so_and_changes_nothing(edit_app: AppTest) -> None:
    entry = state.active(edit_app.session_state)
    before = to_bytes(entry.dataset)
    edit_app.toggle(key="edit.keep").set_value(True).run()
    draw(edit_app, rect(160, 120, 20, 20))  # image rows 30-34, columns 40-44: beside the plane
    assert errors(edit_app) == [
        "Nothing you drew lies on plane 6000, which covers image rows 3–22 and columns 4–33; "
        "nothing was changed. Draw inside the plane, or resize it to the image first."
    ]
    assert to_bytes(entry.dataset) == before
    assert not editing_history(edit_app).can_undo


def test_threshold_hint_and_tool_work_with_empty_modality_lut_attributes(app: AppTest) -> None:
    from pydicom.dataset import Dataset

    ds = image_dataset(ROWS, COLS)  # as dwv_leadtools-8BitsJpegLossyGrayScale.dcm: empty LUT attributes
    ds.RescaleSlope = ds.RescaleIntercept = None
    item = Dataset()
    item.add_new(0x00283002, "US", None)  # LUT Descriptor
    item.add_new(0x00283006, "US", None)  # LUT Data
    ds.ModalityLUTSequence = [item]
    open_in_editor(app, "empty-lut.dcm", to_file_bytes(ds))
    values = state.active(app.session_state).dataset.pixel_array
    assert any(f"run from {values.min():g} to {values.max():g}" in c.value for c in app.caption)
    threshold(app, 0, 1000)
    assert not errors(app)
    assert np.array_equal(plane_bits(state.active(app.session_state).dataset, 0x6000)[0], values <= 1000)


def test_frames_are_shared_with_inspect_and_copied_undoably(app: AppTest) -> None:
    data, mask = multiframe_file(image_frames=4, plane_frames=2, image_frame_origin=2, origin=(1, 1))
    open_in_editor(app, "multi.dcm", data)
    entry = state.active(app.session_state)
    assert any("has no frame on image frame 1" in i.value for i in app.info)  # plane frames: image 2-3
    app.button(key="edit.frame.next").click().run()  # PageDown
    assert app.slider(key=f"edit.frame.{entry.id}").value == 2
    goto(app, "inspect")
    assert app.slider(key=f"inspect.frame.{entry.id}").value == 2  # the same frame on Inspect
    app.slider(key=f"inspect.frame.{entry.id}").set_value(3).run()
    goto(app, "edit")
    assert app.slider(key=f"edit.frame.{entry.id}").value == 3 and "(frame 2 of 2)" in status(app)
    app.button(key="edit.copy_next").click().run()  # plane frame 2 -> image frame 4: the plane grows
    no_exception(app)
    plane = read_plane(entry.dataset, 0x6000)
    assert (plane.frames, plane.image_frame_origin) == (3, 2)
    assert np.array_equal(plane_bits(entry.dataset, 0x6000)[2], mask[1])
    app.button(key="edit.copy_all").click().run()
    assert read_plane(entry.dataset, 0x6000).frames == 4
    assert all(np.array_equal(f, mask[1]) for f in plane_bits(entry.dataset, 0x6000))
    app.button(key="edit.undo").click().run()
    app.button(key="edit.undo").click().run()
    assert np.array_equal(plane_bits(entry.dataset, 0x6000), mask)
    assert app.selectbox(key=f"edit.plane.{entry.id}").value == 0x6000


def test_export_counts_pixels_dropped_outside_the_image(app: AppTest) -> None:
    ds = image_dataset(ROWS, COLS)
    mask = np.zeros((1, 10, 10), bool)
    mask[0, 0, 0] = mask[0, 9, 9] = True  # at origin 36\46 the corner (9, 9) lies beyond the image
    add_plane(ds, 0x6000, mask, origin=(36, 46))
    open_in_editor(app, "beyond.dcm", to_file_bytes(ds))
    app.button(key="edit.resize").click().run()
    goto(app, "export")
    assert any("1 set pixel outside the image dropped" in m.value for m in app.markdown)


def _input_blocked(at: AppTest) -> bool:
    """Whether the page carries the style that takes the drawing canvas' input away."""
    css = f".st-key-{canvas_key(at).replace('.', '-')}{{pointer-events:none"
    return any(css in str(getattr(h.proto, "body", "")) for h in at.get("html"))


def test_the_canvas_takes_no_strokes_until_the_browser_says_its_size(app: AppTest) -> None:
    # Until the key listener reports the window, the canvas is drawn at a default size and
    # replaced a moment later: a stroke drawn on it would be lost, so it takes none.
    app.run()
    app.file_uploader(key="upload").set_value(("offset.dcm", offset_file(), "application/dicom")).run()
    goto(app, "edit")
    assert _input_blocked(app)
    app.session_state["edit.keys"] = {"viewport": VIEWPORT}
    app.run()
    assert not _input_blocked(app)
