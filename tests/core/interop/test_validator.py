"""``dciodvfy`` over every kind of file we write from the corpus: no Error its source lacks.

Edited images, SEG (BINARY and LABELMAP), presentation states, burned-in Secondary
Captures and RT Structure Sets. The validator (dicom3tools 2022) does not know the Label
Map Segmentation SOP Class of 2024 (it reports "Information Object Not found"), so a
LABELMAP SEG is checked only for the errors it can judge: none but that one, and its
background segment numbered 0, which Supplement 243 allows.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from pydicom.dataset import Dataset

from overlay_core.errors import OverlayError
from overlay_core.interop.gsps import gsps_bytes
from overlay_core.interop.rtstruct import rtstruct_bytes
from overlay_core.interop.secondary_capture import sc_bytes
from overlay_core.interop.seg import seg_bytes
from overlay_core.planes.placement import image_mask
from overlay_core.planes.reading import image_info, load, read_planes
from overlay_core.planes.writing import Attributes, checked_bytes, set_attributes
from tests.validator import error_lines, new_errors, require_dciodvfy

pytestmark = pytest.mark.corpus

FILES = ["weasis_overlay.dcm", "OutOfBoundsOverlay.dcm", "MR-SIEMENS-DICOM-WithOverlays.dcm",
         "examples_overlay.dcm", "derived/mr_brucker_with_unaligned_multiframe_overlay__repaired.dcm"]


def _on_image(ds: Dataset) -> list[int]:
    return [p.group for p in read_planes(ds) if image_mask(ds, p.group).any()]


def _edited(ds: Dataset) -> bytes:
    set_attributes(ds, read_planes(ds)[0].group, Attributes(label="edited"))
    return checked_bytes(ds)


def _gsps(ds: Dataset) -> bytes:
    frames = image_info(ds).frames
    for frame in range(frames):  # the first frame with a plane, for planes that differ per frame
        try:
            return gsps_bytes(ds, None, frame if frames > 1 else None)
        except OverlayError:
            continue
    raise OverlayError("no frame has a plane")


KINDS: dict[str, Callable[[Dataset], bytes]] = {
    "edited": _edited,
    "seg": lambda ds: seg_bytes(ds, _on_image(ds)),
    "gsps": _gsps,
    "sc": lambda ds: sc_bytes(ds),
    "rtstruct": lambda ds: rtstruct_bytes([ds], _on_image(ds)),
}


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("name", FILES)
def test_no_new_validator_error(corpus: Path, tmp_path: Path, name: str, kind: str) -> None:
    require_dciodvfy()
    source = corpus / name
    ds = load(source.read_bytes())
    try:
        data = KINDS[kind](ds)
    except OverlayError as exc:
        if kind == "rtstruct" and "no patient geometry" in str(exc):
            pytest.skip(f"{name} has no patient geometry, so no RT Structure Set is made (tested elsewhere)")
        raise
    out = tmp_path / f"out-{kind}.dcm"
    out.write_bytes(data)
    assert new_errors(out, source) == []


def test_labelmap_seg_has_only_the_errors_of_an_unknown_class(corpus: Path, tmp_path: Path) -> None:
    require_dciodvfy()
    source = corpus / "MR-SIEMENS-DICOM-WithOverlays.dcm"
    ds = load(source.read_bytes())
    out = tmp_path / "labelmap.dcm"
    out.write_bytes(seg_bytes(ds, _on_image(ds)[:1], labelmap=True))
    errors = new_errors(out, source)
    known = ("Information Object Not found", "SegmentNumber of 0")
    assert errors and all(any(text in line for text in known) for line in errors)
    assert error_lines(source) == []
