"""Single-file start-up: each command imports only what it needs (measured with ``python -X importtime``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests import builders as b

ROOT = Path(__file__).resolve().parents[3]

#: What reading and checking a file never needs: rendering, PNG writing, batch engines. (pydicom's own
#: ``import pydicom`` loads its decoder plug-ins, gdcm, pylibjpeg, jpeg_ls, and PIL.Image; we cannot.)
NOT_FOR_READING = {
    "overlay_core.render.compose", "overlay_core.render.windowing", "overlay_core.batch.engine",
    "overlay_core.batch.tasks",
    "PIL.PngImagePlugin", "dask", "distributed", "highdicom", "overlay_core.interop.seg",
}


def imported(tmp_path: Path, *args: str) -> set[str]:
    """Run a command with ``-X importtime`` and return every module it imported."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "overlay_core", *args],
                            capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    modules = set()
    for line in result.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            name = line.rsplit("|", 1)[1].strip()
            if name != "imported package":
                modules.add(name)
    return modules


@pytest.fixture
def two(tmp_path: Path) -> Path:
    path = tmp_path / "two.dcm"
    path.write_bytes(b.two_plane_file()[0])
    return path


# `info --json` gives each plane's statistics (issue 18), so it reads the image's Modality LUT values
# (render.windowing); it still composes and encodes nothing.
@pytest.mark.parametrize(("command", "allowed"), [
    (["info", "two.dcm", "--json"], {"overlay_core.render.windowing"}),
    (["mask", "two.dcm", "--group", "6000", "--npy", "m.npy"], set()),
])
def test_reading_commands_load_no_rendering(two: Path, tmp_path: Path, command: list[str],
                                            allowed: set[str]) -> None:
    modules = imported(tmp_path, *command)
    assert "overlay_core.audit.diagnostics" in modules and "pydicom" in modules
    assert modules & NOT_FOR_READING == allowed & modules


def test_render_loads_rendering(two: Path, tmp_path: Path) -> None:
    modules = imported(tmp_path, "render", "two.dcm", "--out", "x.png")
    assert {"overlay_core.render.compose", "PIL.PngImagePlugin"} <= modules  # the scan sees what is loaded
    assert {"dask", "distributed", "overlay_core.batch.engine"} & modules == set()
