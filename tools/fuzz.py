"""Fuzz overlay_core with mutated DICOM files.

No input may raise anything but OverlayError, hang, abort or exhaust memory.

Seeds are the shared corpus (``../shared/corpus``, when present) and the synthetic files of
``tests/builders.py``. Each case is one seed and one mutation, chosen deterministically
from the case number, so any case can be replayed alone (``--case N``):

- ``truncate``: cut at k/50 of the file (k = 1..49);
- ``bitflip``: flip 1-8 bits, mostly in the header;
- ``vr``: change the VR bytes of image and overlay elements in place (same header size);
- ``vm``: store an image or overlay attribute with another VR or number of values
  (a single DS Overlay Origin, Overlay Rows as PN, Bits Allocated as OW, ...);
- ``claim``: claim absurd sizes (Rows, Columns, frames, bits, samples; overlay rows,
  columns, frames) or another transfer syntax than the data has;
- ``deep``: a sequence nested 50 to 5000 levels deep.

Every case goes through load -> image info -> planes -> diagnose -> unpack -> place ->
render -> edit in a History -> write -> read-back check -> undo, the app's session path
(open, cache key, checked download; no UI), and through the CLI
(``info --json`` and ``render``, in-process; every ``--cli-every``-th case also in a real
``python -m overlay_core`` subprocess). Cases run in worker subprocesses with a memory
limit (RLIMIT_AS) and a time limit: a worker that runs over its time is killed and the
case counts as a hang; a worker that dies by a signal counts as an abort.

Usage::

    python tools/fuzz.py --cases 10000 [--workers 2] [--timeout 20] [--memory 3G]
    python tools/fuzz.py --case 1234 [--save case.dcm]   # replay one case in this process
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import select
import signal
import struct
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
sys.path.insert(0, str(ROOT))

KINDS = ("truncate", "bitflip", "vr", "vm", "claim", "deep")
SHORT_VRS = [b"AE", b"AS", b"CS", b"DA", b"DS", b"DT", b"FL", b"FD", b"IS", b"LO", b"LT", b"PN",
             b"SH", b"SL", b"SS", b"ST", b"TM", b"UI", b"UL", b"US", b"AT"]
LONG_VRS = [b"OB", b"OW", b"OF", b"SQ", b"UT", b"UN", b"OL", b"OD", b"UC", b"UR"]
SYNTAXES = ["1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2", "1.2.840.10008.1.2.5",
            "1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51", "1.2.840.10008.1.2.4.57",
            "1.2.840.10008.1.2.4.70", "1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.90",
            "1.2.840.10008.1.2.4.201", "1.2.840.10008.1.2.1.99", "1.2.840.10008.1.2.4.100"]


# --------------------------------------------------------------------------- seeds


def seed_files() -> list[tuple[str, bytes]]:
    """Return the seeds: every corpus file, then the builders' synthetic files."""
    from tests import builders as b

    seeds: list[tuple[str, bytes]] = []
    if CORPUS.is_dir():
        for path in sorted([*CORPUS.glob("*.dcm"), *CORPUS.glob("derived/*.dcm")]):
            seeds.append((f"corpus/{path.relative_to(CORPUS)}", path.read_bytes()))
    built: list[tuple[str, Callable[[], Any]]] = [
        ("two_plane", b.two_plane_file), ("roi", b.roi_file), ("all_groups", b.all_groups_file),
        ("implicit_vr", b.implicit_vr_file), ("rle", b.rle_file),
        ("embedded16", lambda: b.embedded_file(16)), ("embedded8", lambda: b.embedded_file(8)),
        ("embedded_mf", lambda: b.embedded_file(16, frames=3)), ("larger_plane", b.larger_plane_file),
        ("multiframe", b.multiframe_file), ("big_claim", b.big_claim_file),
        ("presentation_state", b.presentation_state_file), ("deep5", lambda: b.deep_sequence_file(5)),
    ]
    for name, make in built:
        made = make()
        seeds.append((f"builders/{name}", made[0] if isinstance(made, tuple) else made))
    return seeds


# --------------------------------------------------------------------------- mutations


class Rng:
    """A tiny deterministic generator (the case number is the seed)."""

    def __init__(self, seed: int) -> None:
        import random

        self._r = random.Random(seed)

    def int(self, low: int, high: int) -> int:
        """Return an integer from ``low`` to ``high``, both included."""
        return self._r.randint(low, high)

    def pick(self, items: list[Any] | tuple[Any, ...]) -> Any:
        """Return one of ``items``."""
        return items[self._r.randrange(len(items))]


