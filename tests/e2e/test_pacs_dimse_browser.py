"""A real browser against a real Orthanc over DIMSE: search, open, draw, store; Cancel of a hung open.

The app runs with both a DICOMweb and a DIMSE server configured (the same Orthanc). The
first test chooses the DIMSE server, searches (C-FIND), opens the series (C-GET), draws a
stroke, stores it (C-STORE, read back with C-GET) and reads the stored instance back over
DIMSE. The second freezes Orthanc with SIGSTOP, clicks *Open*, then *Cancel*: the page is
free again at once, says nothing was added, and after SIGCONT the series opens.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from overlay_core.pacs.client import connect
from overlay_core.planes.reading import load, plane_bits
from overlay_core.render.geometry import fit_view
from tests import pacs_support
from tests.e2e import browser
from tests.e2e.editor import canvas_box, commit, stroke, wait_idle
from tests.pacs_support import COLS, ROWS, LoadedStudy, dimse_server

orthanc_fixture = pacs_support.orthanc_fixture

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module", name="pacs_server")
def pacs_server_fixture(orthanc: LoadedStudy) -> Iterator[str]:
    env = {"OVERLAY_STUDIO_DICOMWEB_URL": orthanc.server.url, "OVERLAY_STUDIO_DICOMWEB_NAME": "Web",
           "OVERLAY_STUDIO_DIMSE": orthanc.server.dimse, "OVERLAY_STUDIO_DIMSE_TIMEOUT": "60"}
    with browser.streamlit_server("--server.address", "127.0.0.1", env=env) as (url, _):
        yield url


def _page(browser_: Any) -> tuple[Any, Any, list[Any]]:
    context = browser_.new_context(viewport={"width": 1500, "height": 1100})
    page = context.new_page()
    page.set_default_timeout(30_000)
    errors: list[Any] = []
    page.on("pageerror", lambda error: errors.append(error))
    return context, page, errors


def _search_on_dimse(page: Any, url: str) -> None:
    page.goto(url)
    page.get_by_text("From PACS").wait_for()
    wait_idle(page)
    page.locator(".st-key-pacs-server").click()
    option = page.get_by_role("option", name="ORTHANC (DIMSE)")
    try:
        option.wait_for(timeout=5_000)
    except Exception:  # the click came before the select was ready: open it again
        page.locator(".st-key-pacs-server").click()
    option.click()
    wait_idle(page)
    page.locator(".st-key-pacs-query input").fill("hidden^pacs")
    page.locator(".st-key-pacs-query input").press("Enter")
    wait_idle(page)
    page.locator('[class*="st-key-pacs-open-"] button').first.wait_for()
    wait_idle(page)


def test_dimse_search_open_draw_store(browser: Any, pacs_server: str, orthanc: LoadedStudy) -> None:
    context, page, errors = _page(browser)
    try:
        _search_on_dimse(page, pacs_server)
        page.locator('[class*="st-key-pacs-open-"] button').first.click()
        page.get_by_text("Opened 3 instance(s)").wait_for()
        page.get_by_test_id("stSidebarNav").get_by_text("Edit").click()
        page.get_by_text("Instance 1 of 3 in this series").wait_for()
        wait_idle(page)
        box = canvas_box(page)
        view = fit_view(ROWS, COLS, width=round(box["width"]))
        y = view.image_to_display(ROWS // 2, 0)[1]
        start, end = view.image_to_display(0, 8)[0], view.image_to_display(0, COLS - 8)[0]
        stroke(page, [(start, y), (end, y)], steps=25)
        commit(page, 1)
        wait_idle(page)
        page.get_by_test_id("stSidebarNav").get_by_text("Export").click()
        page.get_by_text("To the PACS this series came from: ORTHANC.").wait_for()
        store = page.locator(".st-key-pacs-store button")
        wait_idle(page)
        store.click()
        page.get_by_text("Stored 1 instance(s) on the PACS ORTHANC as new instances").wait_for()
        assert not errors, errors
    finally:
        context.close()

    client = connect(dimse_server(orthanc.server))
    (new_series,) = [s.series_uid for s in client.search_series(orthanc.study_uid)
                     if s.description == "T1 axial (overlays edited)"]
    (sop,) = client.instance_uids(orthanc.study_uid, new_series)
    stored = load(client.retrieve(orthanc.study_uid, new_series, sop).data)
    assert int(stored.InstanceNumber) == 1
    new = plane_bits(stored, 0x6000)[0] & ~orthanc.masks[0]
    assert new.any() and abs(int(np.nonzero(new)[0].mean()) - ROWS // 2) <= 4  # the stroke, where drawn


def test_cancel_a_hung_open(browser: Any, pacs_server: str, orthanc: LoadedStudy) -> None:
    assert orthanc.server.process is not None
    pid = orthanc.server.process.pid
    context, page, errors = _page(browser)
    try:
        _search_on_dimse(page, pacs_server)
        os.kill(pid, signal.SIGSTOP)  # the PACS hangs: it accepts connections but answers nothing
        try:
            page.locator('[class*="st-key-pacs-open-"] button').first.click()
            cancel = page.locator(".st-key-pacs-cancel button")
            cancel.wait_for()
            started = time.monotonic()
            cancel.click()
            page.get_by_text("Cancelled opening the series: nothing was added to this session.").wait_for()
            assert time.monotonic() - started < 10  # the page is free long before the 60 s timeout
            wait_idle(page)
            assert page.get_by_text("Opened ").count() == 0
        finally:
            os.kill(pid, signal.SIGCONT)
        page.locator('[class*="st-key-pacs-open-"] button').first.click()  # the session still works
        page.get_by_text("Opened 3 instance(s)").wait_for()
        assert not errors, errors
    finally:
        context.close()


def test_cancel_a_hung_store(browser: Any, pacs_server: str, orthanc: LoadedStudy) -> None:
    assert orthanc.server.process is not None
    pid = orthanc.server.process.pid
    context, page, errors = _page(browser)
    try:
        _search_on_dimse(page, pacs_server)
        page.locator('[class*="st-key-pacs-open-"] button').first.click()
        page.get_by_text("Opened 3 instance(s)").wait_for()
        page.get_by_test_id("stSidebarNav").get_by_text("Edit").click()
        page.get_by_text("Instance 1 of 3 in this series").wait_for()
        wait_idle(page)
        box = canvas_box(page)
        view = fit_view(ROWS, COLS, width=round(box["width"]))
        y = view.image_to_display(ROWS - 6, 0)[1]
        start, end = view.image_to_display(0, 4)[0], view.image_to_display(0, COLS - 4)[0]
        stroke(page, [(start, y), (end, y)], steps=20)
        commit(page, 1)
        wait_idle(page)
        page.get_by_test_id("stSidebarNav").get_by_text("Export").click()
        store = page.locator(".st-key-pacs-store button")
        store.wait_for()
        wait_idle(page)
        os.kill(pid, signal.SIGSTOP)
        try:
            store.click()
            cancel = page.locator(".st-key-pacs-cancel button")
            cancel.wait_for()
            started = time.monotonic()
            cancel.click()
            page.get_by_text("Cancelled the store: nothing in this session changed").wait_for()
            assert time.monotonic() - started < 10
            wait_idle(page)
            page.get_by_test_id("stSidebar").get_by_text("1 with unsaved edits").wait_for()  # still unsaved
            assert not page.locator(".st-key-pacs-store button").is_disabled()
        finally:
            os.kill(pid, signal.SIGCONT)
        assert not errors, errors
    finally:
        context.close()
