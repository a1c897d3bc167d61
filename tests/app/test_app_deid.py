"""Export → De-identify overlays: Remove, and Clean Graphics with a review of the words found."""

from __future__ import annotations

import numpy as np
from pydicom.uid import RLELossless
from streamlit.testing.v1 import AppTest

from overlay_core.deid.clean import FoundText
from overlay_core.planes.reading import load, overlay_groups, unpack_plane
from studio import state
from studio.deid import boxes_on_image
from tests import builders as b
from tests.app import support
from tests.app.support import Downloads, errors, goto, no_exception
from tests.deid_support import kept_share, text_plane

app_fixture = support.app_fixture
downloads_fixture = support.downloads_fixture


def _open(at: AppTest, name: str, data: bytes) -> AppTest:
    at.run()
    at.file_uploader(key="upload").set_value([(name, data, "application/dicom")]).run()
    no_exception(at)
    return goto(at, "export")


def _text_file() -> tuple[bytes, object]:
    plane = text_plane(200, 300, sizes=(10, 14))
    ds = b.image_dataset(200, 300)
    b.add_plane(ds, 0x6000, plane.bits, label="SMITH")
    return b.to_file_bytes(ds), plane


def test_clean_graphics_review_keep_one_erase_the_rest_then_undo(app: AppTest, downloads: Downloads) -> None:
    data, plane = _text_file()
    _open(app, "text.dcm", data)
    entry = state.active(app.session_state)
    app.radio(key="export.deid.profile").set_value("clean-graphics").run()
    app.button(key="export.deid.find").click().run()
    no_exception(app)
    boxes = [c for c in app.checkbox if c.key.startswith(f"export.deid.remove.{entry.id}.")]
    assert len(boxes) >= 3 and all(c.value for c in boxes)
    captions = [i.proto.imgs[0].caption for i in app.get("image")]
    assert any("on image frame 1" in c for c in captions)  # on the image by default
    images = len(downloads.images)
    boxes[0].uncheck().run()  # keep the first word
    assert len(downloads.images) > images  # the review image is drawn again, with a green box
    app.radio(key=f"export.deid.where.{entry.id}").set_value("plane").run()
    assert not any("on image frame" in i.proto.imgs[0].caption for i in app.get("image"))
    kept_id = boxes[0].key[len(f"export.deid.remove.{entry.id}."):]
    search = app.session_state["export.deid.search"][entry.id]
    kept = next(w for w in search.found if w.id == kept_id)
    app.button(key="export.deid.apply").click().run()
    no_exception(app)
    assert any("Clean Graphics Option (113103)" in s.value for s in app.success)
    _, bits, _ = unpack_plane(entry.dataset, 0x6000)
    top, left, bottom, right = kept.box
    assert np.array_equal(bits[0, top:bottom, left:right], plane.bits[0, top:bottom, left:right])
    assert kept_share(plane.graphics, bits) >= 0.95
    assert int(np.count_nonzero(bits)) < int(np.count_nonzero(plane.bits))
    written = load(downloads.get_bytes("text-edited.dcm"))  # the download is the de-identified file
    assert written.DeidentificationMethodCodeSequence[0].CodeValue == "113103"
    assert 0x60001500 not in written
    app.button(key="export.deid.undo").click().run()  # one step: planes, label and record come back together
    no_exception(app)
    _, restored, _ = unpack_plane(entry.dataset, 0x6000)
    assert np.array_equal(restored, plane.bits)
    assert "DeidentificationMethodCodeSequence" not in entry.dataset
    assert entry.dataset[0x60001500].value == "SMITH"


def test_boxes_on_image_follow_the_overlay_origin() -> None:
    ds = b.image_dataset(64, 80)
    b.add_plane(ds, 0x6000, np.zeros((10, 20), bool), origin=(11, 21))  # 1-based: row 10, col 20 (0-based)
    word = FoundText("6000/1/0", 0x6000, 0, "AB", (2, 3, 6, 9), 50.0)
    shown = boxes_on_image(ds, 0x6000, 0, [word], set())
    assert shown is not None and shown[1] == 0
    view = shown[0]
    assert view.shape == (64, 80, 3)
    # the erased box (grown by 1 px) starts at image row 10 + 2 - 1, column 20 + 3 - 1
    assert view[11, 22].tolist() == [230, 40, 40] and view[11, 30].tolist() == [230, 40, 40]
    kept = boxes_on_image(ds, 0x6000, 0, [word], {word.id})
    assert kept is not None and kept[0][11, 22].tolist() == [40, 180, 60]
    state_ds = load(b.presentation_state_file()[0])  # no image: the plane is shown alone
    assert boxes_on_image(state_ds, 0x6002, 0, [word], set()) is None


def test_remove(app: AppTest, downloads: Downloads) -> None:
    data, _ = b.embedded_file(16)
    _open(app, "emb.dcm", data)
    entry = state.active(app.session_state)
    app.button(key="export.deid.remove").click().run()
    no_exception(app)
    assert overlay_groups(entry.dataset) == []
    assert any("no overlay groups to de-identify" in c.value for c in app.caption)
    assert [x for x in app.button if x.key == "export.deid.undo"]  # the step can still be undone here
    written = load(downloads.get_bytes("emb-edited.dcm"))
    assert overlay_groups(written) == []
    assert not (np.frombuffer(written.PixelData, "<u2") >> 12).any()
    assert written.DeidentificationMethodCodeSequence[0].CodeValue == "113100"


def test_compressed_pixel_data_with_embedded_planes_is_one_sentence(app: AppTest) -> None:
    ds = b.image_dataset(16, 16, bits_stored=12)
    b.add_embedded_plane(ds, 0x6000, np.eye(16, dtype=bool), bit_position=15)
    ds.compress(RLELossless, encoding_plugin="pydicom")
    _open(app, "rle.dcm", b.to_file_bytes(ds))
    assert any("cannot be cleaned without decompressing" in e for e in errors(app))
    assert not [x for x in app.button if x.key == "export.deid.remove"]
