"""Helpers shared by the AppTest tests (fixtures live in conftest.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
PAGES = ["pages/open.py", "pages/inspect.py", "pages/edit.py", "pages/export.py"]


class Downloads(dict[str, Any]):
    """``file_name -> bytes`` (or a zero-argument callable for deferred downloads).

    ``images`` holds the bytes of every image the app sent for display, in order.
    """

    def __init__(self) -> None:
        super().__init__()
        self.images: list[bytes] = []

    def get_bytes(self, name: str) -> bytes:
        value = self[name]
        return bytes(value() if callable(value) else value)


def no_exception(at: AppTest) -> None:
    assert not at.exception, [e.message for e in at.exception]


def goto(at: AppTest, page: str) -> AppTest:
    """Switch to ``pages/<page>.py`` and run (the app must have run once)."""
    at.switch_page(f"pages/{page}.py")
    at.run()
    no_exception(at)
    return at


def errors(at: AppTest) -> list[str]:
    return [str(e.value) for e in at.error]
