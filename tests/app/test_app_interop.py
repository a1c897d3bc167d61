"""SEG, presentation state and Secondary Capture in the app: Export downloads, Inspect, Edit import."""

from __future__ import annotations

import io
from pathlib import Path

import highdicom as hd
import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from overlay_core.interop.gsps import gsps_bytes, state_planes
from overlay_core.interop.seg import seg_bytes
from overlay_core.planes.placement import image_mask
from overlay_core.planes.reading import load, read_planes
from overlay_core.planes.writing import set_plane
from overlay_core.render.compose import render
from overlay_core.render.styles import PlaneStyle, default_color
from studio import state
from studio.interop import derived_files
from tests.app import support
from tests.app.support import Downloads, errors, goto, no_exception
from tests.app.support import shown as as_text
from tests.builders import multiframe_file, two_plane_file

app_fixture = support.app_fixture
downloads_fixture = support.downloads_fixture


def open_files(at: AppTest, *files: tuple[str, bytes]) -> AppTest:
    at.run()
    at.file_uploader(key="upload").set_value([(n, d, "application/dicom") for n, d in files]).run()
    no_exception(at)
    return at


def make(at: AppTest) -> AppTest:
    """Ask the Export page for the SEG, presentation state and burned-in image."""
    at.button(key=f"export.make.{state.active(at.session_state).id}").click().run()
    no_exception(at)
    return at


def test_derived_files_are_made_when_asked_then_kept_up_to_date(app: AppTest, downloads: Downloads) -> None:
    data, _ = two_plane_file()
    goto(open_files(app, ("two.dcm", data)), "export")
    entry = state.active(app.session_state)
    keys = {b.key for b in app.get("download_button")}
    assert not keys & {"export.seg", "export.gsps", "export.sc"} and not entry.derived_memo  # nothing made
    make(app)
    assert {"export.seg", "export.gsps", "export.sc"} <= {b.key for b in app.get("download_button")}
    first = downloads.get_bytes("two-seg.dcm")
    set_plane(entry.dataset, 0x6000, np.eye(16, 20, dtype=bool))  # an edit: made again, unasked
    goto(app, "inspect")
    goto(app, "export")
    assert "export.seg" in {b.key for b in app.get("download_button")}
    assert downloads.get_bytes("two-seg.dcm") != first


def test_export_offers_checked_seg_gsps_and_sc(app: AppTest, downloads: Downloads) -> None:
    data, _ = two_plane_file()
    make(goto(open_files(app, ("two.dcm", data)), "export"))
    source = load(data)
    assert not errors(app)
    labels = {b.key: as_text(b.proto.label) for b in app.get("download_button")}
    assert labels["export.seg"] == "DICOM SEG (two-seg.dcm)"
    seg = hd.seg.segread(io.BytesIO(downloads.get_bytes("two-seg.dcm")))
    assert [seg.get_segment_description(n).segment_label for n in seg.segment_numbers] == ["FIRST", "SECOND"]
    pixels = seg.get_pixels_by_source_instance([str(source.SOPInstanceUID)], combine_segments=False)
    for i, group in enumerate((0x6000, 0x6002)):
        assert np.array_equal(pixels[..., i].astype(bool), image_mask(source, group))
    state_ds = load(downloads.get_bytes("two-pr.dcm"))
    assert [p.group for p in state_planes(state_ds, source)] == [0x6000, 0x6002]
    sc = load(downloads.get_bytes("two-sc.dcm"))
    styles = [PlaneStyle(g, default_color(g)) for g in (0x6000, 0x6002)]
    assert np.array_equal(sc.pixel_array, render(source, styles=styles).image)


def test_export_planes_and_labels_are_chosen(app: AppTest, downloads: Downloads) -> None:
    data, _ = two_plane_file()
    make(goto(open_files(app, ("two.dcm", data)), "export"))
    entry = state.active(app.session_state)
    app.multiselect(key=f"export.interop_planes.{entry.id}").set_value([0x6002]).run()
    app.text_input(key=f"export.seg_label.{entry.id}.6002").input("Lesion A").run()
    no_exception(app)
    seg = hd.seg.segread(io.BytesIO(downloads.get_bytes("two-seg.dcm")))
    assert seg.segment_numbers == [1]
    assert seg.get_segment_description(1).segment_label == "Lesion A"
    assert [p.group for p in read_planes(load(downloads.get_bytes("two-pr.dcm")))] == [0x6002]


