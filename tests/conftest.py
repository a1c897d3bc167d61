"""Shared fixtures: the corpus in ../shared/corpus, and synthetic DICOM builders."""

from __future__ import annotations

from pathlib import Path

import pytest

#: Fixtures shared by the test folders: ``app`` and ``downloads`` (AppTest), ``server``,
#: ``browser`` and ``page`` (Playwright).
pytest_plugins = ["tests.app.support", "tests.e2e.browser"]

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"


@pytest.fixture(scope="session")
def corpus() -> Path:
    """The shared corpus folder; tests that use it skip where it is absent."""
    if not (CORPUS / "README.md").exists():
        pytest.skip(f"the shared corpus is not at {CORPUS} (../shared is absent on this machine)")
    return CORPUS
