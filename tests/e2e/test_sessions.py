"""Ten browser sessions at once on different files (issue 10).

Each session uploads its own file, opens Inspect and Export and downloads the checked
file. Every download must hold exactly its own file's planes (nothing lost, nothing from
another session), and the server's memory must come back within 20 % of its warm, idle
level once the tabs are closed. The times of each flow alone and ten at once are printed,
not asserted (speed goals are not timed tests; this machine is shared and noisy):
``benchmarks/bench_sessions.py`` measures them.

The ten sessions are ten tabs of one browser profile whose cache already holds the app's
static files, as a returning user's browser does (each tab is its own Streamlit session:
its own websocket and session state). ``cold=True`` gives each session a fresh profile.
"""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from overlay_core.planes.reading import load, plane_bits
from tests import builders as b
from tests.e2e import browser as e2e

pytestmark = pytest.mark.e2e

SESSIONS = 10
TTL = 10

IDLE = """() => document.querySelector('[data-testid="stApp"]')?.dataset.testScriptState === 'notRunning'
              && document.querySelectorAll('[data-stale="true"]').length === 0"""


def session_file(tmp_path: Path, number: int) -> tuple[Path, np.ndarray]:
    rows, cols = 200 + 8 * number, 240 + 4 * number
    ds = b.image_dataset(rows, cols, seed=number)
    mask = b.random_mask((1, rows, cols), seed=100 + number)
    b.add_plane(ds, 0x6000, mask, label=f"S{number}")
    path = tmp_path / f"session-{number}.dcm"
    path.write_bytes(b.to_file_bytes(ds))
    return path, mask


VIEWPORT = {"width": 1400, "height": 1000}


async def _flow(
    browser: Any, url: str, path: Path, downloads: Path, shared: Any = None
) -> tuple[float, bytes]:
    """Upload ``path``, open Inspect and Export, download; return the time and the download.

    ``shared`` is a browser context (one profile) to open a tab in; else a new profile.
    """
    context = shared or await browser.new_context(viewport=VIEWPORT, accept_downloads=True)
    page = await context.new_page()
    try:
        page.set_default_timeout(180_000)
        started = time.monotonic()
        await page.goto(url)
        await page.wait_for_function(IDLE)
        await page.locator(".st-key-upload input[type=file]").set_input_files(str(path))
        await page.get_by_text("Files in this session").wait_for()
        await page.wait_for_function(IDLE)
        nav = page.get_by_test_id("stSidebarNav")
        await nav.get_by_role("link", name="Inspect").click()
        await page.locator(".st-key-inspect-viewer img").first.wait_for()  # the viewer (studio/viewer.py)
        await page.wait_for_function(IDLE)
        await nav.get_by_role("link", name="Export").click()
        button = page.locator(".st-key-download button")
        await button.wait_for()
        await page.wait_for_function(IDLE)
        async with page.expect_download() as info:
            await button.click()
        download = await info.value
        target = downloads / f"{path.stem}-downloaded.dcm"
        await download.save_as(target)
        return time.monotonic() - started, target.read_bytes()
    finally:
        await (page.close() if shared else context.close())


def run_flows(url: str, paths: list[Path], downloads: Path, cold: bool = False) -> list[tuple[float, bytes]]:
    """Run one flow per file at once, in one browser (in a thread of its own: the other
    browser tests' Playwright keeps an event loop running in this one)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, _run_async(url, paths, downloads, cold)).result()


async def _run_async(url: str, paths: list[Path], downloads: Path, cold: bool) -> list[tuple[float, bytes]]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=e2e.chromium_path(),
                                                   args=e2e.CHROMIUM_ARGS)
        try:
            shared = None
            if not cold:  # a returning user's browser: the app's static files are cached
                shared = await browser.new_context(viewport=VIEWPORT, accept_downloads=True)
                warm = await shared.new_page()
                await warm.goto(url)
                await warm.wait_for_function(IDLE)
                await warm.close()
            return list(await asyncio.gather(*(_flow(browser, url, p, downloads, shared) for p in paths)))
        finally:
            await browser.close()


def test_ten_sessions_at_once_keep_their_own_files(tmp_path: Path) -> None:
    if e2e.chromium_path() is None:
        pytest.skip("Debian's chromium is not installed (/usr/bin/chromium); `make test` installs it")
    files = [session_file(tmp_path, n) for n in range(SESSIONS)]
    with e2e.streamlit_server("--server.disconnectedSessionTTL", str(TTL)) as (url, process):
        [(alone, _)] = run_flows(url, [p for p, _ in files[:1]], tmp_path)  # also warms the server up
        time.sleep(TTL + 3)
        before = e2e.server_rss(process.pid)  # the starting level: a warm server without sessions
        together = run_flows(url, [p for p, _ in files], tmp_path)
        busy = e2e.server_rss(process.pid)
        time.sleep(TTL + 3)  # nobody connects: the janitor frees the closed sessions
        after = e2e.server_rss(process.pid)
    log = e2e.server_log(process)
    assert "objects frozen" in log  # studio.memory.prepare_process ran once, before the sessions
    times = [t for t, _ in together]
    mb = 1 << 20
    print(f"alone {alone:.1f} s; {SESSIONS} at once: {min(times):.1f}-{max(times):.1f} s; "
          f"server {before // mb} MB warm and idle, {busy // mb} MB after the flows, {after // mb} MB "
          f"{TTL + 3} s after the tabs closed")
    for (path, mask), (_, data) in zip(files, together, strict=True):
        written = load(data)
        assert str(written[0x60001500].value) == f"S{path.stem.split('-')[1]}"  # its own file
        assert np.array_equal(plane_bits(written, 0x6000), mask)  # nothing lost
    assert after <= before * 1.2, (before, busy, after)
