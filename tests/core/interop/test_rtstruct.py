"""Overlay planes to RT Structure Sets and back; structure sets from rt-utils; the validator."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
from pydicom.dataset import Dataset

from overlay_core.errors import InvalidArgumentError, WrongReferenceError
from overlay_core.interop.rtstruct import (
    export_rtstruct,
    import_rtstruct,
    read_rois,
    roi_masks,
    rtstruct_bytes,
)
from overlay_core.planes.placement import image_mask
from overlay_core.planes.reading import load, overlay_groups, read_planes
from overlay_core.planes.writing import delete_plane, to_bytes
from tests import builders as b
from tests.formats_support import enhanced_image, mr_series, with_planes, write_series
from tests.validator import new_errors


def bare(datasets: list[Dataset]) -> list[Dataset]:
    """Copies of the images without their planes."""
    out = []
    for ds in datasets:
        copy = load(to_bytes(ds))
        for group in overlay_groups(copy):
            delete_plane(copy, group)
        out.append(copy)
    return out


def placed(ds: Dataset, group: int) -> np.ndarray:
    if group in overlay_groups(ds):
        return image_mask(ds, group)
    return np.zeros((1, int(ds.Rows), int(ds.Columns)), bool)


@pytest.mark.parametrize("orientation", [(1, 0, 0, 0, 1, 0), None], ids=["axial", "oblique"])
def test_series_round_trip_bit_for_bit(orientation: tuple[float, ...] | None) -> None:
    # Planes smaller than the image at a negative origin, holes, islands, non-square pixels.
    series = with_planes(mr_series(4, 40, 52, **({"orientation": orientation} if orientation else {})))
    shuffled = [series[i] for i in (2, 0, 3, 1)]  # given in any order: ordered as a series
    rs = load(rtstruct_bytes(shuffled))
    assert [r.name for r in read_rois(rs)] == ["lesion", "spots"]
    assert read_rois(rs)[0].description == "drawn by hand" and read_rois(rs)[0].algorithm == "SEMIAUTOMATIC"
    assert str(rs.Modality) == "RTSTRUCT" and rs.StudyInstanceUID == series[0].StudyInstanceUID
    images = [str(i.ReferencedSOPInstanceUID) for i in
              rs.ReferencedFrameOfReferenceSequence[0].RTReferencedStudySequence[0]
              .RTReferencedSeriesSequence[0].ContourImageSequence]
    assert images == [str(ds.SOPInstanceUID) for ds in series]  # series order
    targets = bare(series)
    added = import_rtstruct(targets, rs)
    middle = len(series) // 2
    assert [len(planes) for planes in added] == [2 if k != middle else 1 for k in range(len(series))]
    for source, target in zip(series, targets, strict=True):
        for group in (0x6000, 0x6002):
            assert np.array_equal(placed(target, group), placed(source, group))
    plane = next(p for p in read_planes(targets[0]) if p.group == 0x6000)
    assert (plane.label, plane.origin, plane.rows) == ("lesion", (1, 1), 40)


def test_contours_lie_in_the_image_plane_in_patient_coordinates() -> None:
    series = with_planes(mr_series(2, 30, 40))
    rs = load(rtstruct_bytes(series, [0x6000]))
    for contour in rs.ROIContourSequence[0].ContourSequence:
        assert contour.ContourGeometricType == "CLOSED_PLANAR"
        points = np.array([float(v) for v in contour.ContourData]).reshape(-1, 3)
        assert int(contour.NumberOfContourPoints) == len(points)
        uid = contour.ContourImageSequence[0].ReferencedSOPInstanceUID
        ds = next(d for d in series if d.SOPInstanceUID == uid)
        orientation = np.array(ds.ImageOrientationPatient, float)
        x, y = orientation[:3], orientation[3:]
        offset = points - np.array(ds.ImagePositionPatient, float)
        assert np.allclose(offset @ np.cross(x, y), 0, atol=1e-4)  # on the slice
        rows, cols = offset @ y / float(ds.PixelSpacing[0]), offset @ x / float(ds.PixelSpacing[1])
        # Vertices half way between pixel centres, never outside the image's border pixels.
        assert rows.min() > -0.5 - 1e-4 and cols.min() > -0.5 - 1e-4
        assert np.allclose(np.round(rows * 2), rows * 2, atol=1e-4)


def test_enhanced_multi_frame_round_trip() -> None:
    ds = enhanced_image(frames=3)
    b.add_plane(ds, 0x6000, b.random_mask((2, 12, 14), seed=5), origin=(-2, 15), frames_attr=2,
                image_frame_origin=2)
    rs = load(rtstruct_bytes([ds]))
    refs = {int(c.ContourImageSequence[0].ReferencedFrameNumber)
            for c in rs.ROIContourSequence[0].ContourSequence}
    assert refs <= {2, 3}
    [target] = bare([ds])
    import_rtstruct([target], rs)
    assert np.array_equal(image_mask(target, 0x6000), image_mask(ds, 0x6000))


def test_contours_without_image_references_are_placed_by_their_plane() -> None:
    series = with_planes(mr_series(3, 30, 40))
    rs = load(rtstruct_bytes(series))
    for roi in rs.ROIContourSequence:
        for contour in roi.ContourSequence:
            del contour.ContourImageSequence
    masks = roi_masks(series, rs)
    for k, ds in enumerate(series):
        assert np.array_equal(masks[1][k], placed(ds, 0x6000))


def test_a_contour_off_every_slice_is_not_placed() -> None:
    [image] = with_planes(mr_series(3, 30, 40))[:1]
    rs = load(rtstruct_bytes([image], [0x6000]))
    for contour in rs.ROIContourSequence[0].ContourSequence:
        del contour.ContourImageSequence
        points = np.array([float(v) for v in contour.ContourData]).reshape(-1, 3)
        orientation = np.array(image.ImageOrientationPatient, float)
        points += 10 * np.cross(orientation[:3], orientation[3:])  # 10 mm off the slice
        contour.ContourData = [f"{v:.6f}" for v in points.ravel()]
    with pytest.raises(WrongReferenceError, match="has no contour on these images"):
        roi_masks([image], rs)


def test_no_geometry_is_one_sentence_and_nothing_made() -> None:
    ds = b.image_dataset(8, 8)
    b.add_plane(ds, 0x6000, np.eye(8, dtype=bool))
    expected = r"^The image has no patient geometry .* nothing was written\.$"
    with pytest.raises(InvalidArgumentError, match=expected):
        rtstruct_bytes([ds])


def test_refusals() -> None:
    series = with_planes(mr_series(2, 20, 24))
    other = mr_series(1, 20, 24)[0]
    other.StudyInstanceUID = series[0].StudyInstanceUID
    with pytest.raises(InvalidArgumentError, match="different Frames of Reference"):
        export_rtstruct([*series, with_planes([other])[0]])
    with pytest.raises(InvalidArgumentError, match="No image has a usable overlay plane in group 6004"):
        export_rtstruct(series, [0x6004])
    rs = load(rtstruct_bytes(series))
    with pytest.raises(InvalidArgumentError, match="has no ROI 7; its ROIs are 1, 2"):
        roi_masks(series, rs, [7])
    elsewhere = mr_series(2, 20, 24)  # another series: no contour lies on it
    with pytest.raises(WrongReferenceError, match='ROI 1 \\("lesion"\\) has no contour on these images'):
        roi_masks(elsewhere, rs)
    with pytest.raises(InvalidArgumentError, match="not an RT Structure Set"):
        read_rois(series[0])


def test_rt_utils_structure_imports_with_dice(tmp_path: Path) -> None:
    rt_utils = pytest.importorskip("rt_utils")
    from skimage.draw import disk, ellipse

    # rt-utils reads Pixel Spacing column first (its own convention), so square pixels here.
    series = mr_series(4, 64, 64, spacing=(0.8, 0.8))
    write_series(series, tmp_path / "series")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        builder = rt_utils.RTStructBuilder.create_new(dicom_series_path=str(tmp_path / "series"))
        order = [str(ds.SOPInstanceUID) for ds in builder.series_data]
        mask = np.zeros((64, 64, 4), bool)
        for k in range(4):
            rr, cc = ellipse(32, 30, 18 + k, 24, shape=(64, 64))
            mask[rr, cc, k] = True
            rr, cc = disk((32, 30), 6, shape=(64, 64))
            mask[rr, cc, k] = False  # a hole
        builder.add_roi(mask=mask, name="organ")
        builder.save(str(tmp_path / "rs.dcm"))
    rs = load((tmp_path / "rs.dcm").read_bytes())
    targets = bare(series)
    import_rtstruct(targets, rs)
    for ds in targets:
        found = image_mask(ds, 0x6000)[0]
        expected = mask[:, :, order.index(str(ds.SOPInstanceUID))]
        dice = 2 * np.count_nonzero(found & expected) / (found.sum() + expected.sum())
        assert dice >= 0.98, dice
    assert next(p for p in read_planes(targets[0])).label == "organ"


def test_validator_finds_no_error_the_image_lacks(tmp_path: Path) -> None:
    series = with_planes(mr_series(3, 30, 40))
    source = write_series(series, tmp_path / "series")[0]
    out = tmp_path / "rs.dcm"
    out.write_bytes(rtstruct_bytes(series))
    assert new_errors(out, source) == []


def test_read_back_check_of_a_stored_structure_set() -> None:
    from overlay_core.interop.roundtrip import derived_difference

    [image] = with_planes(mr_series(3, 30, 40))[:1]
    sent = load(rtstruct_bytes([image]))
    assert derived_difference(sent, load(to_bytes(sent)), image) is None
    changed = load(to_bytes(sent))
    changed.ROIContourSequence[0].ContourSequence.pop()
    assert derived_difference(sent, changed, image).startswith("ROI 1 differs in ")