def test_multi_frame_exports_use_the_chosen_frame(app: AppTest, downloads: Downloads) -> None:
    data, _ = multiframe_file(image_frames=4, plane_frames=2, image_frame_origin=2)
    make(goto(open_files(app, ("multi.dcm", data)), "export"))
    entry = state.active(app.session_state)
    app.number_input(key=f"export.interop_frame.{entry.id}").set_value(3).run()
    no_exception(app)
    assert not errors(app)
    source = load(data)
    (shown,) = state_planes(load(downloads.get_bytes("multi-frame3-pr.dcm")), source)
    assert np.array_equal(shown.mask[2], image_mask(source, 0x6000)[2]) and not shown.mask[0].any()
    sc = load(downloads.get_bytes("multi-frame3-sc.dcm"))
    assert sc.SourceImageSequence[0].ReferencedFrameNumber == 3
    # The SEG has every frame of the plane; the same bytes come without the UI for other callers.
    files = derived_files(entry, frame=2)
    assert sorted(files) == ["multi-frame3-pr.dcm", "multi-frame3-sc.dcm", "multi-seg.dcm"]
    assert files["multi-seg.dcm"] == downloads.get_bytes("multi-seg.dcm")


def test_derived_files_default_to_the_first_frame_with_a_plane(app: AppTest, downloads: Downloads) -> None:
    # QA: they defaulted to image frame 1 though the plane starts at frame 2 (an empty burn-in).
    data, _ = multiframe_file(image_frames=4, plane_frames=2, image_frame_origin=2)
    make(goto(open_files(app, ("multi.dcm", data)), "export"))
    entry = state.active(app.session_state)
    assert app.number_input(key=f"export.interop_frame.{entry.id}").value == 2
    assert not errors(app)
    sc = load(downloads.get_bytes("multi-frame2-sc.dcm"))
    assert sc.SourceImageSequence[0].ReferencedFrameNumber == 2


def test_inspect_shows_an_open_state_on_its_image(app: AppTest, downloads: Downloads) -> None:
    data, _ = two_plane_file()
    source = load(data)
    ps = gsps_bytes(source, [0x6002])
    goto(open_files(app, ("two.dcm", data), ("two-pr.dcm", ps)), "inspect")
    assert any("Presentation state two-pr.dcm on two.dcm" in as_text(h.value) for h in app.subheader)
    table = state_table(app)
    assert list(table["group"]) == ["6002"] and list(table["from"]) == ["presentation state"]
    assert int(table["pixels on the image"][0]) == int(image_mask(source, 0x6002).sum())
    shown = np.asarray(Image.open(io.BytesIO(downloads.images[-1])).convert("RGB"))
    painted = (shown == default_color(0x6002)).all(axis=2)
    assert np.array_equal(painted, image_mask(source, 0x6002)[0])  # where placement puts the plane
    # With the image active, the state's section shows too.
    state.activate(app.session_state, state.files(app.session_state)[0].id)
    app.run()
    no_exception(app)
    assert any("Presentation state two-pr.dcm on two.dcm" in as_text(h.value) for h in app.subheader)
    assert list(state_table(app)["group"]) == ["6002"]


def state_table(app: AppTest):  # type: ignore[no-untyped-def]
    """The table of the planes a presentation state shows (the one with a "layer" column)."""
    (table,) = [d.value for d in app.dataframe if "layer" in d.value.columns]
    return table


@pytest.mark.corpus
def test_inspect_shows_the_corpus_pair(app: AppTest, corpus: Path) -> None:
    goto(open_files(app, ("weasis_overlay.dcm", (corpus / "weasis_overlay.dcm").read_bytes()),
                    ("weasis_prOverlay.dcm", (corpus / "weasis_prOverlay.dcm").read_bytes())), "inspect")
    table = state_table(app)
    assert list(table["group"]) == ["6000", "6002", "6004", "6006", "6008", "600A"]
    assert list(table["pixels on the image"]) == [532, 537, 603, 606, 680, 680]


