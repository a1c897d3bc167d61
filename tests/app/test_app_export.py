"""Export page: the list of changes, the checked download, a new UID, the zip of all files."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import overlay_core.planes.writing as core_writing
from overlay_core.files.masks import read_mask
from overlay_core.planes.reading import load, plane_bits, read_planes
from overlay_core.planes.writing import Attributes, set_attributes, set_plane
from studio import state
from studio.export import checked_bytes
from tests.app.support import Downloads, errors, goto, shown
from tests.builders import presentation_state_file, roi_file, two_plane_file


def open_files(at: AppTest, *files: tuple[str, bytes]) -> AppTest:
    at.run()
    at.file_uploader(key="upload").set_value([(n, d, "application/dicom") for n, d in files]).run()
    return at


def test_unchanged_file_downloads_with_the_same_planes(app: AppTest, downloads: Downloads) -> None:
    data, masks = two_plane_file()
    goto(open_files(app, ("two.dcm", data)), "export")
    assert "Nothing has changed" in app.info[0].value
    assert shown(app.download_button(key="download").proto.label) == "Download two-edited.dcm"
    written = load(downloads.get_bytes("two-edited.dcm"))
    assert [p.group for p in read_planes(written)] == [0x6000, 0x6002]
    assert np.array_equal(plane_bits(written, 0x6002), masks[0x6002])
    assert written.SOPInstanceUID == load(data).SOPInstanceUID


def test_changes_are_listed_and_downloaded(app: AppTest, downloads: Downloads) -> None:
    data, _ = two_plane_file()
    open_files(app, ("two.dcm", data))
    entry = state.active(app.session_state)
    set_attributes(entry.dataset, 0x6002, Attributes(label="RENAMED"))
    set_plane(entry.dataset, 0x6004, np.eye(16, 20, dtype=bool))
    goto(app, "export")
    summaries = [shown(m.value) for m in app.markdown if "Plane" in m.value]
    assert any("Plane 6002 edited" in s for s in summaries)
    assert any("Plane 6004 added: 16 pixels set" in s for s in summaries)
    table = app.dataframe[0].value
    assert (table["attribute"][0], table["before"][0], table["after"][0]) == ("Label", "SECOND", "RENAMED")
    written = load(downloads.get_bytes("two-edited.dcm"))
    assert [(p.group, p.label) for p in read_planes(written)] == [
        (0x6000, "FIRST"), (0x6002, "RENAMED"), (0x6004, ""),
    ]
    assert np.array_equal(plane_bits(written, 0x6004)[0], np.eye(16, 20, dtype=bool))


def test_new_sop_instance_uid_option(app: AppTest, downloads: Downloads) -> None:
    data, _ = two_plane_file()
    goto(open_files(app, ("two.dcm", data)), "export")
    app.checkbox(key="export.new_uid").check().run()
    written = load(downloads.get_bytes("two-edited.dcm"))
    original = load(data)
    assert written.SOPInstanceUID != original.SOPInstanceUID
    assert written.file_meta.MediaStorageSOPInstanceUID == written.SOPInstanceUID
    assert [p.group for p in read_planes(written)] == [0x6000, 0x6002]


def test_all_files_as_a_zip(app: AppTest, downloads: Downloads) -> None:
    first, _ = two_plane_file()
    second, _ = roi_file()
    goto(open_files(app, ("a.dcm", first), ("a.dcm", second), ("junk.dcm", b"junk")), "export")
    with zipfile.ZipFile(io.BytesIO(downloads.get_bytes("overlay-studio.zip"))) as archive:
        assert archive.namelist() == ["a-edited.dcm", "a-edited-2.dcm"]
        assert read_planes(load(archive.read("a-edited-2.dcm")))[0].label == "LESION"


def test_a_file_that_does_not_read_back_is_not_offered(
    app: AppTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    data, _ = two_plane_file()
    open_files(app, ("two.dcm", data))
    # Simulate a writer fault: the bytes written lose plane 6002.
    good = core_writing.to_bytes

    def lossy(ds, new_sop_instance_uid=False):  # type: ignore[no-untyped-def]
        written = load(good(ds, new_sop_instance_uid))
        for elem in list(written):
            if int(elem.tag) >> 16 == 0x6002:
                del written[elem.tag]
        return good(written)

    monkeypatch.setattr(core_writing, "to_bytes", lossy)
    goto(app, "export")
    assert errors(app) == [
        "The written file does not read back as edited (group 6002 is missing from the written file), "
        "so it is not offered for download."
    ]
    assert not [b for b in app.download_button if b.key == "download"]
    monkeypatch.setattr(core_writing, "to_bytes", good)
    assert checked_bytes(state.active(app.session_state))


def test_plane_pngs_in_image_and_plane_space(app: AppTest, downloads: Downloads) -> None:
    data, masks = two_plane_file()
    goto(open_files(app, ("two.dcm", data)), "export")
    image = read_mask(downloads.get_bytes("two-6002-image.png"))
    assert image.shape == (16, 20)
    assert np.array_equal(image[2:7, 3:10], masks[0x6002][0]) and image.sum() == masks[0x6002].sum()
    app.radio(key="export.png_space").set_value("plane").run()
    assert np.array_equal(read_mask(downloads.get_bytes("two-6002-plane.png")), masks[0x6002][0])


def test_a_file_without_sop_instance_uid_asks_for_a_new_one(app: AppTest, downloads: Downloads) -> None:
    data, _ = two_plane_file()
    open_files(app, ("no-uid.dcm", data))
    entry = state.active(app.session_state)
    del entry.dataset.file_meta.MediaStorageSOPInstanceUID  # as dwv_leadtools-8BitsJpegLossyGrayScale.dcm
    entry.dataset.SOPInstanceUID = ""
    goto(app, "export")
    assert any("no SOP Instance UID" in e and "give it a new SOP Instance UID" in e for e in errors(app))
    app.checkbox(key="export.new_uid").check().run()
    assert not errors(app)
    written = load(downloads.get_bytes("no-uid-edited.dcm"))
    assert written.SOPInstanceUID and written.file_meta.MediaStorageSOPInstanceUID == written.SOPInstanceUID


def test_a_file_without_an_image_offers_plane_pngs_at_own_size(app: AppTest, downloads: Downloads) -> None:
    data, mask = presentation_state_file()
    open_files(app, ("pr.dcm", data))
    goto(app, "export")
    assert not [r for r in app.radio if r.key == "export.png_space"]  # "on the image" cannot work here
    assert any("no image" in c.value for c in app.caption)
    [name] = [n for n in downloads if n.endswith(".png")]
    assert name.endswith("-plane.png")
    assert np.array_equal(read_mask(downloads.get_bytes(name)), mask.reshape(mask.shape[-2:]))


def test_the_zip_error_names_the_file_that_cannot_be_written(app: AppTest) -> None:
    # QA: with a file lacking a SOP Instance UID open, every other file's Export page said
    # "The file has no SOP Instance UID" about the zip, without saying which file.
    first, _ = two_plane_file()
    second, _ = roi_file()
    open_files(app, ("no-uid.dcm", first), ("fine.dcm", second))
    broken = next(e for e in state.files(app.session_state) if e.name == "no-uid.dcm")
    del broken.dataset.file_meta.MediaStorageSOPInstanceUID
    broken.dataset.SOPInstanceUID = ""
    goto(app, "export")  # the active file is fine.dcm
    assert [e for e in errors(app) if "zip" in e] == [
        "The zip of all files is not offered: no-uid.dcm: The file has no SOP Instance UID, so it cannot "
        "be written as it is; give it a new SOP Instance UID."
    ]


def _series(count: int = 3) -> list[tuple[str, bytes]]:
    from pydicom.uid import generate_uid

    from tests.builders import add_plane, image_dataset, to_file_bytes

    uid, files = generate_uid(), []
    for number in range(1, count + 1):
        ds = image_dataset(20, 24, seed=number)
        ds.SeriesInstanceUID, ds.InstanceNumber, ds.SeriesNumber = uid, number, 3
        ds.SeriesDescription = "Axial T2"
        add_plane(ds, 0x6000, np.eye(20, 24, dtype=bool)[None])
        files.append((f"s{number}.dcm", to_file_bytes(ds)))
    return files


def test_the_series_is_summarised_and_downloaded_alone(app: AppTest, downloads: Downloads) -> None:
    other, _ = roi_file()
    open_files(app, ("other.dcm", other), *_series())
    entries = {e.name: e for e in state.files(app.session_state)}
    edited = entries["s2.dcm"]
    set_plane(edited.dataset, 0x6000, np.zeros((1, 20, 24), bool))  # an edit in instance 2
    state.activate(app.session_state, entries["s1.dcm"].id)
    goto(app, "export")
    assert app.subheader[0].value == "This series: 3 instances, 1 changed"
    summary = shown(app.markdown[0].value)
    assert "**1 · s1.dcm** (shown): unchanged" in summary and "**2 · s2.dcm**: Plane 6000 edited" in summary
    with zipfile.ZipFile(io.BytesIO(downloads.get_bytes("series-3-Axial-T2.zip"))) as archive:
        assert archive.namelist() == [f"series-3-Axial-T2/s{n}-edited.dcm" for n in (1, 2, 3)]
        assert not plane_bits(load(archive.read("series-3-Axial-T2/s2-edited.dcm")), 0x6000).any()
    with zipfile.ZipFile(io.BytesIO(downloads.get_bytes("overlay-studio.zip"))) as archive:
        assert len(archive.namelist()) == 4  # every open file, the other one too


def test_a_large_file_is_written_and_checked_when_its_download_is_asked_for(
    app: AppTest, downloads: Downloads, monkeypatch: pytest.MonkeyPatch
) -> None:
    import studio.downloads

    monkeypatch.setattr(studio.downloads, "EAGER_BYTES", 100)  # every file counts as large
    data, masks = two_plane_file()
    goto(open_files(app, ("two.dcm", data)), "export")
    entry = state.active(app.session_state)
    assert callable(downloads["two-edited.zip"])  # nothing written yet, nothing kept
    assert any("written and checked when you click" in c.value for c in app.caption)
    with zipfile.ZipFile(io.BytesIO(downloads.get_bytes("two-edited.zip"))) as archive:
        assert archive.namelist() == ["two-edited.dcm"]
        written = load(archive.read("two-edited.dcm"))
    assert np.array_equal(plane_bits(written, 0x6002), masks[0x6002])
    assert entry.export_memo == {}  # the session holds no copy of a large download
