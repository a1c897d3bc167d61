r"""Run one task over many files, on a local process pool or a Dask cluster.

The engine is chosen at the edge, as highdicom's ``workers: int | Executor`` does:
:func:`execute` maps a plain, picklable function over items on either an ``int``
(a :class:`~concurrent.futures.ProcessPoolExecutor` of that many processes, owned here)
or any :class:`~concurrent.futures.Executor` — ``dask.distributed.Client.get_executor()``
is one, and :func:`dask_executor` makes it for ``--scheduler local`` or ``tcp://…``.
There is no scheduler, queue or worker protocol of our own: only a bounded window of
submitted futures, so memory stays bounded however many files there are.

A worker that dies (killed, out of memory, a decoder that aborts the process) never
stops a batch. The files that were in flight are run again, one at a time, on a fresh
pool (Dask reschedules them itself, and reports ``KilledWorker`` for a file that keeps
killing workers); a file that kills its worker when alone is reported as failed.

:func:`run_batch` adds the report: one JSON line per file in ``DIR/report.jsonl``
(written by this process only, flushed line by line), ``--resume`` from it, a
``DIR/summary.csv``, and a progress bar on a terminal.

Examples
--------
>>> sorted(r for _, r, _ in execute(abs, [-2, 1, -3], 1))
[1, 2, 3]
"""

from __future__ import annotations

import contextlib
import csv
import importlib
import itertools
import json
import logging
import multiprocessing
import os
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, BrokenExecutor, Executor, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import IO, Any, TypeVar

from overlay_core.batch.sources import Item, check_sources, selected, walk
from overlay_core.batch.tasks import TASKS, Options, failure_record, one_line, run_task, worker_modules
from overlay_core.errors import InvalidArgumentError

__all__ = [
    "POOL_BROKEN",
    "WORKER_DIED",
    "BatchResult",
    "dask_executor",
    "done_files",
    "execute",
    "run_batch",
    "write_summary",
]

T = TypeVar("T")
R = TypeVar("R")

#: The error reported for a file whose worker process died while processing it, alone.
WORKER_DIED = "The worker process died while processing this file (killed, out of memory or crashed)."

#: The error reported for the files left when a process pool given by the caller breaks.
POOL_BROKEN = ("Not processed: a worker of the given process pool died while this file was in flight or "
               "waiting, and that pool cannot be restarted.")

#: Distinct error messages listed in summary.csv before the rest are counted together.
MAX_ERROR_ROWS = 100

REPORT = "report.jsonl"
SUMMARY = "summary.csv"


# --------------------------------------------------------------------------- the engine


def _each(fn: Callable[[T], R], items: list[T]) -> list[tuple[R | None, str | None]]:
    """Apply ``fn`` to a chunk of items in one worker call: ``(result, None)`` or ``(None, error)`` each.

    Module-level, so that it pickles; one item that raises does not take its chunk with it.
    """
    out: list[tuple[R | None, str | None]] = []
    for item in items:
        try:
            out.append((fn(item), None))
        except Exception as exc:  # reported as the item's one-line error
            out.append((None, one_line(exc)))
    return out


def _worker_lost(exc: BaseException) -> bool:
    """Whether a future failed because its worker died, not because the function raised."""
    return isinstance(exc, BrokenExecutor) or type(exc).__name__ == "KilledWorker"


def _pool(workers: int, preload: Sequence[str]) -> ProcessPoolExecutor:
    # forkserver: workers start from a clean server process that has imported `preload`
    # once, so a fresh pool after a crash starts in milliseconds and never inherits
    # this process's threads (the progress bar's) the way fork would.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(preload))
    return ProcessPoolExecutor(max_workers=workers, mp_context=context)


