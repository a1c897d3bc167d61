"""``batch``: one task over folders, zips and PACS sources, on worker processes or Dask."""

from __future__ import annotations

import argparse
import sys

from overlay_core.cli.common import PROG, Command
from overlay_core.errors import InvalidArgumentError

__all__ = ["BATCH_TASKS", "COMMANDS"]


#: The batch tasks (:data:`overlay_core.batch.tasks.TASKS`, named here so that parsing imports nothing).
BATCH_TASKS = ("audit", "migrate", "strip", "render", "masks", "seg", "rtstruct", "nifti", "deid")
#: The tasks that write the DICOM file itself (``--new-uid`` applies to them).
NEW_UID_TASKS = ("migrate", "strip", "deid")


def _configure_batch(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("task", choices=BATCH_TASKS, metavar="TASK",
                        help=f"what to do to each file: {', '.join(BATCH_TASKS)}")
    parser.add_argument("sources", nargs="+", metavar="SOURCE",
                        help="folders (recursive), .zip files or files")
    parser.add_argument("--out", required=True, metavar="DIR",
                        help="the output folder: report.jsonl, summary.csv, outputs mirroring the sources")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="run on a Dask cluster: a scheduler address (tcp://host:8786), or local "
                             "to start a LocalCluster of --workers processes")
    parser.add_argument("--workers", type=int, metavar="N",
                        help="local worker processes (default: the number of CPUs)")
    parser.add_argument("--resume", action="store_true",
                        help="skip the files the report in DIR has as done, and append to it")
    parser.add_argument("--include", action="append", default=[], metavar="GLOB",
                        help="only files whose name or path inside the source matches (repeatable), "
                             "e.g. '*.dcm'")
    parser.add_argument("--exclude", action="append", default=[], metavar="GLOB",
                        help="leave out files whose name or path inside the source matches (repeatable)")
    parser.add_argument("--max-size", type=int, metavar="N",
                        help="render: the longest side of each PNG (default: full resolution)")
    parser.add_argument("--profile", choices=("remove", "clean-graphics"), default="remove",
                        help="deid: remove every overlay (default) or erase the text in them")
    parser.add_argument("--decompress", action="store_true",
                        help="deid: decode compressed Pixel Data holding embedded overlays "
                             "and write it uncompressed")
    parser.add_argument("--new-uid", action="store_true",
                        help="migrate, strip, deid: give each file they change a new SOP Instance UID "
                             "(needed for files without one; a file copied unchanged keeps its bytes)")


#: Files per Dask task: amortises the scheduler's few milliseconds per task.
DASK_CHUNK = 8


def _run_batch(args: argparse.Namespace) -> int:
    import time

    from overlay_core.batch.engine import dask_executor
    from overlay_core.batch.run import run_batch
    from overlay_core.batch.tasks import Options, worker_modules

    if args.workers is not None and args.workers < 1:
        raise InvalidArgumentError(f"--workers must be at least 1, not {args.workers}.")
    if args.scheduler and args.scheduler != "local" and args.workers is not None:
        raise InvalidArgumentError(
            "--workers applies to the local pool or --scheduler local, not to a cluster."
        )
    if args.max_size is not None and args.max_size < 1:
        raise InvalidArgumentError(f"--max-size must be at least 1 pixel, not {args.max_size}.")
    if args.new_uid and args.task not in NEW_UID_TASKS:
        raise InvalidArgumentError(
            f"--new-uid applies to {', '.join(NEW_UID_TASKS)}, which write DICOM files; not to {args.task}."
        )
    options = Options(max_size=args.max_size, profile=args.profile, decompress=args.decompress,
                      new_uid=args.new_uid)
    start = time.perf_counter()
    try:
        if args.scheduler:
            modules = worker_modules(args.task)
            with dask_executor(args.scheduler, args.workers, modules) as (executor, threads):
                result = run_batch(args.task, args.sources, args.out, workers=executor, resume=args.resume,
                                   options=options, chunk=DASK_CHUNK, in_flight=2 * threads,
                                   include=args.include, exclude=args.exclude)
        else:
            result = run_batch(args.task, args.sources, args.out, workers=args.workers, resume=args.resume,
                               options=options, include=args.include, exclude=args.exclude)
    except KeyboardInterrupt:
        print(f"{PROG} batch: interrupted; the report so far is in {args.out}; add --resume to continue.",
              file=sys.stderr)
        return 130
    skipped = f", {result.skipped} skipped as done before" if result.skipped else ""
    not_dicom = f", {result.not_dicom} skipped as not DICOM" if result.not_dicom else ""
    ok = result.processed - result.failed - result.not_dicom
    print(f"{args.task}: {result.processed} file(s) in {time.perf_counter() - start:.1f} s, "
          f"{ok} ok, {result.failed} failed{not_dicom}{skipped}; "
          f"report {result.report}, summary {result.summary}.")
    if result.failed:
        print(f"{PROG} batch: {result.failed} of {result.processed} file(s) failed; see {result.report}.",
              file=sys.stderr)
        return 1
    return 0


COMMANDS: dict[str, Command] = {
    "batch": Command("run a task (audit, migrate, strip, render, masks, seg, rtstruct, nifti, deid) over "
                     "folders and .zip files on worker processes or a Dask cluster",
                     _configure_batch, _run_batch),
}
