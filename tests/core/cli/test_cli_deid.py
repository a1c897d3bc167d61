"""``deid`` from the command line, and the batch task ``deid`` with its per-file report."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from pydicom.uid import RLELossless

from overlay_core.cli.main import main
from overlay_core.deid import ocr
from overlay_core.planes.reading import load, overlay_groups, unpack_plane
from tests import builders as b
from tests.deid_support import found_words, kept_share, text_plane


@pytest.fixture
def text_file(tmp_path: Path) -> tuple[Path, object]:
    plane = text_plane(256, 320, sizes=(10, 14))
    ds = b.image_dataset(256, 320)
    b.add_plane(ds, 0x6000, plane.bits, label="SMITH")
    path = tmp_path / "in.dcm"
    path.write_bytes(b.to_file_bytes(ds))
    return path, plane


def test_clean_graphics_writes_the_file_and_the_report(text_file: tuple[Path, object], tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    path, plane = text_file
    out, report = tmp_path / "out.dcm", tmp_path / "report.json"
    assert main(["deid", str(path), "--profile", "clean-graphics", "--out", str(out),
                 "--report", str(report)]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith("clean-graphics: ") and line.endswith(f"wrote {out}.")
    ds = load(out.read_bytes())
    bits = unpack_plane(ds, 0x6000)[1]
    assert found_words([w.text for w in ocr.words_in(bits[0])], plane.words[0]) == set()  # type: ignore[attr-defined]
    assert kept_share(plane.graphics, bits) >= 0.95  # type: ignore[attr-defined]
    doc = json.loads(report.read_text())
    assert doc["profile"] == "clean-graphics" and doc["file"] == str(path)
    words = doc["planes"][0]["frames"][0]["words"]
    assert words and all(w["removed"] for w in words)
    assert ds.DeidentificationMethodCodeSequence[0].CodeValue == "113103"


def test_remove_and_the_compressed_refusal(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ds = b.image_dataset(16, 16, bits_stored=12)
    b.add_embedded_plane(ds, 0x6000, np.eye(16, dtype=bool), bit_position=15)
    ds.compress(RLELossless, encoding_plugin="pydicom")
    path = tmp_path / "rle.dcm"
    path.write_bytes(b.to_file_bytes(ds))
    out = tmp_path / "out.dcm"
    assert main(["deid", str(path), "--profile", "remove", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cannot be cleaned without decompressing" in err[0]
    assert not out.exists()
    assert main(["deid", str(path), "--profile", "remove", "--decompress", "--out", str(out)]) == 0
    assert "Pixel Data decompressed" in capsys.readouterr().out
    assert overlay_groups(load(out.read_bytes())) == []


def test_refuses_to_overwrite_the_input(text_file: tuple[Path, object]) -> None:
    path, _ = text_file
    data = path.read_bytes()
    assert main(["deid", str(path), "--profile", "remove", "--out", str(path)]) == 2
    assert path.read_bytes() == data


def test_a_report_that_cannot_be_written_writes_nothing(text_file: tuple[Path, object], tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    path, _ = text_file
    out = tmp_path / "out.dcm"
    assert main(["deid", str(path), "--profile", "remove", "--out", str(out),
                 "--report", str(tmp_path / "no-such-folder" / "report.json")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "could not be written" in err[0]
    assert not out.exists()  # exit 2 writes nothing: not the file without its report


def test_the_report_may_not_be_the_output(text_file: tuple[Path, object], tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    path, _ = text_file
    out = tmp_path / "out.dcm"
    assert main(["deid", str(path), "--profile", "remove", "--out", str(out), "--report", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "report" in err[0]
    assert not out.exists()


def test_batch_task_reports_each_file(text_file: tuple[Path, object], tmp_path: Path) -> None:
    path, _ = text_file
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.dcm").write_bytes(path.read_bytes())
    (src / "b.dcm").write_bytes(b.embedded_file(16)[0])
    (src / "notes.txt").write_text("not DICOM\n")
    out = tmp_path / "out"
    status = main(["batch", "deid", str(src), "--out", str(out), "--profile", "clean-graphics",
                   "--workers", "2"])
    assert status == 0  # notes.txt is skipped as not DICOM; the others are done
    lines = (out / "report.jsonl").read_text().splitlines()
    records = {Path(r["file"]).name: r for r in map(json.loads, lines)}
    assert records["notes.txt"]["status"] == "skipped"
    a = records["a.dcm"]
    assert a["status"] == "ok" and a["deid"]["profile"] == "clean-graphics"
    assert a["deid"]["planes"][0]["frames"][0]["words"]
    written = load((out / a["outputs"][0]).read_bytes())
    assert written.DeidentificationMethodCodeSequence[0].CodeValue == "113103"
    assert records["b.dcm"]["status"] == "ok"


def test_batch_task_on_a_dask_local_cluster(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    for i in range(3):
        (src / f"{i}.dcm").write_bytes(b.embedded_file(16)[0])
    out = tmp_path / "out"
    assert main(["batch", "deid", str(src), "--out", str(out), "--scheduler", "local", "--workers", "1"]) == 0
    records = [json.loads(line) for line in (out / "report.jsonl").read_text().splitlines()]
    assert len(records) == 3
    assert all(r["status"] == "ok" and r["deid"]["profile"] == "remove" for r in records)
    for r in records:
        assert overlay_groups(load((out / r["outputs"][0]).read_bytes())) == []
