"""AppTest fixtures: the app, and the bytes behind its download buttons.

AppTest runs the real ``app.py`` with a mock runtime whose media file manager stores the
data of every ``st.download_button`` (and defers callables). The ``downloads`` fixture
records what the app hands to that manager, by file name, so a test checks the exact
bytes a user would get.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from tests.app.support import APP, Downloads


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> Iterator[Downloads]:
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


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> AppTest:
    """The app with no file open (the sample switch off)."""
    monkeypatch.delenv("OVERLAY_STUDIO_SAMPLE", raising=False)
    return AppTest.from_file(APP, default_timeout=60)
