"""Whole-process single-file speed against DCMTK, side by side in one run (``make bench``).

Generated 4096 x 4096 16-bit images (Bits Stored 12, a window preset) with four planes: a
full-size plane of one-pixel lines, a plane embedded in bit 15, a 1024 x 1024 region of
interest at 1001\\1001 and a plane reaching beyond the image. Two images, because PNG
writing dominates and its cost depends on the pixels: a smooth ramp (compresses well, as
the dark background of most scans) and the ramp with 6 bits of noise (as bench_render.py).
Each command runs as a new process, as a user or a script starts it, alternating with
DCMTK's ``dcmj2pnm +O 0 +on`` (burn in every overlay, write a PNG); the best of the rounds
is compared:

* ``render`` (full-resolution burn-in PNG): at most 1.0x DCMTK;
* ``mask --npy`` (one plane placed on the image): at most 1.5x DCMTK;
* ``render --max-size 1024`` (the display size the app ships): at most 0.6x DCMTK.

A fourth line times the floor under every command: Python starting and importing numpy and
pydicom as ``python -m overlay_core`` does (:mod:`overlay_core.cli.startup`), and nothing else.

Figures on a shared machine are noisy; the best of several rounds is the fairest. The goals
are judged on wall time (what a user waits); CPU time (user + system, every thread) is printed
beside it, as it moves less with the machine's load.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from overlay_core.planes import writing  # noqa: E402
from tests.builders import image_dataset  # noqa: E402

SIZE = 4096
ROUNDS = 5
GOALS = {"render": 1.0, "mask": 1.5, "render --max-size 1024": 0.6}
#: No goal: Python starting and importing numpy and pydicom as the command line does, and no more.
FLOOR = "floor (numpy + pydicom)"


def four_plane_file(path: Path, noise: int) -> None:
    """Write a 4096² four-plane test image to ``path``: a ramp plus up to ``noise`` of noise."""
    rng = np.random.default_rng(0)
    ds = image_dataset(SIZE, SIZE)
    ds.WindowCenter, ds.WindowWidth = "2048", "4096"
    ramp = np.add.outer(np.arange(SIZE), np.arange(SIZE)) * 4095 // (2 * SIZE - 2)
    pixels = (ramp + rng.integers(0, noise + 1, (SIZE, SIZE))).clip(0, 4095).astype("<u2")
    pixels |= (rng.random((SIZE, SIZE)) < 0.01).astype(np.uint16) << 15
    ds.PixelData = pixels.tobytes()
    for element, value, vr in ((0x0010, SIZE, "US"), (0x0011, SIZE, "US"), (0x0050, [1, 1], "SS"),
                               (0x0040, "G", "CS"), (0x0100, 16, "US"), (0x0102, 15, "US")):
        ds.add_new(0x60020000 | element, vr, value)
    lines = np.zeros((SIZE, SIZE), bool)
    lines[::97, :] = lines[:, ::97] = True
    writing.set_plane(ds, 0x6000, lines)
    roi = np.zeros((1024, 1024), bool)
    roi[100:900, 100:900] = True
    writing.set_plane(ds, 0x6004, roi, writing.Attributes(origin=(1001, 1001), type="R"))
    beyond = rng.random((512, 512)) < 0.2
    writing.set_plane(ds, 0x6006, beyond, writing.Attributes(origin=(SIZE - 255, SIZE - 255)))
    path.write_bytes(writing.to_bytes(ds))


def _seconds(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """Run ``command`` as a new process; return its wall and CPU (user + system) seconds."""
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise subprocess.CalledProcessError(os.waitstatus_to_exitcode(status), command)
    return wall, usage.ru_utime + usage.ru_stime


def compare(folder: Path, name: str, env: dict[str, str]) -> int:
    """Time the commands on ``folder/name`` against dcmj2pnm, print the table; return goals missed."""
    python = [sys.executable, "-m", "overlay_core"]
    commands = {
        "dcmj2pnm +O 0 +on": ["dcmj2pnm", "+O", "0", "+on", name, "dcmtk.png"],
        "render": [*python, "render", name, "--out", "r.png"],
        "mask": [*python, "mask", name, "--group", "6000", "--npy", "m.npy"],
        "render --max-size 1024": [*python, "render", name, "--out", "s.png", "--max-size", "1024"],
        FLOOR: [sys.executable, "-c", "from overlay_core.cli.startup import defer_unused_imports, "
                "one_blas_thread; one_blas_thread(); defer_unused_imports(); import numpy, pydicom.pixels"],
    }
    for command in commands.values():  # warm the page cache and write the .pyc files
        _seconds(command, folder, env)
    best = dict.fromkeys(commands, float("inf"))
    cpu = dict.fromkeys(commands, float("inf"))
    for _ in range(ROUNDS):
        for key, command in commands.items():  # interleaved, so load changes hit all alike
            wall, used = _seconds(command, folder, env)
            best[key], cpu[key] = min(best[key], wall), min(cpu[key], used)
    dcmtk, dcmtk_cpu = best["dcmj2pnm +O 0 +on"], cpu["dcmj2pnm +O 0 +on"]
    print(f"{name}: whole process, best of {ROUNDS} (load average {os.getloadavg()[0]:.1f}); "
          "wall seconds, then CPU seconds (user + system, all threads)")
    print(f"  {'dcmj2pnm +O 0 +on':<28} {dcmtk:6.2f} s  {'':<13} CPU {dcmtk_cpu:5.2f} s")
    missed = 0
    for key, goal in GOALS.items():
        ratio = best[key] / dcmtk
        missed += ratio > goal
        print(f"  {key:<28} {best[key]:6.2f} s  {ratio:4.2f}x DCMTK  CPU {cpu[key]:5.2f} s "
              f"{cpu[key] / dcmtk_cpu:4.2f}x  (goal <= {goal:.1f}x: {'met' if ratio <= goal else 'MISSED'})")
    floor = best[FLOOR]
    print(f"  {FLOOR:<28} {floor:6.2f} s  {floor / dcmtk:4.2f}x DCMTK  CPU {cpu[FLOOR]:5.2f} s "
          f"{cpu[FLOOR] / dcmtk_cpu:4.2f}x  (no command starts faster)")
    return missed


def main() -> int:
    """Run the comparison on both images (a missed goal is printed, as batch_throughput.py does)."""
    if shutil.which("dcmj2pnm") is None:
        print("dcmj2pnm is missing (apt-get install dcmtk): no start-up comparison.")
        return 0
    missed = 0
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        # Compiled modules, as a user's Python keeps them: kept in the temporary folder (not the
        # checkout), and written even where PYTHONDONTWRITEBYTECODE is set (else every run would
        # compile the package from source again, ~50 ms).
        env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONPYCACHEPREFIX": str(folder / "pycache")}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        for name, noise in (("smooth.dcm", 0), ("noisy.dcm", 63)):
            four_plane_file(folder / name, noise)
            missed += compare(folder, name, env)
    print(f"{missed} goal(s) missed." if missed else "Every goal met.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
