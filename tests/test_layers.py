"""The core's layers (pyproject.toml [tool.importlinter]): no upward import, no loop, and no exception."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def test_the_layers_have_no_ignored_import() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    layers = [c for c in config["contracts"] if c["type"] == "layers"]
    assert layers and all(not c.get("ignore_imports") for c in layers)


@pytest.mark.skipif(not LINT_IMPORTS.exists(), reason="import-linter is not installed (requirements-dev.txt)")
def test_import_linter_keeps_every_contract() -> None:
    result = subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=ROOT, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "0 broken" in result.stdout
