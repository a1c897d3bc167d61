"""A batch's report: one JSON line per file, ``--resume`` from it, ``summary.csv``, and progress.

``DIR/report.jsonl`` is written by the batch's own process only, flushed line by line, so
an interrupted batch leaves every finished file in it (a last line cut short is skipped
when it is read again). ``DIR/summary.csv`` counts it by status, diagnostic, plane kind and
error message.
"""

from __future__ import annotations

import csv
import json
import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from overlay_core.errors import InvalidArgumentError

__all__ = ["MAX_ERROR_ROWS", "REPORT", "SUMMARY", "Progress", "done_files", "write_summary"]

#: Distinct error messages listed in summary.csv before the rest are counted together.
MAX_ERROR_ROWS = 100

REPORT = "report.jsonl"
SUMMARY = "summary.csv"


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


class Progress:
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

        >>> Progress._clock(75), Progress._clock(3725)
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
        """Count one file done; redraw at most five times a second."""
        self.done += 1
        now = time.monotonic()
        if self.stream is not None and (now - self.shown >= 0.2 or self.done == self.total):
            self._draw(now)

    def close(self) -> None:
        """Draw the last line and end it."""
        if self.counter is not None:
            self.counter.join(timeout=1)
        if self.stream is not None:
            self._draw(time.monotonic())
            self.stream.write("\n")
            self.stream.flush()
            self.stream = None
