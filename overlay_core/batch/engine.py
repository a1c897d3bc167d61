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

:func:`overlay_core.batch.run.run_batch` adds the report (:mod:`overlay_core.batch.report`).

Examples
--------
>>> sorted(r for _, r, _ in execute(abs, [-2, 1, -3], 1))
[1, 2, 3]
"""

from __future__ import annotations

import contextlib
import importlib
import itertools
import logging
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, BrokenExecutor, Executor, Future, ProcessPoolExecutor, wait
from typing import Any, TypeVar

from overlay_core.batch.tasks import one_line
from overlay_core.errors import InvalidArgumentError

__all__ = ["POOL_BROKEN", "WORKER_DIED", "dask_executor", "execute"]

T = TypeVar("T")
R = TypeVar("R")

#: The error reported for a file whose worker process died while processing it, alone.
WORKER_DIED = "The worker process died while processing this file (killed, out of memory or crashed)."

#: The error reported for the files left when a process pool given by the caller breaks.
POOL_BROKEN = ("Not processed: a worker of the given process pool died while this file was in flight or "
               "waiting, and that pool cannot be restarted.")


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
