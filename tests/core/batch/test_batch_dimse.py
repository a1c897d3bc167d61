"""A batch over a DIMSE study or series of a configured server (a real Orthanc's DICOM port)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from overlay_core.cli.main import main
from tests import pacs_support
from tests.batch_support import run_cli

orthanc_fixture = pacs_support.orthanc_fixture


def _records(out: Path) -> dict[str, dict]:
    return {r["file"]: r for r in map(json.loads, (out / "report.jsonl").read_text().splitlines())}


def test_a_dimse_series_is_retrieved_instance_by_instance(
    orthanc: pacs_support.LoadedStudy, tmp_path: Path
) -> None:
    url = f"{orthanc.server.dimse}/{orthanc.study_uid}/{orthanc.series_uid}"
    env = {"OVERLAY_STUDIO_DIMSE": orthanc.server.dimse, "OVERLAY_STUDIO_DICOMWEB_URL": ""}
    result = run_cli("batch", "masks", url, "--out", str(tmp_path / "out"), "--workers", "2", env=env)
    assert result.returncode == 0, result.stderr
    records = _records(tmp_path / "out")
    assert len(records) == len(orthanc.datasets)
    for ds, mask in zip(orthanc.datasets, orthanc.masks, strict=True):
        key = f"{url}/{ds.SOPInstanceUID}"
        relative = f"ORTHANC/{orthanc.study_uid}/{orthanc.series_uid}/{ds.SOPInstanceUID}.dcm"
        assert records[key]["status"] == "ok" and records[key]["outputs"] == [f"{relative}.6000.npy"]
        assert np.array_equal(np.load(tmp_path / "out" / f"{relative}.6000.npy")[0].astype(bool), mask)


def test_a_dimse_study_covers_its_series(orthanc: pacs_support.LoadedStudy, tmp_path: Path) -> None:
    env = {"OVERLAY_STUDIO_DIMSE": orthanc.server.dimse, "OVERLAY_STUDIO_DICOMWEB_URL": ""}
    out = tmp_path / "out"
    result = run_cli(
        "batch", "audit", f"{orthanc.server.dimse}/{orthanc.study_uid}", "--out", str(out), env=env
    )
    assert result.returncode == 0, result.stderr
    assert {r["overlays"][0]["label"] for r in _records(out).values()} == {
        str(ds[0x60001500].value) for ds in orthanc.datasets
    }


def test_dimse_urls_off_the_configured_servers_are_bad_arguments(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("OVERLAY_STUDIO_DICOMWEB_URL", raising=False)
    monkeypatch.setenv("OVERLAY_STUDIO_DIMSE", "dimse://PACS@127.0.0.1:9")
    assert main(["batch", "audit", "dimse://OTHER@127.0.0.1:9/1.2", "--out", str(tmp_path)]) == 2
    assert "not on a configured PACS server (PACS)" in capsys.readouterr().err
    assert main(["batch", "audit", "dimse://PACS@127.0.0.1:9/1.2/1.3/1.4", "--out", str(tmp_path)]) == 2
    assert "must be dimse://CALLED_AET@host:port/STUDY_UID[/SERIES_UID]" in capsys.readouterr().err