def execute(
    fn: Callable[[T], R],
    items: Iterable[T],
    workers: int | Executor,
    *,
    chunk: int = 1,
    in_flight: int | None = None,
    preload: Sequence[str] = (),
) -> Generator[tuple[T, R | None, str | None], None, None]:
    """Apply ``fn`` to every item on worker processes; yield ``(item, result, error)`` as each ends.

    Parameters
    ----------
    fn : callable
        A picklable function of one item (a module-level function or a ``partial`` of one).
    items : iterable
        Consumed lazily: at most ``in_flight`` chunks are submitted at any time.
    workers : int or concurrent.futures.Executor
        A number of local processes (a pool owned and re-created here when a worker
        dies), or an executor such as ``dask.distributed.Client.get_executor()``.
    chunk : int
        Items per submitted call; more than 1 amortises a distributed scheduler's
        per-task cost.
    in_flight : int, optional
        Chunks submitted but not finished (default: twice the number of processes, or 8).
    preload : sequence of str
        Modules the pool's processes import once before any work (own pool only).

    Yields
    ------
    tuple
        ``(item, result, None)``, or ``(item, None, error)`` with a one-line error when
        ``fn`` raised or the item's worker died. Every item is yielded exactly once.
    """
    if isinstance(workers, int) and workers < 1:
        raise InvalidArgumentError(f"The number of workers must be at least 1, not {workers}.")
    if chunk < 1:
        raise InvalidArgumentError(f"The chunk size must be at least 1, not {chunk}.")
    own = isinstance(workers, int)
    count = workers if isinstance(workers, int) else 4
    window = in_flight or 2 * count
    executor: Executor = _pool(workers, preload) if isinstance(workers, int) else workers
    source = iter(items)
    pending: dict[Future[list[tuple[R | None, str | None]]], list[T]] = {}
    suspects: deque[T] = deque()  # in flight when a worker died: re-run alone, one by one
    alone = False  # the one pending chunk is a suspect running alone
    exhausted = False
    try:
        while True:
            if suspects:
                if not pending:
                    suspect = [suspects.popleft()]
                    pending[executor.submit(_each, fn, suspect)] = suspect
                    alone = True
            else:
                alone = False
                while not exhausted and len(pending) < window:
                    batch = [item for _, item in zip(range(chunk), source, strict=False)]
                    if not batch:
                        exhausted = True
                        break
                    pending[executor.submit(_each, fn, batch)] = batch
            if not pending:
                return
            done, _ = wait(list(pending), return_when=FIRST_COMPLETED)
            lost: list[T] = []
            broken = False
            for future in done:
                batch = pending.pop(future)
                exc = future.exception()
                if exc is None:
                    yield from ((i, r, e) for i, (r, e) in zip(batch, future.result(), strict=True))
                elif _worker_lost(exc):
                    lost.extend(batch)
                    broken = broken or isinstance(exc, BrokenExecutor)
                else:
                    yield from ((item, None, one_line(exc)) for item in batch)
            if broken:
                # Every other future of a broken pool fails too: collect them, keep results.
                rest, _ = wait(list(pending))
                for future in rest:
                    batch = pending.pop(future)
                    exc = future.exception()
                    if exc is None:
                        yield from ((i, r, e) for i, (r, e) in zip(batch, future.result(), strict=True))
                    else:
                        lost.extend(batch)
                executor.shutdown(wait=False, cancel_futures=True)
                if not own:  # a pool we were given cannot be restarted: report every file left
                    yield from ((item, None, POOL_BROKEN) for item in itertools.chain(lost, suspects, source))
                    return
                executor = _pool(count, preload)
            if lost:
                if alone and len(lost) == 1:
                    yield lost[0], None, WORKER_DIED
                else:
                    suspects.extend(lost)
    finally:
        if own:
            executor.shutdown(wait=True, cancel_futures=True)
        else:
            for future in pending:
                future.cancel()


