"""``overlay_core.cli.prefetch``: the input's Pixel Data read ahead, handed to pydicom only when it fits."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from pydicom.dataset import Dataset

from overlay_core.cli import prefetch
from overlay_core.cli.planes import render_png
from overlay_core.planes.reading import load
from overlay_core.planes.writing import set_plane, to_bytes
from tests import builders as b

ROOT = Path(__file__).resolve().parents[3]


def prefetched(path: Path) -> tuple[bytes | None, Dataset]:
    """Read ahead for ``render path`` and open the input: what was read ahead, and the dataset."""
    prefetch.start(["render", str(path)])
    pending = prefetch._PENDING
    assert pending is not None
    pending.join()
    ahead = pending.found[2] if pending.found is not None else None
    with prefetch.open_input(str(path)) as file:
        return ahead, load(file)


@pytest.mark.parametrize("implicit", [False, True])
def test_the_pixel_data_read_ahead_is_the_value_pydicom_keeps(tmp_path: Path, implicit: bool) -> None:
    data = b.implicit_vr_file()[0] if implicit else b.two_plane_file()[0]
    path = tmp_path / "image.dcm"
    path.write_bytes(data)
    ahead, ds = prefetched(path)
    assert ahead is not None
    assert ds.PixelData is ahead  # handed over, not read again
    assert ds.PixelData == load(data).PixelData


def test_compressed_pixel_data_is_not_read_ahead(tmp_path: Path) -> None:
    data = b.rle_file()[0]
    path = tmp_path / "rle.dcm"
    path.write_bytes(data)
    ahead, ds = prefetched(path)
    assert ahead is None
    assert ds.PixelData == load(data).PixelData


def test_elements_after_pixel_data_leave_it_to_pydicom(tmp_path: Path) -> None:
    ds = b.image_dataset(8, 8)
    ds.add_new(0xFFFCFFFC, "OB", bytes(8))  # Data Set Trailing Padding: Pixel Data is not last
    path = tmp_path / "padded.dcm"
    path.write_bytes(b.to_file_bytes(ds))
    ahead, read = prefetched(path)
    assert ahead is None
    assert read.PixelData == ds.PixelData


def test_a_file_changed_after_the_read_ahead_is_read_again(tmp_path: Path) -> None:
    path = tmp_path / "image.dcm"
    path.write_bytes(b.to_file_bytes(b.image_dataset(8, 8, seed=1)))
    prefetch.start(["render", str(path)])
    assert prefetch._PENDING is not None
    prefetch._PENDING.join()
    changed = b.to_file_bytes(b.image_dataset(8, 8, seed=2))
    path.write_bytes(changed)
    os.utime(path, ns=(1, 1))  # a new modification time, whatever the clock's resolution
    with prefetch.open_input(str(path)) as file:
        assert load(file).PixelData == load(changed).PixelData


def test_another_file_or_no_file_starts_nothing(tmp_path: Path) -> None:
    path = tmp_path / "image.dcm"
    path.write_bytes(b.two_plane_file()[0])
    (tmp_path / "other.dcm").write_bytes(b"DICM")
    for argv in (["render"], ["--help"], ["render", "--out", str(path)], ["render", str(tmp_path)],
                 ["render", str(tmp_path / "absent.dcm")]):
        prefetch.start(argv)
        assert prefetch._PENDING is None, argv
    prefetch.start(["render", str(path)])
    with prefetch.open_input(str(tmp_path / "other.dcm")) as file:  # another path: opened as it is
        assert file.read(4) == b"DICM"
    assert prefetch._PENDING is None  # given up once asked for another file


def test_the_whole_process_renders_what_the_library_renders(tmp_path: Path) -> None:
    ds = b.image_dataset(64, 64)
    ds.WindowCenter, ds.WindowWidth = "2048", "4096"
    set_plane(ds, 0x6000, np.eye(64, dtype=bool))
    path = tmp_path / "image.dcm"
    path.write_bytes(to_bytes(ds))
    out = tmp_path / "view.png"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "overlay_core", "render", str(path), "--out", str(out),
               "--max-size", "8"]
    subprocess.run(command, check=True, capture_output=True, cwd=tmp_path, env=env, timeout=120)
    assert out.read_bytes() == render_png(load(path.read_bytes()), max_size=8)
