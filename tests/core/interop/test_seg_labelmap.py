"""LABELMAP SEG out and in; FRACTIONAL SEG in by a threshold of one half."""

from __future__ import annotations

import warnings

import highdicom as hd
import numpy as np
import pytest
from pydicom.dataset import Dataset
from pydicom.sr.codedict import codes
from pydicom.uid import generate_uid

from overlay_core.errors import InvalidArgumentError
from overlay_core.interop.seg import (
    LABELMAP_SEGMENTATION_STORAGE,
    import_seg,
    read_segments,
    seg_bytes,
    segment_masks,
)
from overlay_core.planes.placement import image_mask
from overlay_core.planes.reading import load, overlay_groups, read_planes
from overlay_core.planes.writing import delete_plane
from tests import builders as b
from tests.formats_support import ring_with_islands


def image(frames: int) -> Dataset:
    ds = b.image_dataset(20, 24, frames=frames)
    ring = ring_with_islands(12, 14)
    bits = np.stack([ring, ring[::-1], ring[:, ::-1]][:frames]) if frames > 1 else ring
    b.add_plane(ds, 0x6000, bits, origin=(-2, 12), label="ring", frames_attr=frames if frames > 1 else None,
                image_frame_origin=1 if frames > 1 else None)  # partly outside, holes, islands
    bar = np.zeros((20, 24), bool)
    bar[15:19, 1:10] = True
    b.add_plane(ds, 0x6002, bar, label="bar")
    return load(b.to_file_bytes(ds))


def without_planes(ds: Dataset) -> Dataset:
    copy = load(b.to_file_bytes(ds))
    for group in overlay_groups(copy):
        delete_plane(copy, group)
    return copy


@pytest.mark.parametrize("frames", [1, 3])
def test_labelmap_round_trip_bit_for_bit(frames: int) -> None:
    source = image(frames)
    seg = load(seg_bytes(source, labelmap=True))
    assert seg.SOPClassUID == LABELMAP_SEGMENTATION_STORAGE and seg.SegmentationType == "LABELMAP"
    assert [s.label for s in read_segments(seg)] == ["ring", "bar"]  # the background is not a segment
    target = without_planes(source)
    planes = import_seg(target, seg)
    for old, new in zip(read_planes(source), planes, strict=True):
        assert np.array_equal(image_mask(target, new.group), image_mask(source, old.group))
        assert new.label == old.label


def test_labelmap_refuses_overlap_naming_it() -> None:
    source = image(1)
    b.add_plane(source, 0x6004, np.ones((2, 3), bool), origin=(16, 2))
    expected = (r"^Overlay groups 6002 and 6004 overlap in 6 pixel\(s\), so they cannot share a "
                r"LABELMAP SEG; export a BINARY SEG instead\.$")
    with pytest.raises(InvalidArgumentError, match=expected):
        seg_bytes(source, labelmap=True)
    assert load(seg_bytes(source)).SegmentationType == "BINARY"  # the BINARY form holds them


def test_fractional_segments_are_read_from_one_half() -> None:
    source = image(1)
    for keyword in ("PatientBirthDate", "PatientSex", "StudyDate", "StudyTime", "StudyID", "AccessionNumber",
                    "ReferringPhysicianName"):
        setattr(source, keyword, "")  # highdicom copies them
    fraction = np.zeros((1, 20, 24), np.float32)
    fraction[0, 2:10, 3:12] = 0.5
    fraction[0, 4:6, 4:6] = 0.49  # below one half: not set
    fraction[0, 12:14, 0:3] = 1.0
    description = hd.seg.SegmentDescription(
        segment_number=1, segment_label="likely", segmented_property_category=codes.SCT.Tissue,
        segmented_property_type=codes.SCT.Tissue, algorithm_type="MANUAL")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        seg = hd.seg.Segmentation(
            source_images=[source], pixel_array=fraction, segmentation_type="FRACTIONAL",
            segment_descriptions=[description], series_instance_uid=generate_uid(), series_number=2,
            sop_instance_uid=generate_uid(), instance_number=1, manufacturer="test",
            manufacturer_model_name="test", software_versions="0", device_serial_number="0",
            max_fractional_value=100)
    mask = segment_masks(source, load(b.to_file_bytes(seg)))[1][0]
    assert np.array_equal(mask, fraction[0] >= 0.5)
