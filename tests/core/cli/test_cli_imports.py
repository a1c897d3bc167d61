"""Single-file start-up: each command imports only what it needs (measured with ``python -X importtime``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests import builders as b

ROOT = Path(__file__).resolve().parents[3]

#: What reading and checking a file never needs: rendering, PNG writing, batch engines, and what
#: ``import pydicom`` would load to download its test files (deferred by ``overlay_core.cli.startup``),
#: and the libraries behind its codec plug-ins, which a native file never needs (``cli/codec_plugins.py``).
NOT_FOR_READING = {"PIL.PngImagePlugin", "dask", "distributed", "highdicom", "scipy", "skimage",
                   "urllib3", "http.client", "gdcm", "pylibjpeg", "openjpeg", "jpeg_ls", "PIL.Image"}

#: Sub-packages whose modules ``info`` and ``mask`` never import (so their start-up does not grow).
PACKAGES_NOT_FOR_READING = ("overlay_core.render", "overlay_core.batch", "overlay_core.interop",
                            "overlay_core.pacs", "overlay_core.edit.fabric")


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


#: ``info --json`` gives each plane's statistics (issue 18), so it decodes the image's values (its
#: decoders and Modality LUT); it still composes, paints and encodes nothing.
DECODING = {"overlay_core.render", "overlay_core.render.pixels", "overlay_core.render.decoders",
            "overlay_core.render.windowing"}


@pytest.mark.parametrize(("command", "allowed"), [
    (["info", "two.dcm"], set()),
    (["info", "two.dcm", "--json"], DECODING),
    (["mask", "two.dcm", "--group", "6000", "--npy", "m.npy"], set()),
])
def test_reading_commands_load_no_rendering(two: Path, tmp_path: Path, command: list[str],
                                            allowed: set[str]) -> None:
    modules = imported(tmp_path, *command)
    assert {"overlay_core.planes.reading", "pydicom"} <= modules  # the scan sees what is loaded
    assert ("overlay_core.audit.diagnostics" in modules) == (command[0] == "info")
    assert modules & NOT_FOR_READING == set()
    unwanted = sorted(m for m in modules if m.startswith(PACKAGES_NOT_FOR_READING) and m not in allowed)
    assert unwanted == []


def test_the_package_re_exports_lazily(tmp_path: Path) -> None:
    """``import overlay_core`` loads no sub-package module until one of its names is used."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    code = ("import sys, overlay_core; before = {m for m in sys.modules if m.startswith('overlay_core.')}; "
            "overlay_core.burn_in_png; print(sorted(before), 'overlay_core.render.burn_in' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path,
                            env=env, timeout=120, check=True)
    assert result.stdout.strip() == "['overlay_core.errors', 'overlay_core.model'] True"


def test_render_loads_rendering(two: Path, tmp_path: Path) -> None:
    modules = imported(tmp_path, "render", "two.dcm", "--out", "x.png")
    assert {"overlay_core.render.burn_in", "overlay_core.render.compose"} <= modules  # the scan sees them
    assert {"dask", "distributed", "overlay_core.batch.engine", "overlay_core.interop.seg"} & modules == set()
