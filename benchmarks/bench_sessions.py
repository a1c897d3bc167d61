"""Ten browser sessions at once, and what one opened file costs the server (issue 10).

Run by ``make bench`` (``python benchmarks/bench_sessions.py``); it prints two tables and is
not a test (``tests/e2e/test_sessions.py`` checks isolation and memory coming back).

* **sessions**: each flow uploads its own file, opens Inspect and Export and downloads the
  checked file (the flow of ``tests/e2e/test_sessions.py``). *Alone* is the median of three
  flows one after another; *ten at once* starts ten flows together. *warm* browsers are
  tabs of one profile whose cache holds the app's static files (returning users); *cold*
  gives every session a fresh profile. CPU is counted for the server process and for the
  whole machine, whose other part is the ten headless Chromiums and Playwright: on this
  2-core machine they, not the server, bound how fast ten flows can finish.
* **memory**: server RSS with one 64 MiB file (2048 x 2048 x 8 frames, 16-bit) after each
  step, as a multiple of the file's size above the warm idle server (a first session has
  visited every page with a small file, so one-time costs such as highdicom's tables are
  not counted), and the peak sampled every 20 ms.

Timings are wall-clock on whatever else the machine is doing: compare rows of one run.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests import builders as b  # noqa: E402
from tests.e2e.browser import CHROMIUM_ARGS, chromium_path, server_rss, streamlit_server  # noqa: E402
from tests.e2e.test_sessions import run_flows, session_file  # noqa: E402

MB = 1 << 20
TICK = os.sysconf("SC_CLK_TCK")  # /proc counts CPU time in these


def _cpu(pid: int) -> float:
    """User + system seconds of one process (from /proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime


def _machine_cpu() -> float:
    user, nice, system = (int(v) for v in Path("/proc/stat").read_text().split()[1:4])
    return (user + nice + system) / TICK


def sessions(tmp: Path, count: int) -> list[tuple[str, str]]:
    paths = [session_file(tmp, n)[0] for n in range(count)]
    rows = []
    with streamlit_server() as (url, process):
        run_flows(url, paths[:1], tmp)  # the server's first session warms it up
        for cold in (False, True):
            alone = [run_flows(url, [path], tmp, cold=cold)[0][0] for path in paths[:3]]
            cpu, machine = _cpu(process.pid), _machine_cpu()
            times = sorted(t for t, _ in run_flows(url, paths, tmp, cold=cold))
            server, total = _cpu(process.pid) - cpu, _machine_cpu() - machine
            single = statistics.median(alone)
            rows.append((
                f"{'cold' if cold else 'warm'} browsers",
                f"alone {single:.1f} s; "
                f"{count} at once {times[0]:.1f} / {statistics.median(times):.1f} / {times[-1]:.1f} s "
                f"(min / median / max: {times[-1] / single:.1f}x alone at most); server CPU "
                f"{server / count:.2f} s per flow, machine CPU {total:.0f} s "
                f"({100 * server / total:.0f} % of it the server)",
            ))
    return rows


@contextmanager
def _peaks(pid: int) -> Iterator[list[int]]:
    peak = [server_rss(pid)]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], server_rss(pid))
            time.sleep(0.02)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield peak
    finally:
        done.set()
        thread.join()


def memory(tmp: Path) -> list[tuple[str, str]]:
    from playwright.sync_api import sync_playwright

    from tests.e2e.editor import goto, upload, wait_idle

    ds = b.image_dataset(2048, 2048, frames=8, seed=3)
    b.add_plane(ds, 0x6000, np.eye(2048, dtype=bool))
    big = tmp / "big.dcm"
    big.write_bytes(b.to_file_bytes(ds))
    small = tmp / "small.dcm"
    ds = b.image_dataset(256, 256, frames=2, seed=4)
    b.add_plane(ds, 0x6000, np.eye(256, dtype=bool))
    small.write_bytes(b.to_file_bytes(ds))
    size = big.stat().st_size
    rows = []
    with streamlit_server("--server.disconnectedSessionTTL", "8") as (url, process), \
            sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)

        warm = browser.new_context(viewport={"width": 1500, "height": 1100})
        page = warm.new_page()
        page.set_default_timeout(120_000)
        page.goto(url)
        wait_idle(page)
        upload(page, small)
        for name in ("Inspect", "Edit", "Export"):
            goto(page, name)
        page.get_by_role("button", name=re.compile("Make the SEG")).click()
        wait_idle(page)
        warm.close()
        context = browser.new_context(viewport={"width": 1500, "height": 1100})
        page = context.new_page()
        page.set_default_timeout(120_000)
        page.goto(url)
        wait_idle(page)
        time.sleep(1)
        idle = server_rss(process.pid)

        def row(step: str, peak: list[int]) -> None:
            now = server_rss(process.pid)
            rows.append((step, f"{(now - idle) / size:.2f}x held, {(peak[0] - idle) / size:.2f}x peak"))

        with _peaks(process.pid) as peak:
            upload(page, big)
            time.sleep(1)  # the page's images and downloads are fetched after the run
        row("open", peak)
        for name in ("Inspect", "Edit", "Export"):
            with _peaks(process.pid) as peak:
                goto(page, name)
                time.sleep(1)
            row(name, peak)
        with _peaks(process.pid) as peak:
            page.get_by_role("button", name=re.compile("Make the SEG")).click()
            page.get_by_text("Burned-in Secondary Capture (").first.wait_for()
            wait_idle(page)
            time.sleep(1)
        row("Export with SEG, presentation state, burned-in image", peak)
        context.close()
        time.sleep(8 + 3)
        rows.append(("11 s after the tab closed", f"{(server_rss(process.pid) - idle) / size:.2f}x held"))
        browser.close()
    rows.insert(0, ("file", f"{size / MB:.0f} MB; server {idle / MB:.0f} MB warm and idle"))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=10)
    args = parser.parse_args()
    if chromium_path() is None:
        sys.exit("Debian's chromium is not installed (/usr/bin/chromium); `make test` installs it")
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        print(f"\n{args.sessions} sessions at once (upload, Inspect, Export, download)")
        for name, text in sessions(tmp, args.sessions):
            print(f"  {name:16s} {text}")
        print("\nServer memory for one opened file (above the warm idle server)")
        for name, text in memory(tmp):
            print(f"  {name:54s} {text}")


if __name__ == "__main__":
    main()
