"""Browser fixtures: the app served by ``streamlit run`` on a free port, and Debian's chromium.

The fixtures are named ``server``, ``browser`` and ``page``; ``tests/conftest.py``
registers this module with ``pytest_plugins``.

Playwright cannot download its own browsers here, so the tests drive the ``chromium``
Debian package (``/usr/bin/chromium``, or ``$CHROMIUM``) and skip, saying why, when it
is absent.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]


def chromium_path() -> str | None:
    for candidate in (os.environ.get("CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def server_rss(pid: int) -> int:
    """Resident memory of a process, in bytes (Linux: /proc/PID/status)."""
    found = re.search(r"VmRSS:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text())
    assert found, f"no VmRSS for process {pid}"
    return int(found.group(1)) * 1024


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def streamlit_server(
    *options: str, env: dict[str, str] | None = None, script: str = "app.py", log_path: Path | None = None
) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """Run ``streamlit run app.py`` (no sample) on a free port; yield its URL and process.

    ``options`` are extra command-line options (``--server.disconnectedSessionTTL``, ...);
    without ``--server.address`` the server binds where .streamlit/config.toml says. The log
    goes to ``log_path`` (read while the server runs) or a temporary file (:func:`server_log`).
    """
    port = free_port()
    # The log goes to a file, not a pipe nobody reads: a server that logs a lot would fill the
    # pipe's buffer and hang mid-test.
    log = log_path.open("w+") if log_path else tempfile.TemporaryFile(mode="w+")
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", script, "--server.headless", "true",
         "--server.port", str(port), "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none", *options],
        cwd=ROOT, env={**os.environ, "OVERLAY_STUDIO_SAMPLE": "0", **(env or {})},
        stdout=log, stderr=subprocess.STDOUT, text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                log.seek(0)
                output = log.read()
                pytest.fail(f"streamlit exited with {process.returncode}: {output}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("streamlit did not answer /_stcore/health within 60 s")
            time.sleep(0.2)  # polling the health endpoint, not waiting on the page
        yield url, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.seek(0)
        _LOGS[process.pid] = log.read()
        log.close()


#: What each stopped server printed, by process id (:func:`server_log`).
_LOGS: dict[int, str] = {}


def server_log(process: subprocess.Popen[str]) -> str:
    """Return what a server started by :func:`streamlit_server` printed, once it has stopped."""
    return _LOGS.get(process.pid, "")


@pytest.fixture(scope="session", name="server")
def server_fixture() -> Iterator[str]:
    """Start ``streamlit run app.py`` (no sample) on 127.0.0.1 and return its URL."""
    with streamlit_server("--server.address", "127.0.0.1") as (url, _):
        yield url


@pytest.fixture(scope="session", name="browser")
def browser_fixture() -> Iterator[object]:
    path = chromium_path()
    if path is None:
        pytest.skip("Debian's chromium is not installed (/usr/bin/chromium); `make test` installs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def watch_errors(page: Any) -> list[str]:
    """Collect the page's uncaught errors (``pageerror``); a test fails when the list is not empty.

    The page fixture watches its page; a test that opens its own context watches with this
    and calls :func:`assert_no_page_errors` at the end.
    """
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(f"{error.name}: {error.message}\n{error.stack}"))
    return errors


def assert_no_page_errors(errors: list[str]) -> None:
    """Fail with the page's uncaught errors, if there were any."""
    if errors:
        pytest.fail("the page raised: " + " | ".join(errors[:5]), pytrace=False)


@pytest.fixture(name="page")
def page_fixture(browser: object, server: str) -> Iterator[object]:
    """A new page at 1500 x 1100; the test fails on any uncaught page error (``pageerror``)."""
    context = browser.new_context(viewport={"width": 1500, "height": 1100}, accept_downloads=True)  # type: ignore[attr-defined]
    page = context.new_page()
    page.set_default_timeout(30_000)
    errors = watch_errors(page)
    try:
        yield page
    finally:
        context.close()
    assert_no_page_errors(errors)
