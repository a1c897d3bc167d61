"""Planes written by our writer, rendered by DCMTK's dcmj2pnm, must match our placement.

DCMTK is an independent implementation; the rendering recipe is the one of
../shared/corpus/tools/oracles.py: every image pixel forced to black (a window far wider
than the data) and one overlay plane painted in Replace mode at full density.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from overlay_core.planes.placement import image_mask
from overlay_core.planes.reading import load
from overlay_core.planes.writing import Attributes, set_plane, to_bytes
from tests import builders as b

pytestmark = pytest.mark.skipif(shutil.which("dcmj2pnm") is None,
                                reason="DCMTK's dcmj2pnm is not installed (Debian package dcmtk)")


def read_pgm(path: Path) -> np.ndarray:
    data = path.read_bytes()
    tokens: list[bytes] = []
    pos = 0
    while len(tokens) < 4:
        while data[pos:pos + 1].isspace():
            pos += 1
        if data[pos:pos + 1] == b"#":
            pos = data.index(b"\n", pos) + 1
            continue
        start = pos
        while not data[pos:pos + 1].isspace():
            pos += 1
        tokens.append(data[start:pos])
    assert tokens[0] == b"P5"
    width, height = int(tokens[1]), int(tokens[2])
    return np.frombuffer(data[pos + 1:pos + 1 + width * height], np.uint8).reshape(height, width)


def dcmtk_mask(path: Path, plane: int, frames: int) -> np.ndarray:
    """Render overlay plane number ``plane`` (1-based, in group order) of every frame."""
    base = path.with_suffix("")
    cmd = ["dcmj2pnm", "+Ww", "1000000", "1", "+Fa", "+Fn", "+O", str(plane), "+Omr", "+Osf", "1",
           str(path), str(base)]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    outputs = sorted(path.parent.glob(base.name + ".*.pgm"),
                     key=lambda p: int(re.findall(r"(\d+)\.pgm$", p.name)[0]))
    if not outputs:
        outputs = sorted(path.parent.glob(base.name + "*.pgm"))
    assert outputs, f"dcmj2pnm wrote nothing: {result.stderr}"
    masks = np.stack([read_pgm(p) > 127 for p in outputs])
    assert masks.shape[0] == frames
    return masks


CASES = [
    # (image frames, rows, cols, mask shape, origin, image frame origin)
    (1, 20, 24, (20, 24), (1, 1), None),
    (1, 20, 24, (7, 9), (5, 11), None),
    (1, 20, 24, (13, 17), (-3, -5), None),      # negative origin, partly outside
    (1, 20, 24, (30, 31), (0, 0), None),        # larger than the image
    (1, 20, 24, (7, 9), (18, 20), None),        # hanging over the bottom-right corner
    (3, 12, 14, (5, 6), (4, 2), None),          # one plane frame on every image frame
    (4, 12, 14, (2, 5, 6), (3, 4), 2),          # multi-frame plane on image frames 2 and 3
]


@pytest.mark.parametrize(("frames", "rows", "cols", "shape", "origin", "frame_origin"), CASES)
def test_our_writer_agrees_with_dcmtk(tmp_path: Path, frames: int, rows: int, cols: int,
                                      shape: tuple[int, ...], origin: tuple[int, int],
                                      frame_origin: int | None) -> None:
    ds = b.image_dataset(rows, cols, frames=frames)
    bits = b.random_mask(shape, seed=rows + cols + sum(origin), density=0.4)
    set_plane(ds, 0x6000, bits, Attributes(origin=origin, image_frame_origin=frame_origin))
    path = tmp_path / "written.dcm"
    path.write_bytes(to_bytes(ds))
    ours = image_mask(load(path.read_bytes()), 0x6000)
    theirs = dcmtk_mask(path, 1, frames)
    assert ours.any()
    assert np.array_equal(ours, theirs)


def test_second_group_after_an_edit(tmp_path: Path) -> None:
    data, _ = b.two_plane_file()
    ds = load(data)
    set_plane(ds, 0x6002, b.random_mask((6, 8), seed=60, density=0.5), Attributes(origin=(10, 14)))
    path = tmp_path / "edited.dcm"
    path.write_bytes(to_bytes(ds))
    assert np.array_equal(image_mask(load(path.read_bytes()), 0x6002), dcmtk_mask(path, 2, 1))