def _element_offsets(data: bytes) -> list[tuple[int, bool]]:
    """Offsets of explicit-VR element headers of groups 0028, 60xx and 7FE0 (and whether long)."""
    out = []
    for group in (0x0028, *range(0x6000, 0x6020, 2), 0x7FE0):
        needle = struct.pack("<H", group)
        start = 0
        while (pos := data.find(needle, start)) != -1 and len(out) < 400:
            start = pos + 1
            vr = data[pos + 4:pos + 6]
            if vr in SHORT_VRS:
                out.append((pos, False))
            elif vr in LONG_VRS and data[pos + 6:pos + 8] == b"\x00\x00":
                out.append((pos, True))
    return out


def _truncate(data: bytes, rng: Rng) -> bytes:
    return data[: len(data) * rng.int(1, 49) // 50]


def _bitflip(data: bytes, rng: Rng) -> bytes:
    out = bytearray(data)
    header = min(len(out), 4096)
    for _ in range(rng.int(1, 8)):
        pos = rng.int(0, header - 1) if rng.int(0, 3) else rng.int(0, len(out) - 1)
        out[pos] ^= 1 << rng.int(0, 7)
    return bytes(out)


def _vr(data: bytes, rng: Rng) -> bytes:
    offsets = _element_offsets(data)
    if not offsets:
        return _bitflip(data, rng)
    out = bytearray(data)
    for _ in range(rng.int(1, 3)):
        pos, long = rng.pick(offsets)
        out[pos + 4:pos + 6] = rng.pick(LONG_VRS if long else SHORT_VRS)
    return bytes(out)


def _dataset(data: bytes) -> Any:
    import pydicom

    return pydicom.dcmread(io.BytesIO(data), force=True)


def _write(ds: Any) -> bytes:
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=False)
    return buffer.getvalue()


def _overlay_tags(ds: Any) -> list[int]:
    tags = [int(t) for t in ds.keys() if 0x6000 <= int(t) >> 16 <= 0x601E]
    return tags or [0x60000010]


VM_VALUES: list[tuple[str, Any]] = [
    ("DS", "3"), ("DS", "3\\4\\5"), ("FL", 3.0), ("FD", [1.5, 2.5]), ("PN", "512"), ("PN", "Doe^John"),
    ("OW", b"\x08\x00"), ("OW", b"\x10\x00\x01\x00"), ("OB", b"\x01"), ("IS", "-5"), ("IS", "99999999999"),
    ("US", [1, 2, 3]), ("SS", -32768), ("LO", ""), ("CS", "R\\G"), ("UN", b"\xff" * 6), ("UL", 4294967295),
    ("DS", "nan"), ("DS", "1e309"), ("IS", "  7 "), ("AT", 0x00100010), ("SQ", []),
]


def _vm(data: bytes, rng: Rng) -> bytes:
    ds = _dataset(data)
    tags = [*_overlay_tags(ds), 0x00280010, 0x00280011, 0x00280100, 0x00280101, 0x00280002, 0x00280008]
    for _ in range(rng.int(1, 2)):
        t = rng.pick(tags)
        vr, value = rng.pick(VM_VALUES)
        ds.add_new(t, vr, value)
    return _write(ds)


CLAIMS: dict[str, list[Any]] = {
    "Rows": [0, 1, 20000, 46340, 65535], "Columns": [0, 1, 20000, 46340, 65535],
    "NumberOfFrames": ["0", "-1", "1000", "100000", "2147483647"],
    "BitsAllocated": [0, 1, 8, 12, 16, 32, 64], "BitsStored": [0, 1, 12, 16, 32, 64],
    "HighBit": [0, 15, 31, 63], "SamplesPerPixel": [0, 2, 3, 4, 65535],
    "PixelRepresentation": [1, 2], "PlanarConfiguration": [1, 7],
    "PhotometricInterpretation": ["RGB", "YBR_FULL_422", "PALETTE COLOR", "HSV", ""],
}
PLANE_CLAIMS: dict[int, list[Any]] = {
    0x0010: [0, 1, 65535], 0x0011: [0, 1, 65535], 0x0015: ["0", "1000", "65535", "2147483647"],
    0x0050: [[-32768, -32768], [32767, 32767], [0, 0]], 0x0051: [0, 65535],
    0x0100: [0, 8, 16, 32, 64], 0x0102: [15, 31, 64, 65535],
}