@contextlib.contextmanager
def dask_executor(
    scheduler: str, workers: int | None = None, preload: Sequence[str] = ()
) -> Iterator[tuple[Executor, int]]:
    """Connect to a Dask cluster and yield ``(executor, number of worker threads)``.

    Parameters
    ----------
    scheduler : str
        ``"local"`` starts a :class:`distributed.LocalCluster` of ``workers`` processes
        with one thread each (closed afterwards); anything else is a scheduler address,
        such as ``tcp://10.0.0.5:8786``.
    workers : int, optional
        ``local`` only: the number of worker processes (default: the number of CPUs).
    preload : sequence of str
        ``local`` only: modules the workers import once, before they start. The workers
        are forked from a forkserver that has imported Dask and these, instead of each
        spawning a fresh interpreter that imports them all again.

    Raises
    ------
    InvalidArgumentError
        If the scheduler cannot be reached, or ``distributed`` is not installed.
    """
    try:
        distributed: Any = importlib.import_module("distributed")  # untyped; imported only here
    except ImportError:
        raise InvalidArgumentError(
            "--scheduler needs Dask: pip install 'dask[distributed]' (see requirements.txt)."
        ) from None
    cluster = None
    try:
        if scheduler == "local":
            dask: Any = importlib.import_module("dask")
            with dask.config.set({"distributed.worker.multiprocessing-method": "forkserver"}):
                context = importlib.import_module("distributed.utils").get_mp_context()
                # Dask sets its own preload list on first use; ours adds the task's modules.
                context.set_forkserver_preload(["distributed", "numpy", "pydicom", *preload])
                cluster = distributed.LocalCluster(
                    n_workers=workers or os.cpu_count() or 1, threads_per_worker=1, processes=True,
                    dashboard_address="127.0.0.1:0",  # the scheduler's HTTP server: a free local port
                    silence_logs=logging.CRITICAL,  # a lost worker is in the report, not on stderr
                )
            client = distributed.Client(cluster)
        else:
            client = distributed.Client(scheduler, timeout="10s")
    except (OSError, TimeoutError, ValueError) as exc:
        if cluster is not None:
            cluster.close()
        raise InvalidArgumentError(
            f"Could not reach the Dask scheduler at {scheduler} ({one_line(exc)})."
        ) from None
    try:
        threads = sum(client.nthreads().values()) or 1
        yield client.get_executor(pure=False), threads
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


# --------------------------------------------------------------------------- the report


def _records(report: Path) -> Iterator[dict[str, Any]]:
    """Yield the report's records; a line cut short by an interruption is skipped."""
    with report.open("r", encoding="utf-8") as fh:
        for line in fh:
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict) and isinstance(record.get("file"), str):
                yield record


def done_files(report: Path, task: str) -> set[str]:
    """Return the files a previous run of ``task`` finished successfully, from its report.

    Raises
    ------
    InvalidArgumentError
        If the report belongs to another task.
    """
    done: set[str] = set()
    if not report.exists():
        return done
    for record in _records(report):
        if record.get("task") != task:
            raise InvalidArgumentError(
                f"{report} is the report of a batch {record.get('task')}, not {task}; choose another --out."
            )
        if record.get("status") == "ok":
            done.add(record["file"])
        else:
            done.discard(record["file"])
    return done


def _plane_kind(plane: dict[str, Any]) -> str:
    kind = f"{'embedded' if plane.get('embedded') else 'standalone'} {plane.get('type', 'G')}"
    return kind + (" multi-frame" if (plane.get("frames") or 1) > 1 else "")


