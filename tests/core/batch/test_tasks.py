"""Each batch task's outputs, file by file, over a folder of good, embedded, multi-frame and broken files.

Every task runs once on a real process pool through the command line (in-process), and each
file's outputs are checked against what the builders put in it, or against the single-file
commands (``info --json``, ``render``).
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
import pytest
from PIL import Image

from overlay_core.batch.sources import Item
from overlay_core.batch.tasks import NOT_DICOM, TASKS, Options, one_line, run_task
from overlay_core.cli.batch import BATCH_TASKS
from overlay_core.cli.main import main
from overlay_core.planes.reading import image_info, load, overlay_groups, read_planes
from tests.batch_support import Expected, build_tree

TASK_NAMES = ("audit", "migrate", "strip", "render", "masks", "seg", "rtstruct", "nifti", "deid")


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Expected]]:
    return build_tree(tmp_path_factory.mktemp("tasks"))


@pytest.fixture(scope="module")
def runs(tree: tuple[Path, dict[str, Expected]], tmp_path_factory: pytest.TempPathFactory
         ) -> dict[str, tuple[int, Path, dict[str, dict[str, Any]]]]:
    src, _ = tree
    out: dict[str, tuple[int, Path, dict[str, dict[str, Any]]]] = {}
    for task in TASK_NAMES:
        folder = tmp_path_factory.mktemp(f"out-{task}")
        status = main(["batch", task, str(src), "--out", str(folder), "--workers", "2"])
        lines = (folder / "report.jsonl").read_text().splitlines()
        records = [json.loads(line) for line in lines]
        by_file = {r["file"]: r for r in records}
        assert len(by_file) == len(records), "a file was reported twice"
        out[task] = (status, folder, by_file)
    return out


def _ok(files: dict[str, Expected]) -> dict[str, Expected]:
    return {k: e for k, e in files.items() if not e.broken and not e.not_dicom}


def _pixels(ds: pydicom.Dataset) -> np.ndarray:
    dtype = np.dtype(f"<u{ds.BitsAllocated // 8}")
    count = int(ds.get("NumberOfFrames", 1) or 1) * ds.Rows * ds.Columns
    return np.frombuffer(ds.PixelData, dtype=dtype, count=count)


def _no_leftovers(folder: Path) -> None:
    assert [p.name for p in folder.rglob("*.part")] == []


@pytest.mark.parametrize("task", TASK_NAMES)
def test_every_file_is_reported_once_and_broken_ones_fail(
    task: str, tree: tuple[Path, dict[str, Expected]], runs: dict[str, Any]
) -> None:
    _, files = tree
    status, folder, records = runs[task]
    assert status == 1  # some files are broken
    assert set(records) == set(files)
    for key, expected in files.items():
        record = records[key]
        assert record["task"] == task
        if expected.broken:
            assert record["status"] == "failed", key
            assert record["error"] and "\n" not in record["error"]
            assert record["outputs"] == []
        elif expected.not_dicom:  # a README or .tsv beside the images: skipped, not failed
            assert (record["status"], record["error"], record["outputs"]) == ("skipped", None, []), key
            assert record["note"] == NOT_DICOM
        else:
            assert (record["status"], record["error"]) == ("ok", None), key
        for output in record["outputs"]:
            assert (folder / output).is_file()
            assert output.startswith(expected.relative)
    for expected in files.values():  # inputs untouched
        if "more.zip" not in expected.key:
            assert Path(expected.key).read_bytes() == expected.data
    _no_leftovers(folder)


def test_audit_records_are_info_json(tree: tuple[Path, dict[str, Expected]], runs: dict[str, Any],
                                     tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, files = tree
    _, folder, records = runs["audit"]
    for key, expected in _ok(files).items():
        single = tmp_path / "single.dcm"
        single.write_bytes(expected.data)
        capsys.readouterr()
        assert main(["info", str(single), "--json"]) == 0
        doc = json.loads(capsys.readouterr().out)
        record = records[key]
        assert record["file"] == key
        for part in ("image", "overlays", "diagnostics"):
            assert record[part] == doc[part], (key, part)
        groups = {int(p["group"], 16) for p in record["overlays"]}
        assert groups == set(expected.planes), key
        for plane in record["overlays"]:
            group = int(plane["group"], 16)
            assert plane["embedded"] == (group in expected.embedded)
            assert plane["set_bits"] == int(np.count_nonzero(expected.planes[group]))
    # summary.csv counts what the report says, per status, diagnostic code and plane kind
    rows = list(csv.DictReader((folder / "summary.csv").open()))
    table = {(r["category"], r["name"]): (int(r["files"]), int(r["count"])) for r in rows}
    broken = sum(e.broken for e in files.values())
    not_dicom = sum(e.not_dicom for e in files.values())
    assert table[("status", "ok")] == (len(files) - broken - not_dicom,) * 2
    assert table[("status", "failed")] == (broken, broken)
    assert table[("status", "skipped")] == (not_dicom, not_dicom)
    embedded_files = [e for e in files.values() if e.embedded]
    assert table[("diagnostic", "embedded-retired")] == (
        len(embedded_files), sum(len(e.embedded) for e in embedded_files))
    codes: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    for record in records.values():
        codes.update(f["code"] for f in record["diagnostics"])
        for p in record["overlays"]:
            kinds[f"{'embedded' if p['embedded'] else 'standalone'} {p['type']}"
                  + (" multi-frame" if p["frames"] > 1 else "")] += 1
    assert {n: c for (cat, n), (_, c) in table.items() if cat == "diagnostic"} == dict(codes)
    assert {n: c for (cat, n), (_, c) in table.items() if cat == "plane"} == dict(kinds)
    assert table[("plane", "standalone R")][1] == 1  # the ROI plane


def test_migrate_moves_embedded_planes_and_copies_the_rest(
    tree: tuple[Path, dict[str, Expected]], runs: dict[str, Any]
) -> None:
    _, files = tree
    _, folder, records = runs["migrate"]
    for key, expected in _ok(files).items():
        record = records[key]
        output = folder / expected.relative
        assert record["outputs"] == [expected.relative]
        assert record["migrated"] == [f"{g:04X}" for g in expected.embedded]
        if not expected.embedded:
            assert output.read_bytes() == expected.data
            continue
        ds = load(output.read_bytes())
        planes = read_planes(ds)
        assert [p.group for p in planes] == sorted(expected.planes)
        assert not any(p.embedded for p in planes)
        from overlay_core.planes.placement import image_mask

        for group, mask in expected.planes.items():
            assert np.array_equal(image_mask(ds, group), mask.reshape(image_mask(ds, group).shape))
        assert int(_pixels(ds).max()) < 1 << ds.BitsStored  # the planes' bits are cleared


def test_strip_removes_every_60xx_element(
    tree: tuple[Path, dict[str, Expected]], runs: dict[str, Any]
) -> None:
    _, files = tree
    _, folder, records = runs["strip"]
    for key, expected in _ok(files).items():
        record = records[key]
        original = load(expected.data)
        ds = pydicom.dcmread(folder / expected.relative)
        assert [t for t in ds.keys() if 0x6000 <= t.group <= 0x60FF] == []
        assert [e["group"] for e in record["removed"]] == [f"{g:04X}" for g in overlay_groups(original)]
        for entry in record["removed"]:
            group = int(entry["group"], 16)
            if group in expected.planes:
                assert entry["set_bits"] == int(np.count_nonzero(expected.planes[group]))
                assert entry["embedded"] == (group in expected.embedded)
        kept = {t for t in original.keys() if not 0x6000 <= t.group <= 0x60FF}
        assert set(ds.keys()) == kept
        for t in kept - {0x7FE00010}:
            assert ds[t].value == original[t].value
        if expected.has_image:
            before, after = _pixels(original), _pixels(ds)
            low_bits = (1 << original.BitsStored) - 1
            assert np.array_equal(after, before & low_bits if expected.embedded else before)


def _with_image(task: str, tree: tuple[Path, dict[str, Expected]], runs: dict[str, Any]
                ) -> Iterator[tuple[Expected, dict[str, Any], Path]]:
    """Yield ``(expected, record, output folder)`` per good file with an image; check the others' note."""
    _, files = tree
    _, folder, records = runs[task]
    for key, expected in _ok(files).items():
        record = records[key]
        if expected.has_image:
            yield expected, record, folder
        else:
            assert record["outputs"] == [] and "no image" in record["note"]