def _claim(data: bytes, rng: Rng) -> bytes:
    ds = _dataset(data)
    for _ in range(rng.int(1, 3)):
        choice = rng.int(0, 9)
        if choice < 5:
            keyword = rng.pick(list(CLAIMS))
            setattr(ds, keyword, rng.pick(CLAIMS[keyword]))
        elif choice < 9:
            group = rng.pick(sorted({t >> 16 for t in _overlay_tags(ds)}))
            element = rng.pick(list(PLANE_CLAIMS))
            vr = {0x0015: "IS", 0x0050: "SS"}.get(element, "US")
            ds.add_new((group << 16) | element, vr, rng.pick(PLANE_CLAIMS[element]))
        elif getattr(ds, "file_meta", None) is not None:
            ds.file_meta.TransferSyntaxUID = rng.pick(SYNTAXES)
    return _write(ds)


def _deep(data: bytes, rng: Rng) -> bytes:
    """Insert (0008,1140) nested ``depth`` levels (undefined lengths) where an empty one was written."""
    from pydicom.sequence import Sequence

    ds = _dataset(data)
    ds.ReferencedImageSequence = Sequence([])
    written = _write(ds)
    depth = rng.pick([50, 120, 121, 300, 1000, 5000])
    explicit = written.find(struct.pack("<HH2sH", 0x0008, 0x1140, b"SQ", 0))
    if explicit != -1:
        head = struct.pack("<HH2sHI", 0x0008, 0x1140, b"SQ", 0, 0xFFFFFFFF)
        old_end = explicit + 12
        start = explicit
    else:
        start = written.find(struct.pack("<HH", 0x0008, 0x1140))
        if start == -1:
            return _bitflip(data, rng)
        head = struct.pack("<HHI", 0x0008, 0x1140, 0xFFFFFFFF)
        old_end = start + 8
    (length,) = struct.unpack("<I", written[old_end - 4:old_end])
    if length == 0xFFFFFFFF:
        old_end += 8  # its sequence delimiter
    item = struct.pack("<HHI", 0xFFFE, 0xE000, 0xFFFFFFFF)
    closing = struct.pack("<HHI", 0xFFFE, 0xE00D, 0) + struct.pack("<HHI", 0xFFFE, 0xE0DD, 0)
    nested = (head + item) * depth + closing * depth
    return written[:start] + nested + written[old_end:]


MUTATORS: dict[str, Callable[[bytes, Rng], bytes]] = {
    "truncate": _truncate, "bitflip": _bitflip, "vr": _vr, "vm": _vm, "claim": _claim, "deep": _deep,
}


