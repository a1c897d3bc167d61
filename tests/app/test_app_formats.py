"""Export offers an RT Structure Set and a NIfTI mask of the series; Open imports them as planes."""

from __future__ import annotations

import gzip
import io
import zipfile

import nibabel as nib
import numpy as np
from streamlit.testing.v1 import AppTest

from overlay_core.interop.rtstruct import read_rois, roi_masks
from overlay_core.planes.placement import image_mask
from overlay_core.planes.reading import load, overlay_groups
from overlay_core.planes.writing import delete_plane
from studio import state
from tests import builders as b
from tests import pacs_support
from tests.app import support
from tests.app.support import Downloads, errors, goto, no_exception
from tests.formats_support import mr_series, ring_with_islands

app_fixture = support.app_fixture


def series_files() -> list[tuple[str, bytes]]:
    """Three oblique slices: a ring partly outside each (6000), and a bar (6002) except on slice 2."""
    images = mr_series(3, 30, 40)
    for k, ds in enumerate(images):
        b.add_plane(ds, 0x6000, ring_with_islands(18, 24, shift=k % 2), origin=(-3, -4), label="lesion")
        if k != 1:
            bar = np.zeros((4, 30), bool)
            bar[1:3, 2 + k:20] = True
            b.add_plane(ds, 0x6002, bar, origin=(25, 5), label="bar")
    return [(f"slice{k + 1}.dcm", b.to_file_bytes(ds)) for k, ds in enumerate(images)]


