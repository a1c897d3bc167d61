"""``dciodvfy`` (Debian ``dicom3tools``), the standard's IOD validator, as a test oracle.

:func:`new_errors` runs it over a file we wrote and over its source, and returns the
Error lines of the output that the source does not have: what our writing added.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

__all__ = ["error_lines", "new_errors", "require_dciodvfy"]


def require_dciodvfy() -> str:
    """Return the path of ``dciodvfy``, or skip the test with a reason."""
    found = shutil.which("dciodvfy")
    if found is None:
        pytest.skip("dciodvfy (Debian package dicom3tools) is not installed; `make system-deps` installs it")
    return found


def error_lines(path: Path | str) -> list[str]:
    """Return the ``Error`` lines ``dciodvfy -new`` prints for a file, in order."""
    result = subprocess.run([require_dciodvfy(), "-new", str(path)], capture_output=True, text=True,
                            timeout=120, check=False)
    return [line.strip() for line in (result.stdout + result.stderr).splitlines() if line.startswith("Error")]


def new_errors(written: Path | str, source: Path | str | None) -> list[str]:
    """Return the Error lines of ``written`` that ``source`` (when given) does not have."""
    before = set(error_lines(source)) if source is not None else set()
    return [line for line in error_lines(written) if line not in before]
