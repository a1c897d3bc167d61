"""Inspect page: the plane table, diagnostics, the bounded image, windowing, frames, burn-in."""

from __future__ import annotations

import base64
import io
import json
from typing import Any

import numpy as np
from PIL import Image
from streamlit.testing.v1 import AppTest

from studio import state
from tests.app.support import Downloads, errors, goto, shown
from tests.builders import (
    add_plane,
    embedded_file,
    image_dataset,
    multiframe_file,
    presentation_state_file,
    to_file_bytes,
    two_plane_file,
)


def open_file(at: AppTest, name: str, data: bytes) -> AppTest:
    at.run()
    at.file_uploader(key="upload").set_value((name, data, "application/dicom")).run()
    return at


def viewer_data(app: AppTest) -> dict[str, Any]:
    """What the image viewer (studio.viewer) was given: its picture and size."""
    [element] = [e for e in app.get("bidi_component") if e.key == "inspect.viewer"]
    return dict(json.loads(element.proto.json))


def viewer_png(app: AppTest) -> Image.Image:
    src = viewer_data(app)["src"]
    assert src.startswith("data:image/png;base64,")  # outside a served app the picture is inline
    return Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1])))


def test_plane_table_lists_every_plane(app: AppTest) -> None:
    data, masks = two_plane_file()
    goto(open_file(app, "two.dcm", data), "inspect")
    table = app.dataframe[0].value
    assert list(table["group"]) == ["6000", "6002"]
    assert list(table["origin"]) == ["1\\1", "3\\4"]
    assert list(table["size"]) == ["16 × 20", "5 × 7"]
    assert list(table["label"]) == ["FIRST", "SECOND"]
    assert list(table["set pixels"]) == [int(masks[0x6000].sum()), int(masks[0x6002].sum())]
    assert [c.label for c in app.checkbox] == ["6000 G", "6002 G"]
    assert viewer_png(app).size == (viewer_data(app)["width"], viewer_data(app)["height"])


def test_embedded_planes_are_marked_with_their_diagnostic(app: AppTest) -> None:
    data, _ = embedded_file()
    goto(open_file(app, "embedded.dcm", data), "inspect")
    table = app.dataframe[0].value
    assert set(table["embedded"]) == {"embedded in Pixel Data"}
    assert all("retired" in text.lower() or "embedded" in text.lower() for text in table["diagnostics"])
    assert [c.label for c in app.checkbox] == ["6000 G (embedded)", "6002 G (embedded)"]


def test_large_image_is_shown_bounded_and_burn_in_is_full_size(app: AppTest, downloads: Downloads) -> None:
    ds = image_dataset(1500, 2100)
    mask = np.zeros((1, 1500, 2100), bool)
    mask[0, 700, 100:2000] = True  # a one-pixel line must survive the downscale
    add_plane(ds, 0x6000, mask)
    goto(open_file(app, "big.dcm", to_file_bytes(ds)), "inspect")
    assert not errors(app)
    shown = viewer_png(app)  # as wide as the browser offers (640 until it says), never the full 2100
    assert shown.format == "PNG" and shown.size == (640, round(1500 * 640 / 2100))
    assert (np.asarray(shown.convert("RGB")) == (255, 225, 25)).all(axis=2).any(axis=1).sum() >= 1
    burn = Image.open(io.BytesIO(downloads.get_bytes("big-frame1-burnin.png")))
    assert burn.size == (2100, 1500)
    pixels = np.asarray(burn.convert("RGB"))
    assert (pixels[700, 100] == (255, 225, 25)).all() and not (pixels[699, 100] == (255, 225, 25)).all()


def test_hidden_plane_is_not_burnt_in(app: AppTest, downloads: Downloads) -> None:
    data, _ = two_plane_file()
    goto(open_file(app, "two.dcm", data), "inspect")
    entry = state.active(app.session_state)
    app.checkbox(key=f"inspect.visible.{entry.id}.6000").uncheck().run()
    app.checkbox(key=f"inspect.visible.{entry.id}.6002").uncheck().run()
    plain = np.asarray(Image.open(io.BytesIO(downloads.get_bytes("two-frame1-burnin.png"))).convert("RGB"))
    assert (plain[..., 0] == plain[..., 1]).all()  # grey: no plane painted


def test_windowing_choices_and_manual_window(app: AppTest) -> None:
    data, _ = two_plane_file()
    goto(open_file(app, "two.dcm", data), "inspect")
    entry = state.active(app.session_state)
    voi = app.selectbox(key=f"inspect.voi.{entry.id}")
    assert voi.options == ["Automatic (min to max)", "Manual"]
    voi.select("Manual").run()
    app.number_input(key=f"inspect.center.{entry.id}").set_value(100).run()
    app.number_input(key=f"inspect.width.{entry.id}").set_value(50).run()
    assert not errors(app)
    assert any("Manual: C 100 / W 50" in shown(c.value) for c in app.caption)


def test_frame_selector_for_multiframe_images(app: AppTest) -> None:
    data, _ = multiframe_file(image_frames=4)
    goto(open_file(app, "multi.dcm", data), "inspect")
    entry = state.active(app.session_state)
    slider = app.slider(key=f"inspect.frame.{entry.id}")
    assert (slider.min, slider.max) == (1, 4)
    slider.set_value(3).run()
    assert not errors(app)
    assert app.download_button(key="inspect.burnin").proto.label.startswith("Burn-in")


def test_a_file_without_an_image_lists_its_planes_and_says_there_is_no_image(app: AppTest) -> None:
    data, _ = presentation_state_file()
    goto(open_file(app, "pr.dcm", data), "inspect")
    assert "no image (e.g. a presentation state)" in app.caption[0].value
    assert "0 × 0" not in app.caption[0].value
    assert len(app.dataframe[0].value) == 1
    goto(app, "edit")
    assert any("no image" in w.value for w in app.warning)
