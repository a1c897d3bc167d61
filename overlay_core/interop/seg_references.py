"""Which image frames a SEG's frames hold and reference, read from its functional groups.

Each SEG frame names its segment in (0062,000A) *Segment Identification Sequence* (every
segment, for a LABELMAP SEG) and its source in (0008,9124) *Derivation Image Sequence*,
either in its own item of (5200,9230) *Per-Frame Functional Groups Sequence* or once for
all in (5200,9229) *Shared Functional Groups Sequence*.

>>> seg = Dataset(); seg.SegmentationType = "BINARY"
>>> item = Dataset(); ident = Dataset(); ident.ReferencedSegmentNumber = 2
>>> item.SegmentIdentificationSequence = [ident]
>>> frame_segments(seg, item)
[2]
"""

from __future__ import annotations

from pydicom.dataset import Dataset
from pydicom.multival import MultiValue

from overlay_core.errors import InvalidArgumentError

__all__ = ["frame_references", "frame_segments", "functional_group"]


def functional_group(seg: Dataset, item: Dataset, keyword: str) -> list[Dataset]:
    """Return a functional group of one frame, from its per-frame item or the shared one."""
    if keyword in item:
        return list(item[keyword].value)
    shared = seg.get("SharedFunctionalGroupsSequence") or [Dataset()]
    return list(shared[0].get(keyword) or [])


def frame_segments(seg: Dataset, item: Dataset) -> list[int]:
    """Return the segments one SEG frame holds: the one it names, or every one of a label map."""
    if str(seg.get("SegmentationType", "")).strip().upper() == "LABELMAP":
        return [int(s.SegmentNumber) for s in seg.SegmentSequence]
    found = functional_group(seg, item, "SegmentIdentificationSequence")
    if not found:
        raise InvalidArgumentError("The SEG has a frame that names no segment.")
    return [int(found[0].ReferencedSegmentNumber)]


def frame_references(seg: Dataset, sop_instance_uid: str) -> dict[int, set[int | None]]:
    """Map segment number to the image frame numbers (None: unnamed) its frames reference."""
    refs: dict[int, set[int | None]] = {}
    for item in seg.get("PerFrameFunctionalGroupsSequence", []):
        numbers = frame_segments(seg, item)
        for derivation in functional_group(seg, item, "DerivationImageSequence"):
            for source in derivation.get("SourceImageSequence", []):
                if str(source.get("ReferencedSOPInstanceUID", "")) != sop_instance_uid:
                    continue
                value = source.get("ReferencedFrameNumber")
                found: set[int | None] = {None}
                if value is not None and value != "":
                    values = value if isinstance(value, (list, tuple, MultiValue)) else [value]
                    found = {int(v) for v in values}
                for number in numbers:
                    refs.setdefault(number, set()).update(found)
    return refs
