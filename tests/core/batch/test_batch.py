"""The batch engine: exit codes, --resume, Dask clusters, and workers that die mid-batch."""

from __future__ import annotations

import csv
import io
import json
import multiprocessing
import os
import signal
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import psutil
import pytest

from overlay_core.batch.engine import POOL_BROKEN, WORKER_DIED, dask_executor, execute
from overlay_core.batch.report import MAX_ERROR_ROWS, done_files, write_summary
from overlay_core.batch.run import run_batch
from overlay_core.batch.sources import Item
from overlay_core.batch.tasks import NOT_DICOM, Options, run_task
from overlay_core.cli.main import main
from overlay_core.errors import InvalidArgumentError
from tests.batch_support import abort_on_poison, build_tree, gdcm_poison, many_files, run_cli

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _records(folder: Path) -> list[dict[str, Any]]:
    out = []
    for line in (folder / "report.jsonl").read_text().splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            pass
    return out


def _by_file(folder: Path) -> dict[str, dict[str, Any]]:
    records = _records(folder)
    by_file = {r["file"]: r for r in records}
    assert len(by_file) == len(records), "a file was reported twice"
    return by_file


def _outputs(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name not in ("report.jsonl", "summary.csv")}


def _lines(path: Path) -> int:
    try:
        return path.read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


# --------------------------------------------------------------------------- the engine


def test_execute_yields_every_item_once_with_errors_as_one_line() -> None:
    results = sorted(execute(int, ["1", "x", "3", "4", "5"], 2, chunk=2), key=lambda r: str(r[0]))
    assert results[:4] == [("1", 1, None), ("3", 3, None), ("4", 4, None), ("5", 5, None)]
    item, value, error = results[4]
    assert (item, value) == ("x", None) and error is not None
    assert error.startswith("ValueError: invalid literal for int()")


def test_execute_keeps_a_bounded_window(tmp_path: Path) -> None:
    taken = 0

    def items() -> Any:
        nonlocal taken
        for i in range(50):
            taken += 1
            yield i

    results = execute(abs, items(), 1, in_flight=3)
    next(results)
    assert taken <= 4  # three in flight, one done
    assert len(list(results)) == 49


def test_a_given_pool_that_breaks_reports_every_item(tmp_path: Path) -> None:
    paths = many_files(tmp_path / "src", 4, size=16)
    poison = tmp_path / "src" / "poison.dcm"  # its worker aborts (tests.batch_support.abort_on_poison)
    poison.write_bytes(paths[0].read_bytes())
    render = partial(run_task, "render", str(tmp_path / "out"), Options())
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("forkserver")) as pool:
        results = list(execute(partial(abort_on_poison, render),
                               [Item(str(poison), "p", str(poison)),
                                *(Item(str(p), p.name, str(p)) for p in paths)], pool, in_flight=2))
    # One worker, the poison first: nothing finishes; two were in flight, three never submitted.
    assert sorted(r[0].key for r in results) == sorted([str(poison), *map(str, paths)])
    assert [r[1:] for r in results] == [(None, POOL_BROKEN)] * 5


def test_execute_refuses_bad_settings() -> None:
    with pytest.raises(InvalidArgumentError, match="at least 1"):
        list(execute(abs, [1], 0))
    with pytest.raises(InvalidArgumentError, match="chunk size"):
        list(execute(abs, [1], 1, chunk=0))


# --------------------------------------------------------------------------- command line


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    src, _ = build_tree(tmp_path)
    return src


def test_exit_status_and_messages_in_a_pipe(tmp_path: Path) -> None:
    src = tmp_path / "ok"
    many_files(src, 3, size=32)
    good = run_cli("batch", "audit", str(src), "--out", str(tmp_path / "o1"), "--workers", "2")
    assert good.returncode == 0 and good.stderr == ""  # no progress bar in a pipe
    assert "3 file(s)" in good.stdout and "3 ok, 0 failed" in good.stdout
    (src / "broken.dcm").write_bytes((src / "img000.dcm").read_bytes()[:400])  # DICM, then cut short
    bad = run_cli("batch", "audit", str(src), "--out", str(tmp_path / "o2"), "--workers", "2")
    assert bad.returncode == 1
    assert bad.stderr.strip().splitlines() == [
        f"python -m overlay_core batch: 1 of 4 file(s) failed; see {tmp_path / 'o2' / 'report.jsonl'}."]


