"""A batch over a DICOMweb study or series of a configured server (a real Orthanc)."""

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


def test_a_series_url_is_retrieved_instance_by_instance(orthanc: pacs_support.LoadedStudy,
                                                        tmp_path: Path) -> None:
    url = f"{orthanc.server.url}/studies/{orthanc.study_uid}/series/{orthanc.series_uid}"
    env = {"OVERLAY_STUDIO_DICOMWEB_URL": orthanc.server.url, "OVERLAY_STUDIO_DICOMWEB_NAME": "lab"}
    result = run_cli("batch", "masks", url, "--out", str(tmp_path / "out"), "--workers", "2", env=env)
    assert result.returncode == 0, result.stderr
    records = _records(tmp_path / "out")
    assert len(records) == len(orthanc.datasets)
    for ds, mask in zip(orthanc.datasets, orthanc.masks, strict=True):
        key = f"{url}/instances/{ds.SOPInstanceUID}"
        relative = f"lab/{orthanc.study_uid}/{orthanc.series_uid}/{ds.SOPInstanceUID}.dcm"
        assert records[key]["status"] == "ok" and records[key]["outputs"] == [f"{relative}.6000.npy"]
        assert np.array_equal(np.load(tmp_path / "out" / f"{relative}.6000.npy")[0].astype(bool), mask)


def test_a_study_url_covers_its_series_and_resume_skips_them(orthanc: pacs_support.LoadedStudy,
                                                             tmp_path: Path) -> None:
    url = f"{orthanc.server.url}/studies/{orthanc.study_uid}"
    env = {"OVERLAY_STUDIO_DICOMWEB_URL": orthanc.server.url}
    out = tmp_path / "out"
    assert run_cli("batch", "audit", url, "--out", str(out), env=env).returncode == 0
    records = _records(out)
    assert {r["overlays"][0]["label"] for r in records.values()} == {
        str(ds[0x60001500].value) for ds in orthanc.datasets}
    again = run_cli("batch", "audit", url, "--out", str(out), "--resume", env=env)
    assert again.returncode == 0 and f"{len(records)} skipped as done before" in again.stdout


def test_urls_off_the_configured_server_are_bad_arguments(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("OVERLAY_STUDIO_DICOMWEB_URL", raising=False)
    assert main(["batch", "audit", "http://127.0.0.1:9/dicom-web/studies/1.2", "--out", str(tmp_path)]) == 2
    assert "needs a configured server" in capsys.readouterr().err
    monkeypatch.setenv("OVERLAY_STUDIO_DICOMWEB_URL", "http://127.0.0.1:9/dicom-web")
    assert main(["batch", "audit", "http://other:9/dicom-web/studies/1.2", "--out", str(tmp_path)]) == 2
    assert "not on a configured PACS server (PACS)" in capsys.readouterr().err
    assert main(["batch", "audit", "http://127.0.0.1:9/dicom-web/series/1.2", "--out", str(tmp_path)]) == 2
    assert "must end in /studies/UID" in capsys.readouterr().err
