"""A real browser against a real Orthanc: search, open a series, draw on instance 2, store.

The app runs with ``OVERLAY_STUDIO_DICOMWEB_URL`` pointing at a throw-away Orthanc holding
a three-instance series. The test searches by patient name, opens the series, steps to
instance 2 with the Shift+PageDown shortcut, draws a brush stroke with the mouse (applied on release),
stores from Export with a DICOM SEG chosen under *Also store*, and then reads the stored
instance back from Orthanc: its plane must hold the stroke where it was drawn (mapped
through the page's own view geometry), and the SEG must reference it with the same bits.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import highdicom as hd
import numpy as np
import pytest

from overlay_core.pacs.config import Server
from overlay_core.pacs.dicomweb import DicomwebClient
from overlay_core.planes.reading import load, plane_bits
from overlay_core.render.geometry import fit_view
from tests import pacs_support
from tests.e2e import browser
from tests.e2e.editor import canvas_box, commit, stroke, wait_idle
from tests.pacs_support import COLS, ROWS, LoadedStudy

orthanc_fixture = pacs_support.orthanc_fixture

pytestmark = pytest.mark.e2e
BRUSH = 6  # the Edit page's default brush, in image pixels


@pytest.fixture(scope="module", name="pacs_server")
def pacs_server_fixture(orthanc: LoadedStudy) -> Iterator[str]:
    env = {"OVERLAY_STUDIO_DICOMWEB_URL": orthanc.server.url, "OVERLAY_STUDIO_DICOMWEB_NAME": "Orthanc"}
    with browser.streamlit_server("--server.address", "127.0.0.1", env=env) as (url, _):
        yield url


def test_search_open_draw_on_instance_2_store(browser: Any, pacs_server: str, orthanc: LoadedStudy) -> None:
    context = browser.new_context(viewport={"width": 1500, "height": 1100})
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        page.goto(pacs_server)
        page.get_by_text("From PACS").wait_for()
        page.locator(".st-key-pacs-query input").fill("hidden^pacs")
        page.locator(".st-key-pacs-query input").press("Enter")
        wait_idle(page)
        page.locator(".st-key-pacs-search button").click()
        open_button = page.locator('[class*="st-key-pacs-open-"] button')
        open_button.wait_for()
        wait_idle(page)
        open_button.click()
        page.get_by_text("Opened 3 instance(s)").wait_for()

        page.get_by_test_id("stSidebarNav").get_by_text("Edit").click()
        page.get_by_text("Instance 1 of 3 in this series").wait_for()
        wait_idle(page)
        page.get_by_test_id("stHeading").first.click()  # focus the page, not an input
        page.keyboard.press("Shift+PageDown")  # the Next button's shortcut
        page.get_by_text("Instance 2 of 3 in this series").wait_for()
        wait_idle(page)

        box = canvas_box(page)
        view = fit_view(ROWS, COLS, width=round(box["width"]))
        y = view.image_to_display(ROWS // 2, 0)[1]
        start, end = view.image_to_display(0, 8)[0], view.image_to_display(0, COLS - 8)[0]
        stroke(page, [(start, y), (end, y)], steps=25)
        commit(page, 1)  # applied on release
        wait_idle(page)
        page.get_by_test_id("stSidebarNav").get_by_text("Export").click()
        # The editor reruns as a fragment; the sidebar catches up on the next page run.
        page.get_by_test_id("stSidebar").get_by_text("1 with unsaved edits").wait_for()
        store = page.locator(".st-key-pacs-store button")
        store.wait_for()
        wait_idle(page)
        choice = page.locator(".st-key-pacs-derived").get_by_role("combobox")
        # The Export page is long: bring the choice to the middle, so its menu opens in view.
        choice.evaluate("e => e.scrollIntoView({block: 'center'})")
        choice.click()
        page.get_by_role("option", name="DICOM SEG", exact=True).click()
        page.keyboard.press("Escape")
        page.get_by_text("Made from MR-instance-0002.dcm").wait_for()
        wait_idle(page)
        store.click()
        page.get_by_text("Stored 1 instance(s) on the PACS Orthanc as new instances in a new series, and "
                         "1 DICOM SEG (one new series per kind)").wait_for()
    finally:
        context.close()

    client = DicomwebClient(Server("check", orthanc.server.url))
    listed = client.search_series(orthanc.study_uid)
    (new_series,) = [s.series_uid for s in listed
                     if s.series_uid != orthanc.series_uid and s.modality == "MR"]
    (seg_series,) = [s.series_uid for s in listed if s.modality == "SEG"]
    (sop,) = client.instance_uids(orthanc.study_uid, new_series)
    stored = load(client.retrieve(orthanc.study_uid, new_series, sop).data)
    (seg_sop,) = client.instance_uids(orthanc.study_uid, seg_series)
    seg = hd.seg.segread(io.BytesIO(client.retrieve(orthanc.study_uid, seg_series, seg_sop).data))
    segment = seg.get_pixels_by_source_instance([sop], combine_segments=False, ignore_spatial_locations=True)
    assert (np.asarray(segment)[0, :, :, 0] == plane_bits(stored, 0x6000)[0]).all()  # the SEG of the stored
    assert int(stored.InstanceNumber) == 2
    bits = plane_bits(stored, 0x6000)[0]
    new = bits & ~orthanc.masks[1]
    assert new.any(), "the stroke did not reach the stored instance"
    (r0, c0), (_, c1) = view.display_to_image(start, y), view.display_to_image(end, y)
    half = BRUSH / 2 + 1  # half the default brush (image pixels), plus a pixel
    rows, cols = np.nonzero(new)
    assert rows.min() >= r0 - half and rows.max() <= r0 + half
    assert cols.min() >= c0 - half and cols.max() <= c1 + half
    assert bits[int(r0), int(np.ceil(c0)):int(c1)].all()
    assert (bits & orthanc.masks[1] == orthanc.masks[1]).all()  # the instance's own line is kept
