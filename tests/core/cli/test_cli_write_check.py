"""Every CLI write is read back and checked: a writer that loses a plane exits 2 and writes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from overlay_core.cli.main import main
from tests import builders as b
from tests.write_support import lossy_writer


@pytest.fixture
def inputs(tmp_path: Path) -> dict[str, Path]:
    paths = {"two": tmp_path / "two.dcm", "embedded": tmp_path / "embedded.dcm", "mask": tmp_path / "m.npy"}
    paths["two"].write_bytes(b.two_plane_file()[0])
    paths["embedded"].write_bytes(b.embedded_file()[0])
    paths["mask"].write_bytes(b.npy_bytes(b.random_mask((16, 20), seed=9)))
    paths["seg"] = tmp_path / "two.seg.dcm"
    assert main(["export-seg", str(paths["two"]), "--out", str(paths["seg"])]) == 0
    return paths


COMMANDS = {
    "apply": ["apply", "{two}", "--group", "6000", "--mask", "{mask}"],
    "new": ["new", "{two}", "--mask", "{mask}"],
    "delete": ["delete", "{two}", "--group", "6002"],
    "migrate": ["migrate", "{embedded}", "--group", "6000"],
    "import-seg": ["import-seg", "{two}", "--seg", "{seg}"],
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_write_that_does_not_read_back_exits_2_and_leaves_no_file(
    command: str, inputs: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = [a.format(**{k: str(v) for k, v in inputs.items()}) for a in COMMANDS[command]]
    out = tmp_path / "out.dcm"
    assert main([*args, "--out", str(out)]) == 0  # the real writer: written and checked
    assert out.exists()
    out.unlink()
    capsys.readouterr()
    lossy_writer(monkeypatch)
    assert main([*args, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert err.startswith(f"python -m overlay_core {command}: error: The written file does not read back")
    assert not out.exists()