def test_edit_adds_a_seg_as_planes_and_undoes_it(app: AppTest) -> None:
    data, _ = two_plane_file()
    source = load(data)
    seg = seg_bytes(source)
    goto(open_files(app, ("two.dcm", data)), "edit")
    entry = state.active(app.session_state)
    upload = app.file_uploader(key=f"edit.seg_upload.{entry.id}")
    upload.set_value(("two-seg.dcm", seg, "application/dicom")).run()
    app.multiselect(key=f"edit.seg_segments.{entry.id}").set_value([2]).run()
    app.button(key="edit.seg_import").click().run()
    no_exception(app)
    assert [p.group for p in entry.planes()] == [0x6000, 0x6002, 0x6004]
    assert np.array_equal(image_mask(entry.dataset, 0x6004), image_mask(source, 0x6002))
    assert any("Added 1 plane(s) from the SEG: 6004" in s.value for s in app.success)
    app.button(key="edit.undo").click().run()
    assert [p.group for p in entry.planes()] == [0x6000, 0x6002]


def test_edit_refuses_a_seg_of_another_image(app: AppTest) -> None:
    data, _ = two_plane_file()
    other, _ = two_plane_file()
    seg = seg_bytes(load(other))
    goto(open_files(app, ("two.dcm", data)), "edit")
    entry = state.active(app.session_state)
    upload = app.file_uploader(key=f"edit.seg_upload.{entry.id}")
    upload.set_value(("other-seg.dcm", seg, "application/dicom")).run()
    app.button(key="edit.seg_import").click().run()
    no_exception(app)
    assert any("does not reference this image" in e for e in errors(app))
    assert [p.group for p in entry.planes()] == [0x6000, 0x6002]


def test_with_a_new_uid_exports_reference_the_file_as_downloaded(app: AppTest, downloads: Downloads) -> None:
    data, _ = two_plane_file()
    make(goto(open_files(app, ("two.dcm", data)), "export"))
    app.checkbox(key="export.new_uid").check().run()
    no_exception(app)
    written = load(downloads.get_bytes("two-edited.dcm"))
    assert written.SOPInstanceUID != load(data).SOPInstanceUID
    seg = hd.seg.segread(io.BytesIO(downloads.get_bytes("two-seg.dcm")))
    assert seg.get_source_image_uids()[0][2] == written.SOPInstanceUID
    shown = state_planes(load(downloads.get_bytes("two-pr.dcm")), written)
    assert [p.group for p in shown] == [0x6000, 0x6002]
    sc = load(downloads.get_bytes("two-sc.dcm"))
    assert sc.SourceImageSequence[0].ReferencedSOPInstanceUID == written.SOPInstanceUID


def test_derived_files_are_kept_for_the_current_content_only() -> None:
    session: dict[str, object] = {}
    state.init(session, sample=False)
    data, _ = two_plane_file()
    entry = state.add_file(session, "two.dcm", data)
    first = derived_files(entry)
    assert derived_files(entry) == first  # memoised: the same UIDs
    assert len(entry.derived_memo) == 3
    set_plane(entry.dataset, 0x6000, np.eye(16, 20, dtype=bool))  # an edit: new content
    second = derived_files(entry)
    assert sorted(second) == ["two-pr.dcm", "two-sc.dcm", "two-seg.dcm"]
    assert second["two-seg.dcm"] != first["two-seg.dcm"]
    assert len(entry.derived_memo) == 3


def test_single_frame_presentation_state_name_has_no_frame(app: AppTest, downloads: Downloads) -> None:
    # QA: a single-frame image whose plane carries (60xx,0015) Number of Frames in Overlay = 1
    # (as pydicom's sample does) offered "…-frame1-pr.dcm" beside "…-sc.dcm".
    from tests.builders import add_plane, image_dataset, to_file_bytes

    ds = image_dataset(16, 20)
    add_plane(ds, 0x6000, np.ones((1, 4, 5), bool), frames_attr=1)
    make(goto(open_files(app, ("one.dcm", to_file_bytes(ds))), "export"))
    assert not errors(app)
    labels = {b.key: as_text(b.proto.label) for b in app.get("download_button")}
    assert (labels["export.gsps"], labels["export.sc"]) == (
        "Presentation state (one-pr.dcm)", "Burned-in Secondary Capture (one-sc.dcm)")
    assert [p.group for p in state_planes(load(downloads.get_bytes("one-pr.dcm")), ds)] == [0x6000]