def write_summary(report: Path, summary: Path) -> dict[str, int]:
    """Write ``summary.csv`` from the report; return the status counts.

    Columns ``category, name, files, count``: ``status`` rows (``ok``, ``failed``, ``skipped``);
    ``diagnostic`` rows per code (files with it, findings); ``plane`` rows per kind
    (``standalone G``, ``embedded G``, ``standalone R multi-frame``…; files, planes);
    ``error`` rows per error message (the first :data:`MAX_ERROR_ROWS` distinct ones; the
    rest count as ``(other errors)``). When a file appears more than once (a resumed
    batch), its last record counts.
    """
    last: dict[str, int] = {}
    if report.exists():
        for index, record in enumerate(_records(report)):
            last[record["file"]] = index
    rows: dict[tuple[str, str], list[int]] = {}
    errors = 0  # distinct error rows so far

    def add(category: str, name: str, count: int) -> None:
        cell = rows.setdefault((category, name), [0, 0])
        cell[0] += 1
        cell[1] += count

    if report.exists():
        for index, record in enumerate(_records(report)):
            if last.get(record["file"]) != index:
                continue
            add("status", str(record.get("status")), 1)
            if record.get("error"):
                message = str(record["error"])
                if ("error", message) not in rows and errors >= MAX_ERROR_ROWS:
                    message = "(other errors)"
                errors += ("error", message) not in rows
                add("error", message, 1)
            for code, n in Counter(str(f.get("code")) for f in record.get("diagnostics") or []).items():
                add("diagnostic", code, n)
            for kind, n in Counter(_plane_kind(p) for p in record.get("overlays") or []).items():
                add("plane", kind, n)
    order = {"status": 0, "diagnostic": 1, "plane": 2, "error": 3}
    partial_name = summary.with_name(summary.name + ".part")
    with partial_name.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["category", "name", "files", "count"])
        for (category, name), (files, count) in sorted(rows.items(), key=lambda kv: (order[kv[0][0]], kv[0])):
            out.writerow([category, name, files, count])
    os.replace(partial_name, summary)
    return {name: files for (category, name), (files, _) in rows.items() if category == "status"}


# --------------------------------------------------------------------------- progress


class _Progress:
    """One line on a terminal: files done (of the total once counted), rate and ETA.

    The total is counted by a background walk over the sources (names only), so the line
    starts at once and gains its total and ETA when the count is known. (Not tqdm:
    pydicom imports tqdm at start-up whenever it is installed, which every command would pay.)
    """

    def __init__(self, stream: IO[str] | None, count: Callable[[], int] | None) -> None:
        self.stream = stream
        self.done = 0
        self.total: int | None = None
        self.start = self.shown = time.monotonic()
        self.counter: threading.Thread | None = None
        if stream is not None and count is not None:
            self.counter = threading.Thread(target=self._count, args=(count,), daemon=True)
            self.counter.start()

    def _count(self, count: Callable[[], int]) -> None:
        self.total = count()

    @staticmethod
    def _clock(seconds: float) -> str:
        """Format seconds as ``m:ss`` or ``h:mm:ss``.

        >>> _Progress._clock(75), _Progress._clock(3725)
        ('1:15', '1:02:05')
        """
        minutes, secs = divmod(int(seconds + 0.5), 60)
        hours, minutes = divmod(minutes, 60)
        return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"

    def _draw(self, now: float) -> None:
        assert self.stream is not None
        elapsed = max(now - self.start, 1e-9)
        rate = self.done / elapsed
        text = f"{self.done}/{self.total}" if self.total is not None else f"{self.done}"
        text += f" files  {rate:.1f} files/s  {self._clock(elapsed)}"
        if self.total is not None and rate > 0:
            text += f"  ETA {self._clock(max(self.total - self.done, 0) / rate)}"
        self.stream.write(f"\r{text}\x1b[K")
        self.stream.flush()
        self.shown = now

    def update(self) -> None:
        self.done += 1
        now = time.monotonic()
        if self.stream is not None and (now - self.shown >= 0.2 or self.done == self.total):
            self._draw(now)

    def close(self) -> None:
        if self.counter is not None:
            self.counter.join(timeout=1)
        if self.stream is not None:
            self._draw(time.monotonic())
            self.stream.write("\n")
            self.stream.flush()
            self.stream = None


# --------------------------------------------------------------------------- a batch


@dataclass(frozen=True)
class BatchResult:
    """What a batch did: files processed now, ``failed``, ``not_dicom`` and ``skipped`` as done before.

    ``not_dicom`` of the processed files were skipped as not DICOM (neither ok nor failed).
    """

    processed: int
    failed: int
    skipped: int
    seconds: float
    report: Path
    summary: Path
    not_dicom: int = 0


