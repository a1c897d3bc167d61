"""``overlay_core.cli.main.end``: a quick-exit command ends without teardown, its output whole."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from overlay_core.cli.main import QUICK_EXIT
from tests import builders as b

ROOT = Path(__file__).resolve().parents[3]


def test_the_plane_commands_exit_quickly_and_batch_does_not() -> None:
    assert {"info", "mask", "render", "apply"} <= QUICK_EXIT
    assert not QUICK_EXIT & {"batch", "store", "retrieve"}


def test_a_quick_exit_flushes_everything_it_printed(tmp_path: Path) -> None:
    path = tmp_path / "all.dcm"
    path.write_bytes(b.all_groups_file()[0])
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    piped = subprocess.run([sys.executable, "-m", "overlay_core", "info", str(path)], capture_output=True,
                           text=True, cwd=tmp_path, env=env, timeout=120)
    assert piped.returncode == 0 and piped.stderr == ""
    assert all(f"60{g:02X}" in piped.stdout for g in range(0, 0x20, 2))  # all 16 planes listed

