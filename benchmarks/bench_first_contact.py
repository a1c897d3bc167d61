"""First contact (issue 22): the first screen with the sample's picture, and a 210 MB download.

Run by ``make bench`` (``python benchmarks/bench_first_contact.py``); it prints one table and is
not a test (``tests/e2e/test_first_contact.py`` checks the behaviour).

* **first screen**: the server started as ``make run`` does (``serve.py``, the bundled sample
  open, uploads spooled to memory); a fresh browser profile loads the page and the time until the sample's
  picture is shown is measured (median of three; goal 3 s).
* **210 MB download**: a 210 MB file (16-bit, 4096 x 4270, 6 frames, one plane) is uploaded;
  on Export, its download button (written and checked when clicked) is pressed, and the time
  until the browser's download starts is measured (goal 3 s), with the server's memory above
  the file's own size as opened (goal: within the per-file budget of issue 10, 3x the file
  at peak per open file: the open file's own 1x plus at most 2x for its download), and what
  the server still holds 5 s after the download ended.

Timings are wall-clock on whatever else the machine is doing.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests import builders as b  # noqa: E402
from tests.e2e.browser import CHROMIUM_ARGS, chromium_path, server_rss, streamlit_server  # noqa: E402
from tests.e2e.editor import goto, wait_idle  # noqa: E402

MB = 1 << 20
GOAL = 3.0


def big_file(folder: Path) -> Path:
    """About 210 MB: 6 frames of 4096 x 4270 16-bit pixels and a small plane."""
    ds = b.image_dataset(4096, 4270, frames=6, bits_allocated=16)
    b.add_plane(ds, 0x6000, np.ones((1, 64, 64), bool), origin=(100, 100))
    path = folder / "big-210mb.dcm"
    path.write_bytes(b.to_file_bytes(ds))
    return path


def first_screen(browser: object, url: str) -> float:
    context = browser.new_context(viewport={"width": 1366, "height": 768})  # type: ignore[attr-defined]
    page = context.new_page()
    start = time.perf_counter()
    page.goto(url)
    page.locator(".st-key-open-active img").wait_for(timeout=60_000)
    seconds = time.perf_counter() - start
    context.close()
    return seconds


def download(browser: object, url: str, pid: int, path: Path) -> tuple[float, float, int, int, int]:
    """Return seconds to the download's start and to its end, the server's RSS before, at peak, after."""
    context = browser.new_context(viewport={"width": 1366, "height": 768},  # type: ignore[attr-defined]
                                  accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(300_000)
    page.goto(url)
    wait_idle(page)
    page.locator(".st-key-upload input[type=file]").set_input_files(str(path))
    page.get_by_test_id("stSidebar").get_by_text(path.name).wait_for()
    wait_idle(page)
    goto(page, "Export")
    before = server_rss(pid)
    peak = [before]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], server_rss(pid))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    start = time.perf_counter()
    with page.expect_download(timeout=300_000) as info:
        page.locator(".st-key-download").get_by_role("button").click()
    started = time.perf_counter() - start
    info.value.path()  # until the whole file has arrived
    finished = time.perf_counter() - start
    time.sleep(5)  # what stays: Streamlit keeps the download until the page runs twice more
    done.set()
    sampler.join()
    after = server_rss(pid)
    context.close()
    return started, finished, before, peak[0], after


def main() -> None:
    shm = "/dev/shm" if os.path.isdir("/dev/shm") else None
    env = {"OVERLAY_STUDIO_SAMPLE": "1", **({"TMPDIR": shm} if shm else {})}
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp, streamlit_server(
            "--server.address", "127.0.0.1", env=env, script="serve.py") as (url, process), \
            sync_playwright() as playwright:
        path = big_file(Path(tmp))
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        screens = [first_screen(browser, url) for _ in range(3)]
        started, finished, before, peak, after = download(browser, url, process.pid, path)
        browser.close()
    size = path.stat().st_size if path.exists() else 210 * MB
    print("\nFirst contact (goal: 3 s each)")
    print(f"  {'first screen, sample picture shown':44s} {statistics.median(screens):5.2f} s "
          f"(median of 3: {', '.join(f'{s:.2f}' for s in screens)})")
    print(f"  {f'{size / MB:.0f} MB download, started':44s} {started:5.2f} s")
    print(f"  {f'{size / MB:.0f} MB download, finished':44s} {finished:5.2f} s")
    print(f"  {'server RSS during the download, above before':44s} {(peak - before) / MB:5.0f} MB "
          f"({(peak - before) / size:.2f}x the file; goal 2x)")
    print(f"  {'server RSS 5 s after it ended, above before':44s} {(after - before) / MB:5.0f} MB "
          f"({(after - before) / size:.2f}x the file)")


if __name__ == "__main__":
    main()