def without_planes(files: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    """The same images (same UIDs) without their planes."""
    out = []
    for name, data in files:
        ds = load(data)
        for group in overlay_groups(ds):
            delete_plane(ds, group)
        out.append((name, b.to_file_bytes(ds)))
    return out


def upload(at: AppTest, files: list[tuple[str, bytes]]) -> AppTest:
    at.run()
    at.file_uploader(key="upload").set_value([(n, d, "application/octet-stream") for n, d in files]).run()
    no_exception(at)
    return at


def test_export_makes_series_files_on_request(app: AppTest, downloads: Downloads) -> None:
    files = series_files()
    goto(upload(app, files), "export")
    entry = state.active(app.session_state)
    assert not {"export.rtstruct", "export.nifti"} & {x.key for x in app.get("download_button")}
    app.button(key=f"export.formats_make.{entry.id}").click().run()
    no_exception(app)
    assert not errors(app)
    keys = {x.key for x in app.get("download_button")}
    assert {"export.rtstruct", "export.nifti"} <= keys
    images = [load(data) for _, data in files]
    rs = load(downloads.get_bytes("slice1-series-rtstruct.dcm"))
    assert [r.name for r in read_rois(rs)] == ["lesion", "bar"]
    masks = roi_masks(images, rs)
    for k, ds in enumerate(images):
        assert np.array_equal(masks[1][k], image_mask(ds, 0x6000))
    mask = nib.Nifti1Image.from_bytes(gzip.decompress(downloads.get_bytes("slice1-series-mask.nii.gz")))
    assert mask.shape == (40, 30, 3)


def test_export_without_geometry_says_why(app: AppTest) -> None:
    data, _ = b.two_plane_file()
    goto(upload(app, [("flat.dcm", data)]), "export")
    app.button(key=f"export.formats_make.{state.active(app.session_state).id}").click().run()
    no_exception(app)
    found = errors(app)
    assert any(e.startswith("RT Structure Set: The image has no patient geometry") for e in found)
    assert any(e.startswith("NIfTI mask: The image has no patient geometry") for e in found)


def test_open_imports_a_structure_set_as_one_undoable_step(app: AppTest, downloads: Downloads) -> None:
    with_ = series_files()
    goto(upload(app, with_), "export")
    app.button(key=f"export.formats_make.{state.active(app.session_state).id}").click().run()
    rs = downloads.get_bytes("slice1-series-rtstruct.dcm")
    fresh = AppTest.from_file(support.APP, default_timeout=60)
    upload(fresh, [*without_planes(with_), ("rs.dcm", rs)])  # dropped together
    button = next(x for x in fresh.get("button") if x.key and x.key.startswith("open.import_run."))
    button.click().run()
    no_exception(fresh)
    assert any("Imported rs.dcm as plane(s) 6000, 6002 on 3 image(s)" in support.shown(str(x.value))
               for x in fresh.success)
    for name, source in with_:
        entry = next(e for e in state.files(fresh.session_state) if e.name == name)
        assert entry.dataset is not None
        for group in overlay_groups(load(source)):
            assert np.array_equal(image_mask(entry.dataset, group), image_mask(load(source), group))
        assert entry.history is not None and entry.history.undo(entry.dataset) == "import rs.dcm"
        assert overlay_groups(entry.dataset) == []  # one step took all of it back


def test_after_import_the_image_is_active_and_the_structure_set_stays_out_of_the_zip(
    app: AppTest, downloads: Downloads
) -> None:
    with_ = series_files()
    goto(upload(app, with_), "export")
    app.button(key=f"export.formats_make.{state.active(app.session_state).id}").click().run()
    rs = downloads.get_bytes("slice1-series-rtstruct.dcm")
    fresh = AppTest.from_file(support.APP, default_timeout=60)
    upload(fresh, [*without_planes(with_), ("rs.dcm", rs)])
    fresh.button(key="open.sample").click().run()  # another file, so the zip of every file is offered
    button = next(x for x in fresh.get("button") if x.key and x.key.startswith("open.import_run."))
    button.click().run()
    no_exception(fresh)
    assert state.active(fresh.session_state).name == "slice1.dcm"  # the planes are shown, not rs.dcm
    goto(fresh, "export")
    with zipfile.ZipFile(io.BytesIO(downloads.get_bytes("overlay-studio.zip"))) as archive:
        names = sorted(archive.namelist())
    assert names == sorted([f"slice{k}-edited.dcm" for k in (1, 2, 3)]
                           + [f"{state.SAMPLE_NAME.rsplit('.', 1)[0]}-edited.dcm"])
    assert any("Not in this zip: rs.dcm (RT Structure Set or SEG" in support.shown(c.value)
               for c in fresh.caption)


def test_the_same_image_opened_twice_counts_once_or_is_named(app: AppTest, downloads: Downloads) -> None:
    files = series_files()
    upload(app, [*files, ("slice2 copy.dcm", files[1][1])])  # the same file twice, under two names
    assert len(state.files(app.session_state)) == 4
    state.activate(app.session_state, state.files(app.session_state)[0].id)
    goto(app, "export")
    app.button(key=f"export.formats_make.{state.active(app.session_state).id}").click().run()
    no_exception(app)
    assert errors(app) == []
    rois = read_rois(load(downloads.get_bytes("slice1-series-rtstruct.dcm")))
    assert rois  # made of the three distinct images
    copy = next(e for e in state.files(app.session_state) if e.name == "slice2 copy.dcm")
    assert copy.dataset is not None
    delete_plane(copy.dataset, 0x6000)  # the copies now differ
    app.run()
    assert errors(app) == ["slice2.dcm and slice2 copy.dcm are the same image (one SOP Instance UID) with "
                           "different content: close one of them."]


def test_open_imports_a_nifti_mask_with_its_images(app: AppTest, downloads: Downloads) -> None:
    with_ = series_files()
    goto(upload(app, with_), "export")
    app.button(key=f"export.formats_make.{state.active(app.session_state).id}").click().run()
    mask = downloads.get_bytes("slice1-series-mask.nii.gz")
    fresh = AppTest.from_file(support.APP, default_timeout=60)
    upload(fresh, [*without_planes(with_), ("mask.nii.gz", mask)])
    assert all(e.ok for e in state.files(fresh.session_state))  # the mask was not opened as a DICOM file
    assert len(state.files(fresh.session_state)) == 3
    button = next(x for x in fresh.get("button") if x.key and x.key.startswith("open.import_run."))
    button.click().run()
    no_exception(fresh)
    assert not errors(fresh)
    for name, source in with_:
        entry = next(e for e in state.files(fresh.session_state) if e.name == name)
        assert entry.dataset is not None
        assert overlay_groups(entry.dataset) == overlay_groups(load(source))
        for group in overlay_groups(load(source)):  # labels 1 and 2 go to 6000 and 6002
            assert np.array_equal(image_mask(entry.dataset, group), image_mask(load(source), group))


def test_open_imports_a_seg_dropped_with_its_image(app: AppTest) -> None:
    from overlay_core.interop.seg import seg_bytes

    data, _ = b.two_plane_file()
    source = load(data)
    seg = seg_bytes(source)  # its planes overlap: a BINARY SEG
    [(name, bare)] = without_planes([("two.dcm", data)])
    upload(app, [(name, bare), ("two-seg.dcm", seg)])
    button = next(x for x in app.get("button") if x.key and x.key.startswith("open.import_run."))
    button.click().run()
    no_exception(app)
    entry = next(e for e in state.files(app.session_state) if e.name == "two.dcm")
    assert entry.dataset is not None
    for group in (0x6000, 0x6002):
        assert np.array_equal(image_mask(entry.dataset, group), image_mask(source, group))


def test_store_to_pacs_can_make_a_checked_structure_set() -> None:
    from overlay_core.interop.roundtrip import derived_difference
    from studio.pacs.derived import KINDS, Target, build

    assert KINDS["rtstruct"] == "RT Structure Set"
    session: dict[str | int, object] = {}
    name, data = series_files()[0]
    entry = state.add_file(session, name, data)
    assert entry.dataset is not None
    [made] = build(session, ["rtstruct"], [Target(entry, entry.dataset, shown=False)])
    assert made.kind == "rtstruct" and str(made.dataset.Modality) == "RTSTRUCT"
    assert derived_difference(made.dataset, made.dataset, entry.dataset) is None


orthanc_fixture = pacs_support.orthanc_fixture


def test_an_rt_structure_set_stored_on_orthanc_reads_back_the_same(orthanc: pacs_support.LoadedStudy) -> None:
    """Store to PACS with "RT Structure Set": made of the instance as the PACS holds it, stored, checked."""
    from pydicom import examples

    from overlay_core.pacs.client import connect
    from overlay_core.pacs.config import Server
    from overlay_core.pacs.store import Outgoing, store_and_verify
    from studio.pacs.derived import Target, build

    with open(examples.get_path("overlay"), "rb") as sample:  # load_study stored it on the server
        data = sample.read()
    session: dict[str | int, object] = {}
    entry = state.add_file(session, "sample.dcm", data)
    image = load(data)
    [made] = build(session, ["rtstruct"], [Target(entry, image, shown=False)])
    client = connect(Server("lab", orthanc.server.url))
    # Stored, retrieved again and compared: the ROIs filled on the image give back its planes.
    [stored] = store_and_verify(client, [Outgoing(made.dataset, "the RT Structure Set", image)])
    assert stored.study_uid == str(image.StudyInstanceUID)
    assert (stored.series_uid, stored.sop_uid) == (str(made.dataset.SeriesInstanceUID),
                                                   str(made.dataset.SOPInstanceUID))
