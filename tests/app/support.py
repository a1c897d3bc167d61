"""Fixtures and helpers shared by the AppTest tests.

The fixtures are named ``app`` and ``downloads``; ``tests/conftest.py`` registers this
module with ``pytest_plugins``, so every test can ask for them.

``downloads``: AppTest runs the real ``app.py`` with a mock runtime whose media file
manager stores the data of every ``st.download_button`` (and defers callables). The
fixture records what the app hands to that manager, by file name, so a test checks the
exact bytes a user would get.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from streamlit.runtime.media_file_manager import MediaFileManager
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


def shown(markdown: str) -> str:
    r"""Return the text a markdown string shows: backslash escapes resolved (CommonMark).

    Strings from files reach the page escaped (``studio.text.plain``); tests compare
    what the user reads.

    >>> shown(r"scan\_01\.dcm")
    'scan_01.dcm'
    """
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown).replace("\u2060", "")


def errors(at: AppTest) -> list[str]:
    return [shown(str(e.value)) for e in at.error]


@pytest.fixture(name="downloads")
def downloads_fixture(monkeypatch: pytest.MonkeyPatch) -> Iterator[Downloads]:
    captured = Downloads()
    add, add_deferred = MediaFileManager.add, MediaFileManager.add_deferred

    def record_add(self: MediaFileManager, data: Any, mimetype: str, coordinates: str,
                   file_name: str | None = None, is_for_static_download: bool = False) -> str:
        if is_for_static_download and file_name:
            captured[file_name] = data
        elif isinstance(data, bytes) and mimetype.startswith("image/"):
            captured.images.append(data)
        return add(self, data, mimetype, coordinates, file_name, is_for_static_download)

    def record_deferred(self: MediaFileManager, data_callable: Callable[[], Any], mimetype: str | None,
                        coordinates: str, file_name: str | None = None, **kwargs: Any) -> str:
        if file_name:
            captured[file_name] = data_callable
        return add_deferred(self, data_callable, mimetype, coordinates, file_name, **kwargs)

    monkeypatch.setattr(MediaFileManager, "add", record_add)
    monkeypatch.setattr(MediaFileManager, "add_deferred", record_deferred)
    yield captured


@pytest.fixture(name="app")
def app_fixture(monkeypatch: pytest.MonkeyPatch) -> AppTest:
    """The app with no file open (the sample switch off)."""
    monkeypatch.delenv("OVERLAY_STUDIO_SAMPLE", raising=False)
    return AppTest.from_file(APP, default_timeout=60)