def make_case(number: int, seeds: list[tuple[str, bytes]]) -> tuple[str, str, bytes]:
    """Return ``(seed name, mutation, bytes)`` of case ``number``."""
    rng = Rng(number)
    name, data = seeds[number % len(seeds)]
    kind = KINDS[(number // len(seeds)) % len(KINDS)]
    try:
        mutated = MUTATORS[kind](data, rng)
    except Exception:  # the mutation could not be written (pydicom refused): flip bits instead
        mutated = _bitflip(data, rng)
        kind += "->bitflip"
    return name, kind, mutated


# --------------------------------------------------------------------------- the pipeline


def exercise(data: bytes, workdir: Path) -> list[str]:
    """Run ``data`` through every stage; return the stages that raised OverlayError."""
    from overlay_core import diagnose, image_info, image_mask, load, read_planes, unpack_plane
    from overlay_core.cli import main as cli
    from overlay_core.edit.history import History
    from overlay_core.errors import OverlayError
    from overlay_core.planes.compare import check_readback
    from overlay_core.planes.writing import set_plane, to_bytes
    from overlay_core.render.compose import full_view_png, render

    refused: list[str] = []

    def stage(name: str, call: Callable[[], Any]) -> Any:
        try:
            return call()
        except OverlayError:
            refused.append(name)
            return None

    path = workdir / "case.dcm"
    path.write_bytes(data)
    for argv in (["info", "--json", str(path)], ["render", str(path), "--out", str(workdir / "o.png"),
                                                 "--max-size", "256"]):
        with open(os.devnull, "w") as sink:
            saved = sys.stdout, sys.stderr
            sys.stdout = sys.stderr = sink
            try:
                cli.main(argv)
            except SystemExit as exc:
                if exc.code not in (0, 2):
                    raise
            finally:
                sys.stdout, sys.stderr = saved
    ds = stage("load", lambda: load(data))
    if ds is None:
        return refused
    stage("image_info", lambda: image_info(ds))
    planes = read_planes(ds)
    diagnose(ds)
    for plane in planes:
        stage("unpack", lambda g=plane.group: unpack_plane(ds, g))
        stage("image_mask", lambda g=plane.group: image_mask(ds, g))
    stage("render", lambda: render(ds, max_size=256))
    stage("burn_in", lambda: full_view_png(ds))
    history = History()
    if planes:
        group = planes[0].group

        def change() -> None:
            with history.change(ds, "Invert"):
                bits = unpack_plane(ds, group)[1]
                set_plane(ds, group, ~bits)

        stage("edit", change)
    written = stage("write", lambda: to_bytes(ds))
    if written is not None:
        stage("readback", lambda: check_readback(ds, written))
    if history.can_undo:
        history.undo(ds)
        stage("write_after_undo", lambda: to_bytes(ds))
    # The app's own path without its UI: open in a session, the cache key, the checked download.
    from studio.export import checked_bytes
    from studio.state import add_file, content_key

    entry = add_file({}, "case.dcm", data)
    if entry.ok:
        content_key(entry)
        entry.planes(), entry.findings()
        stage("checked_bytes", lambda: checked_bytes(entry))
    return refused


# --------------------------------------------------------------------------- worker


def _limit_memory(limit: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def worker(memory: int) -> None:
    """Read case numbers from stdin, answer one JSON line each on stdout."""
    _limit_memory(memory)
    seeds = seed_files()
    out = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1)
    with tempfile.TemporaryDirectory(prefix="overlay-fuzz-") as tmp:
        for line in sys.stdin:
            number = int(line)
            name, kind, data = make_case(number, seeds)
            started = time.monotonic()
            result: dict[str, Any] = {"case": number, "seed": name, "kind": kind}
            try:
                result["refused"] = exercise(data, Path(tmp))
                result["status"] = "ok"
            except BaseException as exc:  # everything but OverlayError is a failure
                tb = traceback.extract_tb(exc.__traceback__)
                where = next((f"{Path(f.filename).name}:{f.lineno}" for f in reversed(tb)
                              if "overlay_core" in f.filename or "studio" in f.filename), "?")
                result.update(status="error", error=f"{type(exc).__name__}: {str(exc)[:200]}", where=where)
            result["seconds"] = round(time.monotonic() - started, 3)
            out.write(json.dumps(result) + "\n")


# --------------------------------------------------------------------------- parent


@dataclass
class Worker:
    """One worker subprocess and the case it is running."""

    proc: subprocess.Popen[str]
    case: int | None = None
    started: float = 0.0


@dataclass
class Report:
    """What the run found."""

    results: list[dict[str, Any]] = field(default_factory=list)

    def count(self, status: str) -> int:
        """Return how many results have ``status``."""
        return sum(1 for r in self.results if r["status"] == status)


def _spawn(memory: int) -> Worker:
    proc = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--worker", "--memory", str(memory)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, bufsize=1,
        cwd=ROOT,
    )
    return Worker(proc)


def run_cases(cases: list[int], workers: int, timeout: float, memory: int,
              progress: Callable[[Report], None] | None = None) -> Report:
    """Run ``cases`` in ``workers`` subprocesses with the time and memory limits."""
    report = Report()
    pending = list(reversed(cases))
    pool = [_spawn(memory) for _ in range(max(1, min(workers, len(cases))))]

    def feed(w: Worker) -> None:
        if pending and w.proc.stdin:
            w.case = pending.pop()
            w.started = time.monotonic()
            w.proc.stdin.write(f"{w.case}\n")
            w.proc.stdin.flush()
        else:
            w.case = None

    for w in pool:
        feed(w)
    try:
        while any(w.case is not None for w in pool):
            busy = [w for w in pool if w.case is not None]
            ready, _, _ = select.select([w.proc.stdout for w in busy], [], [], 0.5)
            now = time.monotonic()
            for i, w in enumerate(pool):
                if w.case is None:
                    continue
                overdue = now - w.started > timeout  # an answer after the limit is still a hang
                line = w.proc.stdout.readline() if w.proc.stdout in ready and w.proc.stdout else None
                if line and not overdue:
                    report.results.append(json.loads(line))
                    feed(w)
                    continue
                died = w.proc.poll() is not None
                if died or overdue:
                    status = "abort" if died else "hang"
                    if not died:
                        w.proc.kill()
                    w.proc.wait()
                    report.results.append({"case": w.case, "status": status, "returncode": w.proc.returncode,
                                           "seconds": round(now - w.started, 3)})
                    pool[i] = _spawn(memory)
                    feed(pool[i])
            if progress:
                progress(report)
    finally:
        for w in pool:
            if w.proc.poll() is None:
                w.proc.kill()
                w.proc.wait()
    return report


def cli_subprocess_cases(cases: list[int], timeout: float, memory: int) -> list[dict[str, Any]]:
    """Run ``info --json`` on each case in a real ``python -m overlay_core`` subprocess."""
    seeds = seed_files()
    out = []
    with tempfile.TemporaryDirectory(prefix="overlay-fuzz-cli-") as tmp:
        for number in cases:
            name, kind, data = make_case(number, seeds)
            path = Path(tmp) / f"{number}.dcm"
            path.write_bytes(data)
            started = time.monotonic()
            try:
                done = subprocess.run(
                    [sys.executable, "-m", "overlay_core", "info", "--json", str(path)], cwd=ROOT,
                    capture_output=True, text=True, timeout=timeout,
                    preexec_fn=lambda: _limit_memory(memory),
                )
            except subprocess.TimeoutExpired:
                out.append({"case": number, "seed": name, "kind": kind, "status": "hang", "via": "cli"})
                continue
            finally:
                path.unlink(missing_ok=True)
            rc = done.returncode
            status = ("ok" if rc == 0 or (rc == 2 and done.stderr.count("\n") == 1
                                          and "Traceback" not in done.stderr)
                      else "abort" if rc < 0 else "error")
            out.append({"case": number, "seed": name, "kind": kind, "status": status, "via": "cli",
                        "returncode": rc, "error": done.stderr[-300:] if status != "ok" else "",
                        "seconds": round(time.monotonic() - started, 3)})
    return out


def summarise(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Count statuses, mutation kinds and distinct failures."""
    statuses = Counter(r["status"] for r in results)
    failures = [r for r in results if r["status"] != "ok"]
    distinct = Counter(f"{r['status']} {r.get('error', '').split(':')[0]} at {r.get('where', '?')}"
                       for r in failures)
    return {
        "cases": len(results),
        "statuses": dict(statuses),
        "kinds": dict(Counter(r.get("kind", "?").split("->")[0] for r in results)),
        "slowest_seconds": max((r.get("seconds", 0) for r in results), default=0),
        "distinct_failures": dict(distinct),
        "failing_cases": [r["case"] for r in failures][:50],
    }


def parse_size(text: str) -> int:
    """Return bytes from ``"3G"``, ``"512M"`` or a plain number."""
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    text = text.strip().upper()
    return int(text[:-1]) * units[text[-1]] if text[-1:] in units else int(text)


def main(argv: list[str] | None = None) -> int:
    """Run the fuzzer; exit 0 only when every case was ok."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000, help="number of in-process cases")
    parser.add_argument("--start", type=int, default=0, help="first case number")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=20.0, help="seconds per case before it is a hang")
    parser.add_argument("--memory", type=parse_size, default=parse_size("3G"), help="RLIMIT_AS per worker")
    parser.add_argument("--cli-every", type=int, default=20,
                        help="also run every N-th case through a real CLI subprocess (0: never)")
    parser.add_argument("--json", type=Path, help="write the full results here")
    parser.add_argument("--case", type=int, help="replay one case in this process and print its traceback")
    parser.add_argument("--save", type=Path, help="with --case: write the mutated file here")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.memory)
        return 0
    if args.case is not None:
        name, kind, data = make_case(args.case, seed_files())
        print(f"case {args.case}: {kind} of {name}, {len(data)} bytes")
        if args.save:
            args.save.write_bytes(data)
        with tempfile.TemporaryDirectory() as tmp:
            print("refused at:", exercise(data, Path(tmp)))
        return 0
    cases = list(range(args.start, args.start + args.cases))
    started = time.monotonic()
    last = [0.0]

    def progress(report: Report) -> None:
        if time.monotonic() - last[0] > 30:
            last[0] = time.monotonic()
            bad = len(report.results) - report.count("ok")
            done = len(report.results)
            print(f"  {done}/{len(cases)} cases, {bad} not ok so far", file=sys.stderr, flush=True)

    report = run_cases(cases, args.workers, args.timeout, args.memory, progress)
    cli_cases = cases[:: args.cli_every] if args.cli_every else []
    results = report.results + cli_subprocess_cases(cli_cases, args.timeout, args.memory)
    summary = summarise(results)
    summary["in_process_cases"] = len(report.results)
    summary["cli_subprocess_cases"] = len(cli_cases)
    summary["elapsed_seconds"] = round(time.monotonic() - started, 1)
    print(json.dumps(summary, indent=2))
    if args.json:
        args.json.write_text(json.dumps({"summary": summary, "results": results}, indent=1))
    return 0 if summary["statuses"].get("ok", 0) == len(results) else 1


if __name__ == "__main__":
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    sys.exit(main())
