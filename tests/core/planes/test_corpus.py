"""Every file of ../shared/corpus against the expected bitmaps of GDCM, pydicom and DCMTK.

Expected arrays (``expected/<file>__<group>.npz``) hold the plane's own bits (``overlay``), the
plane placed on the image (``image_mask_from_source``) and DCMTK's rendering of that plane
(``dcmtk_image_mask``); ``<file>__dcmtk_all.npz`` is DCMTK with every overlay shown.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from overlay_core.planes.placement import combined_mask, image_mask, place
from overlay_core.planes.reading import image_info, load, read_planes, unpack_plane
from tests.conftest import CORPUS

pytestmark = pytest.mark.corpus

ORIGINAL_BRUCKER = "mr_brucker_with_unaligned_multiframe_overlay.dcm"
REPAIRED_BRUCKER = "mr_brucker_with_unaligned_multiframe_overlay__repaired.dcm"


def _files() -> list[str]:
    return sorted(str(p.relative_to(CORPUS)) for p in [*CORPUS.glob("*.dcm"), *CORPUS.glob("derived/*.dcm")])


def _plane_cases() -> list[tuple[str, str]]:
    cases = []
    for rel in _files():
        expected_dir = CORPUS / Path(rel).parent / "expected"
        for npz in sorted(expected_dir.glob(f"{Path(rel).name}__6*.npz")):
            cases.append((rel, npz.stem.rsplit("__", 1)[1]))
    return cases


def _expected(rel: str, suffix: str) -> dict[str, np.ndarray]:
    path = CORPUS / Path(rel).parent / "expected" / f"{Path(rel).name}__{suffix}.npz"
    with np.load(path) as npz:
        return {key: npz[key] for key in npz.files}


def _load(corpus: Path, rel: str):  # type: ignore[no-untyped-def]
    return load((corpus / rel).read_bytes())


def test_the_corpus_has_planes_to_check(corpus: Path) -> None:
    assert len(_files()) >= 11 and len(_plane_cases()) >= 12
    assert len(_dcmtk_all_files()) == len(_files()) - 1  # all but the presentation state


@pytest.mark.parametrize(("rel", "group"), _plane_cases() or [pytest.param("", "", marks=pytest.mark.skip(
    reason=f"the shared corpus is not at {CORPUS}"))])
def test_plane_bits_and_placement(corpus: Path, rel: str, group: str) -> None:
    ds = _load(corpus, rel)
    expected = _expected(rel, group)
    plane, bits, _ = unpack_plane(ds, int(group, 16))
    assert np.array_equal(bits, expected["overlay"].astype(bool))
    assert list(plane.origin) == expected["origin"].tolist()
    if "image_mask_from_source" in expected:
        placed = image_mask(ds, int(group, 16))
        assert np.array_equal(placed, expected["image_mask_from_source"].astype(bool))
        if "dcmtk_image_mask" in expected:
            assert np.array_equal(placed, expected["dcmtk_image_mask"].astype(bool))


def _dcmtk_all_files() -> list[str]:
    """Files with an image, which DCMTK rendered (the presentation state has its own tests)."""
    return [rel for rel in _files()
            if (CORPUS / Path(rel).parent / "expected" / f"{Path(rel).name}__dcmtk_all.npz").exists()]


@pytest.mark.parametrize("rel", _dcmtk_all_files() or [pytest.param("", marks=pytest.mark.skip(
    reason=f"the shared corpus is not at {CORPUS}"))])
def test_all_planes_as_dcmtk_shows_them(corpus: Path, rel: str) -> None:
    ds = _load(corpus, rel)
    ours = combined_mask(ds)
    if rel == ORIGINAL_BRUCKER:
        # DCMTK shows nothing for the original: (6000,0015) is US and (6000,0100)/(6000,0102)
        # are missing. We read it anyway, so it must match the repaired derived file instead.
        assert not _expected(rel, "dcmtk_all")["dcmtk_image_mask"].any()
        repaired = _expected(f"derived/{REPAIRED_BRUCKER}", "6000")
        assert ours.any()
        assert np.array_equal(ours, repaired["image_mask_from_source"].astype(bool))
        assert np.array_equal(ours, repaired["dcmtk_image_mask"].astype(bool))
        return
    assert np.array_equal(ours, _expected(rel, "dcmtk_all")["dcmtk_image_mask"].astype(bool))


def test_presentation_state_lists_its_two_planes(corpus: Path) -> None:
    ds = _load(corpus, "weasis_prOverlay.dcm")
    assert [p.group_hex for p in read_planes(ds)] == ["6008", "600A"]


def test_presentation_state_union_matches_dcmtk_and_weasis(corpus: Path) -> None:
    image = _load(corpus, "weasis_overlay.dcm")
    pr = _load(corpus, "weasis_prOverlay.dcm")
    union = combined_mask(image)
    for plane in read_planes(pr):
        union |= place(plane, unpack_plane(pr, plane.group)[1], image_info(image).shape)
    expected = _expected("weasis_overlay.dcm+weasis_prOverlay.dcm", "pr_union")
    assert np.array_equal(union[0], expected["union_from_sources"].astype(bool))
    assert np.array_equal(union[0], expected["dcmtk_dcmp2pgm_union"].astype(bool))
