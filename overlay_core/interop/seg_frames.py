"""DICOM SEGs of multi-frame images, built frame by frame (highdicom cannot, without geometry).

highdicom 0.28 refuses a multi-frame source without a patient coordinate system (most
multi-frame overlays: cine, Secondary Capture). So each image frame with content
becomes a SEG of a one-frame view of the image
(:func:`overlay_core.interop.derived.single_frame_view`), and the frames are merged into
one SEG whose frames carry (0008,1160) *Referenced Frame Number*. Used by
:func:`overlay_core.interop.seg.export_seg`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray
from pydicom.dataset import Dataset
from pydicom.pixels.utils import pack_bits
from pydicom.sequence import Sequence as DicomSequence
from pydicom.uid import UID

from overlay_core.dataset.copies import copy_element
from overlay_core.interop.derived import restore_class, single_frame_view

__all__ = ["multi_frame_labelmap", "multi_frame_seg"]


def multi_frame_seg(header: Dataset, masks: NDArray[np.bool_], common: dict[str, Any]) -> Dataset:
    """Build a SEG of a multi-frame image frame by frame, each SEG frame naming its image frame.

    highdicom 0.28 refuses a multi-frame source without a patient coordinate system
    (most multi-frame overlays: cine, Secondary Capture). So each image frame with
    content becomes a SEG of a one-frame view of the image, and the frames are merged
    into one SEG whose frames carry (0008,1160) *Referenced Frame Number*. The SEG has
    no Frame of Reference (which would require plane positions for every frame): it is
    aligned with the image pixel for pixel, through those references.
    """
    import highdicom as hd

    single = single_frame_view(header)
    base: Dataset | None = None
    items: list[Dataset] = []
    frames: list[NDArray[np.bool_]] = []
    for f in range(masks.shape[0]):
        if not masks[f].any():
            continue
        part = hd.seg.Segmentation(source_images=[single], pixel_array=masks[f:f + 1].astype(np.uint8),
                                   **common)
        base = base or part
        shared = part.SharedFunctionalGroupsSequence[0]
        for item in part.PerFrameFunctionalGroupsSequence:
            for elem in shared:  # every functional group per frame: the frames differ
                if elem.tag not in item:
                    item.add(copy_element(elem))
            number = int(item.SegmentIdentificationSequence[0].ReferencedSegmentNumber)
            for derivation in item.DerivationImageSequence:
                for source in derivation.SourceImageSequence:
                    source.ReferencedFrameNumber = f + 1
            items.append(item)
            frames.append(masks[f, :, :, number - 1])
    assert base is not None  # every segment has a pixel on the image (checked by the caller)
    base.PerFrameFunctionalGroupsSequence = DicomSequence(items)
    base.SharedFunctionalGroupsSequence = DicomSequence([Dataset()])
    base.NumberOfFrames = len(items)
    base.PixelData = pack_bits(np.stack(frames).astype(np.uint8))
    referenced = sorted({int(i.DerivationImageSequence[0].SourceImageSequence[0].ReferencedFrameNumber)
                         for i in items})
    for source in base.get("SourceImageSequence", []):
        source.ReferencedFrameNumber = referenced if len(referenced) > 1 else referenced[0]
    restore_class(base, str(header.SOPInstanceUID), UID(str(header.SOPClassUID)))
    return base


def multi_frame_labelmap(header: Dataset, masks: NDArray[np.bool_], common: dict[str, Any]) -> Dataset:
    """Build a LABELMAP SEG of a multi-frame image frame by frame (see :func:`multi_frame_seg`).

    A label map has one SEG frame per image frame with content (no per-segment frames),
    whose pixels are the segment numbers.
    """
    import highdicom as hd

    single = single_frame_view(header)
    base: Dataset | None = None
    items: list[Dataset] = []
    pixels: list[bytes] = []
    for f in range(masks.shape[0]):
        if not masks[f].any():
            continue
        part = hd.seg.Segmentation(source_images=[single], pixel_array=masks[f:f + 1].astype(np.uint8),
                                   **common)
        base = base or part
        shared = part.SharedFunctionalGroupsSequence[0]
        for item in part.PerFrameFunctionalGroupsSequence:
            for elem in shared:
                if elem.tag not in item:
                    item.add(copy_element(elem))
            for derivation in item.DerivationImageSequence:
                for source in derivation.SourceImageSequence:
                    source.ReferencedFrameNumber = f + 1
            items.append(item)
        pixels.append(bytes(part.PixelData)[: int(part.Rows) * int(part.Columns) * int(part.NumberOfFrames)
                                            * (int(part.BitsAllocated) // 8)])
    assert base is not None  # every segment has a pixel on the image (checked by the caller)
    base.PerFrameFunctionalGroupsSequence = DicomSequence(items)
    base.SharedFunctionalGroupsSequence = DicomSequence([Dataset()])
    base.NumberOfFrames = len(items)
    data = b"".join(pixels)
    base.PixelData = data + b"\0" * (len(data) % 2)
    referenced = sorted({int(i.DerivationImageSequence[0].SourceImageSequence[0].ReferencedFrameNumber)
                         for i in items})
    for source in base.get("SourceImageSequence", []):
        source.ReferencedFrameNumber = referenced if len(referenced) > 1 else referenced[0]
    restore_class(base, str(header.SOPInstanceUID), UID(str(header.SOPClassUID)))
    return base
