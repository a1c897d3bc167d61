"""Batch throughput, measured side by side in one run (``make bench``; not a timed test).

Generates 300 512 x 512 16-bit files with two overlay planes each, then times, one after
the other on the same files:

* a shell loop of DCMTK's ``dcmj2pnm +O 0 +on`` (burn in every overlay, write PNG);
* ``batch render --workers 2``, ``batch render --scheduler local --workers 2``;
* ``batch audit --workers 2``;

each as a whole process (``python -m overlay_core``), and prints a table with the goals:
render at most 0.5x the dcmj2pnm loop, audit at least 50 files/s, the Dask LocalCluster
within 1.3x of the process pool. Timings on a shared machine are noisy: each command runs
``--rounds`` times (default 2) and the best time counts.

    .venv/bin/python benchmarks/batch_throughput.py [--files 300] [--rounds 2] [--keep DIR]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from overlay_core.writing import set_plane, to_bytes  # noqa: E402

SIZE = 512


def make_file(index: int) -> bytes:
    """A 512 x 512 12-bit image (a ramp with noise), a full-size plane and a 100 x 120 plane."""
    rng = np.random.default_rng(index)
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.Modality = "OT"
    ds.Rows = ds.Columns = SIZE
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ramp = np.add.outer(np.arange(SIZE), np.arange(SIZE)) * 4095 // (2 * SIZE - 2)
    ds.PixelData = (ramp + rng.integers(0, 64, (SIZE, SIZE))).clip(0, 4095).astype("<u2").tobytes()
    lines = np.zeros((SIZE, SIZE), bool)
    lines[index % 37::37, :] = True
    lines[:, index % 41::41] = True
    set_plane(ds, 0x6000, lines)
    box = np.zeros((100, 120), bool)
    box[[0, -1], :] = True
    box[:, [0, -1]] = True
    set_plane(ds, 0x6002, box)
    ds[0x60020050].value = [1 + index % 200, 1 + index % 300]
    return to_bytes(ds)


def best(command: list[str] | str, rounds: int, before: Callable[[], None] | None = None) -> float:
    times = []
    for _ in range(rounds):
        if before:
            before()
        start = time.perf_counter()
        subprocess.run(command, shell=isinstance(command, str), check=False, cwd=ROOT,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--keep", help="generate into this folder and keep it")
    args = parser.parse_args()
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="overlay-batch-bench-"))
    src, out = work / "files", work / "out"
    if not src.exists() or len(list(src.iterdir())) != args.files:
        shutil.rmtree(src, ignore_errors=True)
        src.mkdir(parents=True)
        for i in range(args.files):
            (src / f"f{i:04d}.dcm").write_bytes(make_file(i))
    py = [sys.executable, "-m", "overlay_core", "batch"]

    def clean() -> None:
        shutil.rmtree(out, ignore_errors=True)

    rows: list[tuple[str, float]] = []
    png = work / "dcmtk.png"
    loop = f'for f in "{src}"/*.dcm; do dcmj2pnm +O 0 +on "$f" "{png}"; done'
    have_dcmtk = shutil.which("dcmj2pnm") is not None
    dcmtk = best(loop, args.rounds) if have_dcmtk else float("nan")
    render_pool = best([*py, "render", str(src), "--out", str(out), "--workers", "2"], args.rounds, clean)
    render_dask = best([*py, "render", str(src), "--out", str(out), "--scheduler", "local", "--workers", "2"],
                       args.rounds, clean)
    audit = best([*py, "audit", str(src), "--out", str(out), "--workers", "2"], args.rounds, clean)
    n = args.files
    rows = [
        ("dcmj2pnm +O 0 +on, shell loop", dcmtk),
        ("batch render --workers 2", render_pool),
        ("batch render --scheduler local --workers 2", render_dask),
        ("batch audit --workers 2", audit),
    ]
    print(f"\nBatch throughput: {n} files of {SIZE} x {SIZE}, two planes each (best of {args.rounds}; "
          "shared machine, noisy)\n")
    print(f"| {'command':<44} | {'seconds':>7} | {'files/s':>7} |")
    print(f"| {'-' * 44} | {'-' * 7}:| {'-' * 7}:|")
    for name, seconds in rows:
        print(f"| {name:<44} | {seconds:7.2f} | {n / seconds:7.1f} |")
    goals = [
        ("render pool / dcmj2pnm loop", render_pool / dcmtk, "<= 0.50", render_pool / dcmtk <= 0.5),
        ("audit files/s", n / audit, ">= 50", n / audit >= 50),
        ("render LocalCluster / pool", render_dask / render_pool, "<= 1.30",
         render_dask / render_pool <= 1.3),
    ]
    print(f"\n| {'goal':<28} | {'measured':>8} | {'target':>7} | met |")
    print(f"| {'-' * 28} | {'-' * 8}:| {'-' * 7}:| --- |")
    for name, value, target, met in goals:
        print(f"| {name:<28} | {value:8.2f} | {target:>7} | {'yes' if met else 'NO'} |")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
