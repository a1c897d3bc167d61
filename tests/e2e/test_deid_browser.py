"""Export → De-identify overlays in a real browser: find the text, keep one word, erase the rest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests import builders as b
from tests.deid_support import text_plane
from tests.e2e.editor import open_file, wait_idle
from tests.e2e.test_privacy import visit

pytestmark = pytest.mark.e2e


def test_clean_graphics_review_in_the_browser(page: Any, server: str, tmp_path: Path) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    ds = b.image_dataset(200, 300)
    b.add_plane(ds, 0x6000, text_plane(200, 300, sizes=(10, 14)).bits, label="SMITH")
    path = tmp_path / "text.dcm"
    path.write_bytes(b.to_file_bytes(ds))
    open_file(page, server, path)
    visit(page, "Export")
    page.get_by_text("Keep the graphics, erase the text (Clean Graphics)").click()
    wait_idle(page)
    page.get_by_role("button", name="Find text in the overlays").click()
    page.get_by_text("red boxes are erased, green kept").wait_for()
    wait_idle(page)
    boxes = page.get_by_role("checkbox", name="Erase")
    count = boxes.count()
    assert count >= 3
    boxes.first.uncheck(force=True)  # the input is hidden behind Streamlit's styled box
    wait_idle(page)
    page.get_by_role("button", name=f"Erase the text ({count - 1} of {count} word(s))").click()
    page.get_by_text("Clean Graphics Option (113103)").wait_for()
    wait_idle(page)
    assert page.get_by_role("button", name="Undo the de-identification").count() == 1
    assert errors == []
