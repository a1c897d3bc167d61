"""Presentation states: the planes a state shows on its image, and our GSPS export, against DCMTK."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from overlay_core.errors import InvalidArgumentError, WrongReferenceError
from overlay_core.interop.gsps import (
    GSPS_STORAGE,
    LAYER,
    export_gsps,
    gsps_bytes,
    referenced_frames,
    state_planes,
)
from overlay_core.planes.placement import image_mask
from overlay_core.planes.reading import load, read_planes
from overlay_core.planes.writing import Attributes, set_attributes, to_bytes
from tests import builders as b
from tests.core.render.test_dcmtk_oracle import read_pgm

IMAGE, STATE = "weasis_overlay.dcm", "weasis_prOverlay.dcm"


@pytest.mark.corpus
def test_the_corpus_state_shows_six_planes_as_expected(corpus: Path) -> None:
    image = load((corpus / IMAGE).read_bytes())
    state = load((corpus / STATE).read_bytes())
    shown = state_planes(state, image)
    assert [(p.group, p.layer, p.from_state) for p in shown] == [
        (0x6000, "LAYER1", False), (0x6002, "LAYER2", False), (0x6004, "LAYER3", False),
        (0x6006, "LAYER4", False), (0x6008, "LAYER5", True), (0x600A, "LAYER6", True)]
    union = np.zeros((512, 512), bool)
    for plane in shown:
        union |= plane.mask[0]
        owner = STATE if plane.from_state else IMAGE
        with np.load(corpus / "expected" / f"{owner}__{plane.group:04X}.npz") as npz:
            key = "overlay" if plane.from_state else "image_mask_from_source"
            assert np.array_equal(plane.mask, npz[key].astype(bool)), plane.group
    with np.load(corpus / "expected" / f"{IMAGE}+{STATE}__pr_union.npz") as npz:
        assert np.array_equal(union, npz["union_from_sources"].astype(bool))
        assert np.array_equal(union, npz["dcmtk_dcmp2pgm_union"].astype(bool))


@pytest.mark.corpus
def test_a_state_of_another_image_is_refused(corpus: Path) -> None:
    state = load((corpus / STATE).read_bytes())
    with pytest.raises(WrongReferenceError, match="does not reference this image"):
        state_planes(state, load(b.two_plane_file()[0]))


@pytest.mark.parametrize("build", [b.two_plane_file, b.larger_plane_file, b.roi_file, b.embedded_file])
def test_export_reads_back_with_the_planes_where_placement_puts_them(build) -> None:  # type: ignore[no-untyped-def]
    source = load(build()[0])
    state = load(gsps_bytes(source))
    assert state.SOPClassUID == GSPS_STORAGE and state.Modality == "PR"
    assert state.StudyInstanceUID == source.StudyInstanceUID
    assert state.SeriesInstanceUID != source.SeriesInstanceUID
    assert [layer.GraphicLayer for layer in state.GraphicLayerSequence] == [LAYER]
    ref = state.ReferencedSeriesSequence[0].ReferencedImageSequence[0]
    assert ref.ReferencedSOPInstanceUID == source.SOPInstanceUID
    shown = state_planes(state, source)
    assert [p.group for p in shown] == [p.group for p in read_planes(source)]
    for plane in shown:
        assert plane.from_state and plane.layer == LAYER
        assert np.array_equal(plane.mask, image_mask(source, plane.group))
    assert all(not p.embedded and p.bits_allocated == 1 for p in read_planes(state))


def test_export_keeps_labels_type_and_origin() -> None:
    source = load(b.roi_file()[0])
    set_attributes(source, 0x6000, Attributes(origin=(-2, 3)))
    (plane,) = read_planes(load(gsps_bytes(source)))
    assert (plane.type.value, plane.label, plane.description, plane.origin) == (
        "R", "LESION", "measured region", (-2, 3))


def test_a_multi_frame_plane_exports_one_frame() -> None:
    data, _ = b.multiframe_file(image_frames=4, plane_frames=2, image_frame_origin=2)
    source = load(data)
    with pytest.raises(InvalidArgumentError, match="differs between image frames"):
        export_gsps(source)
    with pytest.raises(InvalidArgumentError, match="no overlay plane on frame 1"):
        export_gsps(source, frame=0)
    state = load(gsps_bytes(source, frame=2))
    assert referenced_frames(state, source) == [2]
    ref = state.ReferencedSeriesSequence[0].ReferencedImageSequence[0]
    assert ref.ReferencedSOPClassUID == source.SOPClassUID
    (shown,) = state_planes(state, source)
    expected = image_mask(source, 0x6000)
    expected[[0, 1, 3]] = False
    assert np.array_equal(shown.mask, expected)


def test_bad_frame_and_group() -> None:
    source = load(b.two_plane_file()[0])
    with pytest.raises(InvalidArgumentError, match="Frame index 2 is out of range: the image has 1 frame"):
        export_gsps(source, frame=2)
    with pytest.raises(InvalidArgumentError, match="group 6004"):
        export_gsps(source, [0x6004])
    before = to_bytes(source)
    gsps_bytes(source)
    assert to_bytes(source) == before


# --------------------------------------------------------------------------- DCMTK renders our state


def dcmtk_planes(tmp_path: Path, image: bytes, state: bytes, rows: int, cols: int) -> dict[int, np.ndarray]:
    """Run ``dcmp2pgm -v -p`` and place each ``ovl_*.pgm`` where DCMTK says it lies."""
    (tmp_path / "image.dcm").write_bytes(image)
    (tmp_path / "state.dcm").write_bytes(state)
    result = subprocess.run(["dcmp2pgm", "-v", "-p", "state.dcm", "image.dcm", "out.pgm"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    log = result.stdout + result.stderr
    found = re.findall(r"group=0x([0-9a-fA-F]{4}).*?columns=(\d+) rows=(\d+) left=(-?\d+) top=(-?\d+)"
                       r".*?filename=\"(ovl_\d+\.pgm)\"", log, re.S)
    out = {}
    for group, width, height, left, top, name in found:
        bits = read_pgm(tmp_path / name) > 127
        assert bits.shape == (int(height), int(width))
        placed = np.zeros((rows, cols), bool)
        placed[int(top):int(top) + bits.shape[0], int(left):int(left) + bits.shape[1]] = bits
        out[int(group, 16)] = placed
    return out


@pytest.mark.skipif(shutil.which("dcmp2pgm") is None, reason="DCMTK's dcmp2pgm is not installed (dcmtk)")
@pytest.mark.parametrize("build", [b.two_plane_file, b.larger_plane_file, b.all_groups_file])
def test_dcmtk_shows_our_state_with_our_placement(tmp_path: Path, build) -> None:  # type: ignore[no-untyped-def]
    data = build()[0]
    source = load(data)
    shown = dcmtk_planes(tmp_path, data, gsps_bytes(source), int(source.Rows), int(source.Columns))
    groups = [p.group for p in read_planes(source)]
    assert sorted(shown) == groups
    for group in groups:
        assert np.array_equal(shown[group], image_mask(source, group)[0]), f"{group:04X}"
