r"""A folder of generated files for the batch tests: good, embedded, multi-frame, broken.

:func:`build_tree` writes it and returns what each file holds, from the builders (never
from the code under test), so each task's outputs can be checked file by file.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
from numpy.typing import NDArray

from tests import builders as b

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Expected:
    """What one generated file holds."""

    key: str  # the report's "file": the path under the source, as the batch finds it
    relative: str  # where its outputs go under the output folder
    data: bytes
    planes: dict[int, NDArray[np.bool_]] = field(default_factory=dict)  # each plane on the image
    embedded: tuple[int, ...] = ()
    frames: int = 1
    has_image: bool = True
    broken: bool = False
    not_dicom: bool = False  # skipped by a batch, not failed


def _on_image(mask: NDArray[np.bool_], origin: tuple[int, int],
              shape: tuple[int, int, int]) -> NDArray[np.bool_]:
    """Place a single-frame plane at a 1-based origin on every frame of an image, by hand."""
    frames, rows, cols = shape
    out = np.zeros((rows, cols), bool)
    plane = np.asarray(mask, bool).reshape(mask.shape[-2:])
    r0, c0 = origin[0] - 1, origin[1] - 1
    for r in range(plane.shape[0]):
        for c in range(plane.shape[1]):
            if plane[r, c] and 0 <= r + r0 < rows and 0 <= c + c0 < cols:
                out[r + r0, c + c0] = True
    return np.broadcast_to(out, (frames, rows, cols)).copy()


def build_tree(root: Path, name: str = "archive") -> tuple[Path, dict[str, Expected]]:
    """Write ``root/name/…`` (and a .zip inside it) and return ``(source folder, {key: Expected})``."""
    src = root / name
    (src / "good").mkdir(parents=True)
    (src / "old" / "deeper").mkdir(parents=True)
    (src / "broken").mkdir()
    files: dict[str, Expected] = {}

    def add(rel: str, data: bytes, **kw: object) -> None:
        (src / rel).write_bytes(data)
        files[f"{src}/{rel}"] = Expected(f"{src}/{rel}", f"{name}/{rel}", data, **kw)  # type: ignore[arg-type]

    two, masks = b.two_plane_file()
    add("good/two.dcm", two, planes={0x6000: masks[0x6000],
                                      0x6002: _on_image(masks[0x6002], (3, 4), (1, 16, 20))})
    roi, roi_mask = b.roi_file()
    add("good/roi", roi, planes={0x6000: roi_mask})  # no extension: every file is a candidate
    emb16, m16 = b.embedded_file(16)
    add("old/emb16.dcm", emb16, planes=m16, embedded=(0x6000, 0x6002))
    emb8, m8 = b.embedded_file(8, frames=3)
    add("old/deeper/emb8.dcm", emb8, planes=m8, embedded=(0x6000, 0x6002), frames=3)
    multi, multi_mask = b.multiframe_file()  # 4 frames of 10 x 11; a 2-frame 5 x 7 plane at 2\3 from frame 2
    placed = np.zeros((4, 10, 11), bool)
    placed[1:3, 1:6, 2:9] = multi_mask
    add("good/multi.dcm", multi, planes={0x6000: placed}, frames=4)
    pr, pr_mask = b.presentation_state_file()
    add("good/state.dcm", pr, planes={0x6002: pr_mask}, has_image=False)
    add("broken/truncated.dcm", two[: len(two) // 3], broken=True)
    add("broken/notes.txt", b"not a DICOM file\n" * 20, not_dicom=True)
    add("broken/empty.dcm", b"", not_dicom=True)
    # A zip inside the folder: its members are files of the batch too.
    implicit, imp_mask = b.implicit_vr_file()  # 12 x 14 image, 7 x 9 plane at 2\3
    with zipfile.ZipFile(src / "more.zip", "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("inner/implicit.dcm", implicit)
        archive.writestr("inner/two.dcm", two)
    files[f"{src}/more.zip/inner/implicit.dcm"] = Expected(
        f"{src}/more.zip/inner/implicit.dcm", f"{name}/more.zip/inner/implicit.dcm", implicit,
        planes={0x6000: _on_image(imp_mask, (2, 3), (1, 12, 14))})
    files[f"{src}/more.zip/inner/two.dcm"] = Expected(
        f"{src}/more.zip/inner/two.dcm", f"{name}/more.zip/inner/two.dcm", two,
        planes=dict(files[f"{src}/good/two.dcm"].planes))
    return src, files


def many_files(folder: Path, count: int, size: int = 256) -> list[Path]:
    """Write ``count`` images of ``size``² with two planes each (slow enough to interrupt)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        ds = b.image_dataset(size, size, seed=i)
        b.add_plane(ds, 0x6000, b.random_mask((1, size, size), seed=i, density=0.05))
        b.add_plane(ds, 0x6002, b.random_mask((1, 20, 30), seed=i + 1), origin=(5, 7))
        path = folder / f"img{i:03d}.dcm"
        path.write_bytes(b.to_file_bytes(ds))
        paths.append(path)
    return paths


def gdcm_poison(folder: Path) -> Path | None:
    """A JPEG Lossless file whose Bits Allocated says 32: GDCM aborts the process decoding it.

    Made with DCMTK's ``dcmcjpeg``; ``None`` when DCMTK is absent.
    """
    if shutil.which("dcmcjpeg") is None:
        return None
    plain = folder / "plain.tmp"
    ds = b.image_dataset(64, 64)
    b.add_plane(ds, 0x6000, b.random_mask((1, 64, 64), seed=3))
    plain.write_bytes(b.to_file_bytes(ds))
    lossless = folder / "lossless.tmp"
    subprocess.run(["dcmcjpeg", str(plain), str(lossless)], check=True, capture_output=True)
    ds = pydicom.dcmread(lossless)
    ds.BitsAllocated = 32
    poison = folder / "poison.dcm"
    ds.save_as(poison)
    plain.unlink()
    lossless.unlink()
    return poison


def abort_on_poison(fn: Any, item: str) -> Any:
    """Run ``fn(item)``, but abort the worker process on a file named ``poison.dcm``.

    Since issue 10 no file makes a decoder abort (GDCM's abort on :func:`gdcm_poison` is
    checked before decoding), so tests of a pool whose worker dies kill it this way.
    """
    if "poison.dcm" in str(item):
        os.abort()
    return fn(item)


def run_cli(*args: str, cwd: Path | None = None, timeout: float = 300,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``python -m overlay_core`` in a subprocess, stdout and stderr captured (not a TTY)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run([sys.executable, "-m", "overlay_core", *args], capture_output=True, text=True,
                          cwd=cwd or ROOT, env=env, timeout=timeout)
