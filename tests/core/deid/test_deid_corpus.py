"""The shared corpus through both profiles: Remove leaves no 60xx element; Clean Graphics keeps
the graphics of every plane that holds no text bit for bit, and erases the text of those that do."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from overlay_core.deid.profiles import deidentify
from overlay_core.deid.remove import embedded_in_compressed
from overlay_core.errors import OverlayError
from overlay_core.planes.reading import load, overlay_groups, unpack_plane
from overlay_core.planes.writing import checked_bytes

pytestmark = pytest.mark.corpus

#: Files whose planes carry words, seen on their rendered planes: "Tra" (pydicom's and Siemens'
#: MR sample), and Weasis' "Overlay in pixel data bit 15 group 6000" and the like.
WITH_TEXT = {"examples_overlay.dcm", "MR-SIEMENS-DICOM-WithOverlays.dcm", "weasis_overlay.dcm",
             "weasis_prOverlay.dcm"}


def _files(corpus: Path) -> list[Path]:
    return sorted([*corpus.glob("*.dcm"), *corpus.glob("derived/*.dcm")])


def _planes(ds: object) -> dict[int, np.ndarray]:
    out = {}
    for group in overlay_groups(ds):  # type: ignore[arg-type]
        try:
            out[group] = unpack_plane(ds, group)[1]  # type: ignore[arg-type]
        except OverlayError:
            continue
    return out


def _write(ds: object) -> bytes:
    # One corpus file has no SOP Instance UID; it is written only with a new one.
    return checked_bytes(ds, new_sop_instance_uid=not str(ds.get("SOPInstanceUID") or ""))  # type: ignore[arg-type,attr-defined]


def test_remove(corpus: Path) -> None:
    for path in _files(corpus):
        ds = load(path.read_bytes())
        deidentify(ds, "remove", decompress_image=bool(embedded_in_compressed(ds)))
        written = load(_write(ds))
        assert not [t for t in written.keys() if 0x6000 <= int(t) >> 16 <= 0x60FF], path.name


def test_clean_graphics(corpus: Path) -> None:
    for path in _files(corpus):
        ds = load(path.read_bytes())
        before = _planes(ds)
        report = deidentify(ds, "clean-graphics")
        load(_write(ds))
        after = _planes(ds)
        assert set(after) == set(before), path.name
        words = [w for p in report["planes"] for f in p.get("frames", []) for w in f["words"]]
        if path.name in WITH_TEXT:
            assert words, path.name
            assert any(not np.array_equal(before[g], after[g]) for g in before), path.name
        else:
            assert words == [], path.name
            for group, bits in before.items():
                assert np.array_equal(after[group], bits), f"{path.name} {group:04X}"
