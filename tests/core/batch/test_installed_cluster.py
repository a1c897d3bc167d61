"""The README's existing-cluster recipe, for real: ``pip install .``, then a scheduler and workers started as
separate processes from another folder (no PYTHONPATH), and ``batch audit --scheduler tcp://…``.

The checkout (its library, the app and pyproject.toml; not the tests' data) is copied to a temporary folder
and installed into a fresh virtualenv that sees the test environment's packages (a ``.pth`` file) with
``--no-deps --no-build-isolation``, so the test needs no network and takes seconds, not minutes.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import builders as b

ROOT = Path(__file__).resolve().parents[3]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env() -> dict[str, str]:
    """The environment of a user's shell: no PYTHONPATH, so only installed packages import."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return the python of a fresh virtualenv into which ``pip install .`` put overlay_core."""
    tmp = tmp_path_factory.mktemp("install")
    source = tmp / "checkout"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "app.py"):
        shutil.copy2(ROOT / name, source / name)
    for name in ("overlay_core", "studio", "pages"):  # the app's folders too: only the library is installed
        shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=60)
    python = venv / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True, timeout=60).stdout.strip()
    Path(site, "test-environment.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps",
                    "--no-build-isolation", str(source)], check=True, timeout=120, env=_env(), cwd=tmp)
    code = ("import importlib.metadata as m, overlay_core; print(overlay_core.__file__); "
            "print(sorted({str(f).split('/')[0] for f in m.distribution('overlay-studio').files}))")
    where = subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=True, timeout=60,
                           env=_env(), cwd=tmp)
    path, top = where.stdout.splitlines()
    assert path.startswith(site)  # the installed copy, not the checkout
    assert top == "['overlay_core', 'overlay_studio-0.1.0.dist-info']"
    return python


@pytest.fixture
def cluster(installed: Path, tmp_path: Path) -> Iterator[str]:
    """A ``dask scheduler`` and a ``dask worker --nworkers 2 --nthreads 1``, each its own process."""
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    run = tmp_path / "elsewhere"
    run.mkdir()
    commands = [
        [str(installed), "-m", "dask", "scheduler", "--host", "127.0.0.1", "--port", str(port),
         "--no-dashboard"],
        [str(installed), "-m", "dask", "worker", address, "--nworkers", "2", "--nthreads", "1",
         "--host", "127.0.0.1", "--no-dashboard"],
    ]
    processes = []
    try:
        for command in commands:
            with (run / f"{command[3]}.log").open("wb") as log:  # the child keeps its own descriptor
                processes.append(subprocess.Popen(command, cwd=run, env=_env(), stdout=log,
                                                  stderr=subprocess.STDOUT, start_new_session=True))
            time.sleep(0.5)  # the scheduler listens before the workers dial it
        yield address
    finally:
        for process in reversed(processes):  # each started here, in its own process group
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


def test_the_existing_cluster_recipe_audits_every_file(installed: Path, cluster: str, tmp_path: Path) -> None:
    scans = tmp_path / "scans"
    scans.mkdir()
    builders = (b.two_plane_file, b.embedded_file, b.roi_file, b.multiframe_file, b.implicit_vr_file)
    for n, build in enumerate(builders):
        (scans / f"{n}.dcm").write_bytes(build()[0])
    out = tmp_path / "audit"
    result = subprocess.run(
        [str(installed), "-m", "overlay_core", "batch", "audit", str(scans), "--out", str(out),
         "--scheduler", cluster],
        cwd=tmp_path / "elsewhere", env=_env(), capture_output=True, text=True, timeout=90,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    records = [json.loads(line) for line in (out / "report.jsonl").read_text().splitlines()]
    assert sorted(r["file"].rsplit("/", 1)[1] for r in records) == [f"{n}.dcm" for n in range(len(builders))]
    assert {r["status"] for r in records} == {"ok"}, [r["error"] for r in records]
    assert all(r["overlays"] for r in records)
