"""A whole batch: the files of the sources, through a task on workers, into the report.

:func:`run_batch` checks the sources and the output folder, walks the sources lazily,
skips what a resumed report has as done, runs the task on the engine
(:func:`overlay_core.batch.engine.execute`) and writes each record as it arrives
(:mod:`overlay_core.batch.report`).
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import IO

from overlay_core.batch.engine import WORKER_DIED, execute
from overlay_core.batch.report import REPORT, SUMMARY, Progress, done_files, write_summary
from overlay_core.batch.sources import Item, check_sources, selected, walk
from overlay_core.batch.tasks import TASKS, Options, failure_record, run_task, worker_modules
from overlay_core.errors import InvalidArgumentError

__all__ = ["BatchResult", "run_batch"]


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
    bar = Progress(sys.stderr if show else None, count)
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
