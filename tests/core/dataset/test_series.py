"""overlay_core.dataset.series: series order and derived instances."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset
from pydicom.tag import Tag
from pydicom.uid import generate_uid

from overlay_core.dataset.series import EDITED_SUFFIX, derive_instance, series_order, slice_position
from overlay_core.planes.compare import no_difference
from overlay_core.planes.reading import load
from overlay_core.planes.writing import set_plane, to_bytes
from tests.pacs_support import series_datasets


def _slice(number: object, position: list[float] | None, orientation: list[float] | None = None) -> Dataset:
    ds = Dataset()
    if number is not None:
        ds.InstanceNumber = number
    if position is not None:
        ds.ImagePositionPatient = position
        ds.ImageOrientationPatient = orientation or [1, 0, 0, 0, 1, 0]
    return ds


def test_instance_number_first_then_position_then_as_given() -> None:
    datasets = [_slice(2, [0, 0, 1]), _slice(None, [0, 0, 9]), _slice(1, [0, 0, 7]), _slice(None, [0, 0, -3]),
                _slice(None, None), _slice(2, [0, 0, 0]), _slice("", None)]
    assert series_order(datasets) == [2, 5, 0, 3, 1, 4, 6]


def test_position_along_a_sagittal_normal() -> None:
    # Rows along +y, columns along -z: the normal (row x column) is -x.
    sagittal = [0, 1, 0, 0, 0, -1]
    datasets = [_slice(None, [x, 50.0, 7.0], sagittal) for x in (3.5, -2.0, 10.0)]
    assert [slice_position(ds) for ds in datasets] == [-3.5, 2.0, -10.0]
    assert series_order(datasets) == [2, 0, 1]


@pytest.mark.parametrize("raw", [b"1\\0\\0", b"a\\b\\c\\d\\e\\f", b"nan\\0\\0\\0\\1\\0"])
def test_unusable_orientation_has_no_position(raw: bytes) -> None:
    ds = Dataset()
    ds.ImagePositionPatient = [0, 0, 1]
    tag = 0x00200037  # Image Orientation (Patient), as read from a file, converted on access
    ds._dict[tag] = RawDataElement(Tag(tag), "DS", len(raw), raw, 0, False, True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert slice_position(ds) is None
        assert series_order([ds, _slice(1, None)]) == [1, 0]
        ds._dict[0x00200013] = RawDataElement(Tag(0x00200013), "IS", 2, b"x1", 0, False, True)
        assert series_order([ds, _slice(1, None)]) == [1, 0]  # an unreadable Instance Number


def test_derived_instance_writes_and_reads_back_with_references() -> None:
    (original,), _ = series_datasets(1)
    edited = load(to_bytes(original))
    set_plane(edited, 0x6000, np.eye(48, 64, dtype=bool))
    series = generate_uid()
    derived = derive_instance(original, edited, series)
    back = load(to_bytes(derived))
    assert no_difference(edited, back) and not no_difference(original, back)
    assert back.SOPInstanceUID != original.SOPInstanceUID
    assert back.file_meta.MediaStorageSOPInstanceUID == back.SOPInstanceUID
    assert (back.SeriesInstanceUID, back.StudyInstanceUID) == (series, original.StudyInstanceUID)
    assert back.SeriesDescription == "T1 axial" + EDITED_SUFFIX and int(back.SeriesNumber) == 1007
    assert list(back.ImageType) == ["DERIVED", "PRIMARY"]
    (source,) = back.SourceImageSequence
    assert (source.ReferencedSOPClassUID, source.ReferencedSOPInstanceUID) == (
        original.SOPClassUID, original.SOPInstanceUID)
    assert "Overlay" in back.DerivationDescription
    assert edited.SeriesInstanceUID == original.SeriesInstanceUID  # the arguments are unchanged


def test_long_series_description_stays_within_lo() -> None:
    original = Dataset()
    original.SeriesDescription = "x" * 64
    derived = derive_instance(original, original, generate_uid())
    assert len(derived.SeriesDescription) == 64 and derived.SeriesDescription.endswith(EDITED_SUFFIX)