def test_render_matches_the_single_file_command(
    tree: tuple[Path, dict[str, Expected]], runs: dict[str, Any], tmp_path: Path
) -> None:
    for expected, record, folder in _with_image("render", tree, runs):
        names = ([f"{expected.relative}.png"] if expected.frames == 1
                 else [f"{expected.relative}.{k:04d}.png" for k in range(1, expected.frames + 1)])
        assert record["outputs"] == names
        single = tmp_path / "single.dcm"
        single.write_bytes(expected.data)
        info = image_info(load(expected.data))
        for frame, name in enumerate(names, start=1):
            one = tmp_path / "one.png"
            assert main(["render", str(single), "--out", str(one), "--frame", str(frame)]) == 0
            ours = np.asarray(Image.open(folder / name))
            assert ours.shape == (info.rows, info.columns, 3)
            assert np.array_equal(ours, np.asarray(Image.open(tmp_path / "one.png")))


def test_masks_are_the_planes_on_the_image(
    tree: tuple[Path, dict[str, Expected]], runs: dict[str, Any]
) -> None:
    for expected, record, folder in _with_image("masks", tree, runs):
        key = expected.key
        groups = sorted(expected.planes)
        assert record["outputs"] == [f"{expected.relative}.{g:04X}.npy" for g in groups]
        for group in groups:
            array = np.load(folder / f"{expected.relative}.{group:04X}.npy")
            assert array.dtype == np.uint8
            assert array.shape == (expected.frames, *expected.planes[group].shape[-2:])
            placed = expected.planes[group].reshape(array.shape)
            assert np.array_equal(array.astype(bool), placed), (key, group)
        assert [m["set_pixels"] for m in record["masks"]] == [
            int(np.count_nonzero(expected.planes[g])) for g in groups]


