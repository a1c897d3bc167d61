"""Batch writes (migrate, strip) are read back and checked: a lossy writer fails the file, writes nothing."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from overlay_core.batch.run import run_batch
from tests import builders as b
from tests.write_support import lossy_writer


@pytest.mark.parametrize("task", ["migrate", "strip"])
def test_a_batch_write_that_does_not_read_back_fails_the_file(
    task: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scans = tmp_path / "scans"
    scans.mkdir()
    (scans / "embedded.dcm").write_bytes(b.embedded_file()[0])
    (scans / "two.dcm").write_bytes(b.two_plane_file()[0])
    good = run_batch(task, [str(scans)], tmp_path / "good", workers=ThreadPoolExecutor(1), progress=False)
    written = sorted(p.name for p in (tmp_path / "good" / "scans").iterdir())
    assert good.failed == 0 and written == ["embedded.dcm", "two.dcm"]

    lossy_writer(monkeypatch)  # in this process: the thread pool runs the tasks here
    result = run_batch(task, [str(scans)], tmp_path / "bad", workers=ThreadPoolExecutor(1), progress=False)
    lines = result.report.read_text().splitlines()
    records = {r["file"].rsplit("/", 1)[1]: r for r in map(json.loads, lines)}
    changed = {"embedded.dcm"} if task == "migrate" else {"embedded.dcm", "two.dcm"}
    for name in changed:
        assert records[name]["status"] == "failed" and records[name]["outputs"] == []
        assert records[name]["error"].startswith("The written file does not read back as edited (")
        assert not (tmp_path / "bad" / "scans" / name).exists()
    assert not list((tmp_path / "bad").rglob("*.part"))
