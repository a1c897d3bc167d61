"""The ``audit`` record is ``info --json`` (plane statistics included); its workers preload what it uses.

Lighter than ``test_tasks.py`` (which runs every task over a whole tree): one generated file
at a time, through :func:`overlay_core.batch.tasks.run_task` as a worker calls it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from overlay_core.batch.sources import Item
from overlay_core.batch.tasks import Options, run_task
from overlay_core.cli.main import main
from tests import builders as b

ROOT = Path(__file__).resolve().parents[3]


def _rescaled_with_spacing() -> bytes:
    ds = b.image_dataset(24, 30)
    ds.RescaleSlope, ds.RescaleIntercept, ds.PixelSpacing = 0.5, -100.0, [0.4, 0.7]
    mask = b.random_mask((1, 12, 40), seed=4)
    b.add_plane(ds, 0x6000, mask, origin=(-3, 5), overlay_type="R", label="PARTLY OFF")
    b.add_plane(ds, 0x6004, np.zeros((1, 24, 30), bool), label="EMPTY")
    return b.to_file_bytes(ds)


@pytest.mark.parametrize("data", [
    pytest.param(lambda: b.two_plane_file()[0], id="two-planes"),
    pytest.param(lambda: b.multiframe_file()[0], id="multi-frame"),
    pytest.param(lambda: b.embedded_file()[0], id="embedded"),
    pytest.param(_rescaled_with_spacing, id="rescaled-spacing-off-image"),
])
def test_the_audit_record_is_info_json(data: object, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "one.dcm"
    path.write_bytes(data())  # type: ignore[operator]
    record = run_task("audit", str(tmp_path / "out"), Options(), Item("one.dcm", "one.dcm", str(path)))
    assert (record["status"], record["error"]) == ("ok", None)
    capsys.readouterr()
    assert main(["info", str(path), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    reported = json.loads(json.dumps(record))  # as report.jsonl holds it
    assert [p["group"] for p in doc["overlays"]] == [p["group"] for p in reported["overlays"]] != []
    for part in ("image", "overlays", "diagnostics"):
        assert reported[part] == doc[part], part
    with_pixels = [p for p in reported["overlays"] if p["statistics"]["total"]["set_pixels"]]
    assert with_pixels and all(p["statistics"]["total"]["mean"] is not None for p in with_pixels)


def test_audit_workers_preload_every_module_the_task_imports(tmp_path: Path) -> None:
    path = tmp_path / "one.dcm"
    path.write_bytes(_rescaled_with_spacing())
    code = (
        "import importlib, sys\n"
        "from overlay_core.batch.tasks import Options, run_task, worker_modules\n"
        "from overlay_core.batch.sources import Item\n"
        "for name in worker_modules('audit'): importlib.import_module(name)\n"
        "before = set(sys.modules)\n"
        f"record = run_task('audit', {str(tmp_path / 'out')!r}, Options(), Item('a', 'a', {str(path)!r}))\n"
        "assert record['status'] == 'ok', record\n"
        "print(sorted(m for m in set(sys.modules) - before if m.startswith('overlay_core')))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path,
                            env=env, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "[]"