def test_seg_holds_each_plane_as_placed_on_the_image(
    tree: tuple[Path, dict[str, Expected]], runs: dict[str, Any]
) -> None:
    import highdicom as hd

    from overlay_core.interop.seg import segment_masks

    for expected, record, folder in _with_image("seg", tree, runs):
        groups = sorted(expected.planes)
        assert record["outputs"] == [f"{expected.relative}.seg.dcm"], expected.key
        assert record["segments"] == [f"{g:04X}" for g in groups] and record["left_out"] == []
        path = folder / f"{expected.relative}.seg.dcm"
        seg = hd.seg.segread(path)
        assert seg.number_of_segments == len(groups)
        assert seg.SOPClassUID == "1.2.840.10008.5.1.4.1.1.66.4"
        masks = segment_masks(load(expected.data), load(path.read_bytes()))
        for number, group in enumerate(groups, start=1):
            assert np.array_equal(masks[number], expected.planes[group].reshape(masks[number].shape)), (
                expected.key, group)


def test_unusable_planes_are_listed_by_masks(tmp_path: Path) -> None:
    from tests import builders as b

    (tmp_path / "claim.dcm").write_bytes(b.big_claim_file())
    record = run_task("masks", str(tmp_path / "out"), Options(),
                      Item("claim.dcm", "x/claim.dcm", str(tmp_path / "claim.dcm")))
    assert (record["status"], record["outputs"], record["unusable_groups"]) == ("ok", [], ["6000"])


def test_a_task_never_writes_over_its_input(tmp_path: Path) -> None:
    from tests import builders as b

    data = b.embedded_file()[0]
    src = tmp_path / "src" / "a.dcm"
    src.parent.mkdir()
    src.write_bytes(data)
    # an item whose output path is the input itself (out = tmp_path, relative = src/a.dcm)
    record = run_task("migrate", str(tmp_path), Options(), Item(str(src), "src/a.dcm", str(src)))
    assert record["status"] == "failed" and "Refusing to overwrite the input" in record["error"]
    assert src.read_bytes() == data


def test_every_task_is_offered_by_the_cli() -> None:
    assert tuple(TASKS) == TASK_NAMES == BATCH_TASKS


def test_one_line() -> None:
    assert one_line(RuntimeError("a\nb")) == "RuntimeError: a b"
    assert len(one_line(ValueError("x" * 1000))) == 400
    assert one_line(io.UnsupportedOperation()) == "UnsupportedOperation"


def _without_uid(folder: Path) -> Path:
    """A file with an embedded plane and an overlay, and no SOP Instance UID anywhere."""
    from tests import builders as b

    ds = b.image_dataset(9, 11, bits_allocated=16, bits_stored=12)
    b.add_embedded_plane(ds, 0x6002, b.random_mask((9, 11), seed=3), 15)
    b.add_plane(ds, 0x6000, b.random_mask((9, 11), seed=4))
    del ds.SOPInstanceUID
    del ds.file_meta.MediaStorageSOPInstanceUID
    folder.mkdir()
    buffer = io.BytesIO()  # as dwv_leadtools-8BitsJpegLossyGrayScale.dcm in the corpus
    pydicom.dcmwrite(buffer, ds, enforce_file_format=False)
    (folder / "no-uid.dcm").write_bytes(buffer.getvalue())
    return folder


@pytest.mark.parametrize("task", ["migrate", "strip", "deid"])
def test_new_uid_writes_files_without_a_sop_instance_uid(
    tmp_path: Path, task: str, capsys: pytest.CaptureFixture[str]
) -> None:
    src = _without_uid(tmp_path / "src")
    assert main(["batch", task, str(src), "--out", str(tmp_path / "plain"), "--workers", "1"]) == 1
    line = json.loads((tmp_path / "plain" / "report.jsonl").read_text().splitlines()[0])
    assert "no SOP Instance UID" in line["error"]
    capsys.readouterr()
    out = tmp_path / "new"
    assert main(["batch", task, str(src), "--out", str(out), "--workers", "1", "--new-uid"]) == 0
    written = pydicom.dcmread(out / "src" / "no-uid.dcm")
    uid = str(written.SOPInstanceUID)
    assert uid and uid == str(written.file_meta.MediaStorageSOPInstanceUID)
    assert pydicom.uid.UID(uid).is_valid


def test_new_uid_is_refused_by_tasks_that_write_no_dicom_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = _without_uid(tmp_path / "src")
    assert main(["batch", "render", str(src), "--out", str(tmp_path / "out"), "--new-uid"]) == 2
    assert capsys.readouterr().err.strip().endswith("which write DICOM files; not to render.")
    assert not (tmp_path / "out").exists()