def test_a_mixed_folder_skips_what_is_not_dicom_and_exits_zero(tmp_path: Path) -> None:
    """README, .tsv and .npz files beside the images (as in a real archive) are skipped, not failed."""
    src = tmp_path / "study"
    images = many_files(src / "dicom", 3, size=32)
    (src / "README").write_text("Scans of the study; see participants.tsv.\n")
    (src / "participants.tsv").write_text("id\tage\nP1\t42\n")
    buffer = io.BytesIO()
    np.savez(buffer, mask=np.ones((4, 4), np.uint8))
    (src / "masks.npz").write_bytes(buffer.getvalue())
    headerless = src / "dicom" / "raw"  # no preamble, no DICM, but DICOM: audited, not skipped
    headerless.write_bytes(images[0].read_bytes()[132:])
    result = run_cli("batch", "audit", str(src), "--out", str(tmp_path / "out"), "--workers", "2")
    assert (result.returncode, result.stderr) == (0, "")
    assert "7 file(s)" in result.stdout and "4 ok, 0 failed, 3 skipped as not DICOM" in result.stdout
    records = _by_file(tmp_path / "out")
    status = {Path(f).name: r["status"] for f, r in records.items()}
    assert status == {"README": "skipped", "participants.tsv": "skipped", "masks.npz": "skipped",
                      "raw": "ok", "img000.dcm": "ok", "img001.dcm": "ok", "img002.dcm": "ok"}
    assert all(r["note"] == NOT_DICOM and r["error"] is None
               for r in records.values() if r["status"] == "skipped")
    rows = list(csv.DictReader((tmp_path / "out" / "summary.csv").open()))
    table = {(r["category"], r["name"]): int(r["files"]) for r in rows}
    assert (table[("status", "ok")], table[("status", "skipped")]) == (4, 3)
    assert ("status", "failed") not in table and not any(c == "error" for c, _ in table)