def run_batch(
    task: str,
    sources: Sequence[str],
    out: str | os.PathLike[str],
    *,
    workers: int | Executor | None = None,
    resume: bool = False,
    options: Options | None = None,
    progress: bool | None = None,
    chunk: int = 1,
    in_flight: int | None = None,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
) -> BatchResult:
    """Run ``task`` over every file of ``sources``; write the report, summary and outputs to ``out``.

    Parameters
    ----------
    task : str
        ``audit``, ``migrate``, ``strip``, ``render``, ``masks`` or ``seg``
        (see :mod:`overlay_core.batch.tasks`).
    sources : sequence of str
        Folders, ``.zip`` files or files (see :func:`overlay_core.batch.sources.walk`).
    out : path
        The output folder, created if needed; outputs mirror the sources' trees.
    workers : int or Executor, optional
        Local processes (default: the number of CPUs) or an executor (e.g. Dask's).
    resume : bool
        Skip the files the report in ``out`` already has as done, and append to it.
        Without it, an existing report is an error (nothing is overwritten).
    options : Options, optional
        Task settings.
    progress : bool, optional
        Show a progress bar on stderr; default: when stderr is a terminal.
    chunk, in_flight : int
        Passed to :func:`execute`.
    include, exclude : sequence of str
        Glob patterns on each file's name or path inside its source
        (:func:`overlay_core.batch.sources.selected`); files left out are not in the report.

    Raises
    ------
    InvalidArgumentError
        For an unknown task, bad sources, an existing report without ``resume``, or a
        report of another task. Files that fail do not raise: they are in the report.
    """
    if task not in TASKS:
        raise InvalidArgumentError(f'The task must be one of {", ".join(TASKS)}, not "{task}".')
    check_sources(sources, str(out))
    folder = Path(out).resolve()
    if folder.exists() and not folder.is_dir():
        raise InvalidArgumentError(f"The output {out} is a file; give a folder.")
    report, summary = folder / REPORT, folder / SUMMARY
    if report.exists() and not resume:
        raise InvalidArgumentError(
            f"{report} already exists; add --resume to continue that batch, or choose another --out."
        )
    done = done_files(report, task) if resume else set()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        reason = exc.strerror or exc
        raise InvalidArgumentError(f"The output folder {out} could not be created ({reason}).") from None

    skipped = 0

    def todo() -> Iterator[Item]:
        nonlocal skipped
        for item in walk(sources, exclude=str(folder)):
            if not selected(item, include, exclude):
                continue
            if item.key in done:
                skipped += 1
            else:
                yield item

    def count() -> int:
        return sum(1 for item in walk(sources, exclude=str(folder))
                   if item.key not in done and selected(item, include, exclude))

    fn = partial(run_task, task, str(folder), options or Options())
    preload = worker_modules(task)
    show = sys.stderr.isatty() if progress is None else progress
    bar = _Progress(sys.stderr if show else None, count)
    processed = failed = not_dicom = 0
    start = time.perf_counter()
    fh: IO[str]
    with report.open("a", encoding="utf-8") as fh:
        if report.stat().st_size:
            with report.open("rb") as check:
                check.seek(-1, os.SEEK_END)
                if check.read(1) != b"\n":  # a line cut short by an interruption
                    fh.write("\n")
        engine = workers if workers is not None else (os.cpu_count() or 1)
        results = execute(fn, todo(), engine, chunk=chunk, in_flight=in_flight, preload=preload)
        try:
            for item, record, error in results:
                if record is None:
                    record = failure_record(task, item, error or WORKER_DIED)
                fh.write(json.dumps(record) + "\n")
                fh.flush()
                processed += 1
                failed += record["status"] == "failed"
                not_dicom += record["status"] == "skipped"
                bar.update()
        finally:
            results.close()  # shuts the pool down at once on an interruption
            bar.close()
            fh.flush()
            write_summary(report, summary)
    return BatchResult(processed, failed, skipped, time.perf_counter() - start, report, summary, not_dicom)
