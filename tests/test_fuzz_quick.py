"""A quick slice of ``make fuzz`` (tools/fuzz.py): a few hundred mutated files, in worker
subprocesses with time and memory limits, plus a few through a real CLI subprocess."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from tests.conftest import ROOT

GIB3 = 3 << 30


def _fuzz() -> ModuleType:
    if "overlay_fuzz" in sys.modules:
        return sys.modules["overlay_fuzz"]
    spec = importlib.util.spec_from_file_location("overlay_fuzz", Path(ROOT, "tools", "fuzz.py"))
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["overlay_fuzz"] = module
    spec.loader.exec_module(module)
    return module


def test_a_quick_slice_of_the_fuzzer_finds_nothing() -> None:
    fuzz = _fuzz()
    # Cases `make fuzz` once failed on (Pixel Data as text; a Rust decoder's panic), then 298 more.
    cases = [3665, 7383, *range(50_000, 50_298)]
    report = fuzz.run_cases(cases, workers=2, timeout=30, memory=GIB3)
    results = report.results + fuzz.cli_subprocess_cases(cases[::30], timeout=30, memory=GIB3)
    summary = fuzz.summarise(results)
    assert summary["cases"] == 310
    assert summary["statuses"] == {"ok": 310}, summary
    assert set(summary["kinds"]) == set(fuzz.KINDS)  # every mutation was exercised


def test_the_harness_reports_hangs_and_dead_workers() -> None:
    """Its limits work: a case over its time is a hang; a worker that cannot live is an abort."""
    fuzz = _fuzz()
    hung = fuzz.run_cases([1, 2], workers=1, timeout=0.0, memory=GIB3)
    assert [r["status"] for r in hung.results] == ["hang", "hang"]
    starved = fuzz.run_cases([1], workers=1, timeout=60, memory=64 << 20)  # 64 MiB: Python cannot start
    assert [r["status"] for r in starved.results] == ["abort"]