def test_include_and_exclude_globs_choose_the_files(tmp_path: Path) -> None:
    src = tmp_path / "study"
    many_files(src / "a", 2, size=16)
    many_files(src / "b", 2, size=16)
    (src / "notes.txt").write_text("notes\n")
    out = tmp_path / "out"
    assert main(["batch", "audit", str(src), "--out", str(out), "--workers", "1",
                 "--include", "*.dcm", "--exclude", "b/*"]) == 0
    chosen = sorted(Path(f).relative_to(src).as_posix() for f in _by_file(out))
    assert chosen == ["a/img000.dcm", "a/img001.dcm"]
    out2 = tmp_path / "out2"
    assert main(["batch", "audit", str(src), "--out", str(out2), "--workers", "1",
                 "--exclude", "img001.dcm", "--exclude", "*.txt"]) == 0
    chosen = sorted(Path(f).relative_to(src).as_posix() for f in _by_file(out2))
    assert chosen == ["a/img000.dcm", "b/img000.dcm"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["batch", "audit", "missing", "--out", "o"], "The source missing does not exist."),
        (["batch", "frobnicate", "src", "--out", "o"], "invalid choice"),
        (["batch", "audit", "src", "--out", "o", "--workers", "0"], "--workers must be at least 1"),
        (["batch", "audit", "src", "--out", "o", "--scheduler", "nonsense"],
         "Could not reach the Dask scheduler"),
        (["batch", "audit", "src", "--out", "o", "--scheduler", "tcp://h:1", "--workers", "2"],
         "--workers applies to the local pool"),
        (["batch", "audit", "src", "--out", "."], "would write over the source"),
        (["batch", "render", "src", "--out", "o", "--max-size", "0"], "--max-size must be at least 1"),
        (["batch", "audit", "src"], "required: --out"),
    ],
)
def test_bad_arguments_exit_two_with_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    many_files(tmp_path / "src", 1, size=16)
    result = run_cli(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and message in result.stderr
    assert not (tmp_path / "o" / "report.jsonl").exists()


def test_an_existing_report_needs_resume_and_the_same_task(tree: Path, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert main(["batch", "audit", str(tree), "--out", str(out), "--workers", "1"]) == 1
    before = (out / "report.jsonl").read_bytes()
    assert main(["batch", "audit", str(tree), "--out", str(out)]) == 2
    assert "add --resume" in capsys.readouterr().err
    assert main(["batch", "masks", str(tree), "--out", str(out), "--resume"]) == 2
    assert "is the report of a batch audit, not masks" in capsys.readouterr().err
    assert (out / "report.jsonl").read_bytes() == before


def test_progress_bar_shows_files_rate_and_total(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    many_files(tmp_path / "src", 6, size=32)
    run_batch("audit", [str(tmp_path / "src")], tmp_path / "out", workers=1, progress=True)
    err = capsys.readouterr().err
    assert "\r6/6 files" in err and "files/s" in err and err.endswith("\n")


def test_summary_lists_at_most_a_hundred_error_messages(tmp_path: Path) -> None:
    report = tmp_path / "report.jsonl"
    lines = [json.dumps({"file": f"f{i}", "task": "audit", "status": "failed", "error": f"Error {i}."})
             for i in range(150)]
    report.write_text("\n".join([*lines, lines[0]]) + "\n")  # f0 twice: counted once
    assert write_summary(report, tmp_path / "summary.csv") == {"failed": 150}
    rows = list(csv.reader((tmp_path / "summary.csv").open()))
    errors = {r[1]: int(r[2]) for r in rows if r[0] == "error"}
    assert len(errors) == MAX_ERROR_ROWS + 1 and errors["(other errors)"] == 50


# --------------------------------------------------------------------------- resume


def test_resume_redoes_failed_files_and_a_line_cut_short(tree: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert main(["batch", "audit", str(tree), "--out", str(out), "--workers", "2"]) == 1
    first = _by_file(out)
    ok = {f for f, r in first.items() if r["status"] == "ok"}
    lines = (out / "report.jsonl").read_text().splitlines(keepends=True)
    last = json.loads(lines[-1])["file"]
    cut = "".join(lines[:-1]) + lines[-1][: len(lines[-1]) // 2]  # an interruption mid-line
    (out / "report.jsonl").write_text(cut)
    assert done_files(out / "report.jsonl", "audit") == ok - {last}
    assert main(["batch", "audit", str(tree), "--out", str(out), "--resume"]) == 1
    records = _records(out)
    redone = [r["file"] for r in records[len(lines) - 1:]]
    assert sorted(redone) == sorted((set(first) - ok) | {last})
    latest = {r["file"]: r for r in records}
    assert latest == first  # same results; every file in the report


def _start_render(tmp_path: Path, workers: str) -> tuple[psutil.Popen, list[Path], Path]:
    """Start ``batch render`` of 40 files in a subprocess; return once 3 files are reported."""
    paths = many_files(tmp_path / "src", 40, size=256)
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[3])}
    proc = psutil.Popen([sys.executable, "-m", "overlay_core", "batch", "render", str(tmp_path / "src"),
                         "--out", str(out), "--workers", workers], env=env,
                        stdout=open(tmp_path / "stdout", "w"), stderr=open(tmp_path / "stderr", "w"))
    deadline = time.monotonic() + 120
    while _lines(out / "report.jsonl") < 3 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.01)
    assert proc.poll() is None, "the batch ended before it could be interrupted"
    return proc, paths, out


def test_resume_after_an_interrupted_run(tmp_path: Path) -> None:
    proc, paths, out = _start_render(tmp_path, workers="1")
    proc.send_signal(signal.SIGINT)
    assert proc.wait(60) == 130
    assert "add --resume to continue" in (tmp_path / "stderr").read_text()
    done_before = {r["file"] for r in _records(out)}
    assert 3 <= len(done_before) < len(paths)
    result = run_cli("batch", "render", str(tmp_path / "src"), "--out", str(out), "--resume",
                     "--workers", "2")
    assert result.returncode == 0, result.stderr
    assert f"{len(done_before)} skipped as done before" in result.stdout
    records = _by_file(out)  # nobody twice: the done files were not redone
    assert set(records) == {str(p) for p in paths}
    assert all(r["status"] == "ok" for r in records.values())
    assert all((out / "src" / f"{p.name}.png").is_file() for p in paths)


# --------------------------------------------------------------------------- workers that die


def _pool_workers(pid: int) -> list[psutil.Process]:
    """The process pool's workers: children of the forkserver started by ``pid``."""
    servers = [c for c in psutil.Process(pid).children() if "forkserver" in " ".join(c.cmdline())]
    return [w for s in servers for w in s.children()]


def test_a_worker_killed_mid_batch_and_every_file_still_reported(tmp_path: Path) -> None:
    proc, paths, out = _start_render(tmp_path, workers="2")
    workers = _pool_workers(proc.pid)
    assert len(workers) == 2
    workers[0].kill()
    killed_at = _lines(out / "report.jsonl")
    assert killed_at < len(paths)
    assert proc.wait(120) == 0, (tmp_path / "stderr").read_text()
    records = _by_file(out)
    assert set(records) == {str(p) for p in paths}
    assert all(r["status"] == "ok" for r in records.values())
    assert all((out / "src" / f"{p.name}.png").is_file() for p in paths)


def _poisoned(tmp_path: Path, count: int = 11) -> tuple[list[Item], Any]:
    """Items of ``count`` files, one of them ``poison.dcm`` (its worker aborts), and the task."""
    paths = many_files(tmp_path / "src", count - 1, size=32)
    poison = tmp_path / "src" / "poison.dcm"
    poison.write_bytes(paths[0].read_bytes())
    items = [Item(str(p), f"src/{p.name}", str(p)) for p in sorted([*paths, poison])]
    return items, partial(abort_on_poison, partial(run_task, "render", str(tmp_path / "out"), Options()))


def _check_poisoned(results: list[tuple[Item, Any, str | None]], items: list[Item]) -> None:
    assert sorted(r[0].key for r in results) == sorted(i.key for i in items)  # each exactly once
    for item, record, error in results:
        if item.key.endswith("poison.dcm"):
            assert (record, error) == (None, WORKER_DIED)
        else:
            assert error is None and record["status"] == "ok", (item.key, error)


def test_a_file_that_crashes_its_worker_fails_alone(tmp_path: Path) -> None:
    # (GDCM used to abort the process on tests.batch_support.gdcm_poison; since issue 10 that
    # file is refused before decoding, so the worker aborts itself on poison.dcm.)
    items, task = _poisoned(tmp_path)
    _check_poisoned(list(execute(task, items, 2)), items)


# --------------------------------------------------------------------------- Dask


@pytest.fixture(scope="module")
def cluster() -> Any:
    distributed = pytest.importorskip("distributed")
    import logging

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address="127.0.0.1:0", silence_logs=logging.ERROR) as local:
        yield local


@pytest.mark.parametrize("task", ["audit", "render", "masks"])
def test_a_dask_cluster_gives_the_pool_results(task: str, tree: Path, tmp_path: Path, cluster: Any) -> None:
    pool, dask = tmp_path / "pool", tmp_path / "dask"
    assert main(["batch", task, str(tree), "--out", str(pool), "--workers", "2"]) == 1
    assert main(["batch", task, str(tree), "--out", str(dask), "--scheduler", cluster.scheduler_address]) == 1
    assert _by_file(dask) == _by_file(pool)
    assert _outputs(dask) == _outputs(pool)
    assert (dask / "summary.csv").read_text() == (pool / "summary.csv").read_text()


def test_scheduler_local_starts_and_stops_a_local_cluster(tree: Path, tmp_path: Path) -> None:
    pool, dask = tmp_path / "pool", tmp_path / "dask"
    assert main(["batch", "strip", str(tree), "--out", str(pool), "--workers", "2"]) == 1
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    local = ["--scheduler", "local", "--workers", "2"]
    assert main(["batch", "strip", str(tree), "--out", str(dask), *local]) == 1
    assert _by_file(dask) == _by_file(pool) and _outputs(dask) == _outputs(pool)
    time.sleep(0.5)
    left = {p.pid for p in psutil.Process().children(recursive=True) if p.is_running()
            and p.status() != psutil.STATUS_ZOMBIE} - before
    assert left == set()  # the cluster's processes are gone


def test_a_dask_worker_killed_mid_batch_and_every_file_still_reported(tmp_path: Path, cluster: Any) -> None:
    paths = many_files(tmp_path / "src", 40, size=256)
    out = tmp_path / "out"
    killed: list[int] = []

    def kill_one() -> None:
        deadline = time.monotonic() + 120
        while _lines(out / "report.jsonl") < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        workers = [c for c in psutil.Process().children(recursive=True)
                   if c.pid in set(cluster_pids.values())]
        if workers and _lines(out / "report.jsonl") < len(paths):
            workers[0].kill()
            killed.append(workers[0].pid)

    with dask_executor(cluster.scheduler_address) as (executor, threads):
        client = executor._client
        cluster_pids = client.run(os.getpid)
        killer = threading.Thread(target=kill_one)
        killer.start()
        result = run_batch("render", [str(tmp_path / "src")], out, workers=executor, chunk=1,
                           in_flight=threads)
        killer.join()
    assert killed, "no worker was killed mid-batch"
    assert (result.processed, result.failed) == (len(paths), 0)
    records = _by_file(out)
    assert set(records) == {str(p) for p in paths}
    assert all(r["status"] == "ok" for r in records.values())


def test_a_file_that_crashes_its_dask_worker_fails_alone(tmp_path: Path, cluster: Any) -> None:
    items, task = _poisoned(tmp_path)
    with dask_executor(cluster.scheduler_address) as (executor, threads):
        results = list(execute(task, items, executor, chunk=4, in_flight=threads))
    _check_poisoned(results, items)  # KilledWorker for its chunk, then alone, then WORKER_DIED


def test_a_decoder_that_used_to_abort_is_one_failed_file(tmp_path: Path) -> None:
    src = tmp_path / "src"
    many_files(src, 3, size=32)
    poison = gdcm_poison(src)
    if poison is None:
        pytest.skip("DCMTK's dcmcjpeg is needed to make the JPEG Lossless file (make test installs dcmtk)")
    assert main(["batch", "render", str(src), "--out", str(tmp_path / "out"), "--workers", "2"]) == 1
    records = _by_file(tmp_path / "out")
    assert len(records) == 4 and records[str(poison)]["status"] == "failed"
    assert all(r["status"] == "ok" for f, r in records.items() if f != str(poison))
