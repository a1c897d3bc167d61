"""``overlay_core.cli.codec_plugins``: pydicom's codec plug-ins registered on first use, as at import."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests import builders as b

ROOT = Path(__file__).resolve().parents[3]

#: The libraries behind pydicom's codec plug-ins (and Pillow, which its pillow plug-in imports).
CODEC_LIBRARIES = ("gdcm", "pylibjpeg", "openjpeg", "rle", "jpeg_ls", "PIL.Image")

#: Every decoder's and encoder's plug-in tables and docstring, as JSON.
TABLES = (
    "import json\n"
    "from pydicom.pixels.decoders.base import _PIXEL_DATA_DECODERS\n"
    "from pydicom.pixels.encoders.base import _PIXEL_DATA_ENCODERS\n"
    "coders = [d for d, _ in _PIXEL_DATA_DECODERS.values()] + [e for e, _ in _PIXEL_DATA_ENCODERS.values()]\n"
    "tables = [[str(c.UID), c.available_plugins, c.is_available, list(c._available), c._unavailable,\n"
    "           c.missing_dependencies, c.__doc__] for c in coders]\n"
    "print(json.dumps(tables))\n"
)


def python(code: str, cwd: Path, *, deferred: bool) -> str:
    """Run ``code`` in a new interpreter, after ``defer_unused_imports()`` if ``deferred``; return stdout."""
    prelude = "from overlay_core.cli.startup import defer_unused_imports\ndefer_unused_imports()\n"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", (prelude if deferred else "") + code],
                            capture_output=True, text=True, cwd=cwd, env=env, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def test_plugin_tables_on_first_use_are_those_pydicom_builds_at_import(tmp_path: Path) -> None:
    eager = json.loads(python(TABLES, tmp_path, deferred=False))
    deferred = json.loads(python(TABLES, tmp_path, deferred=True))
    assert deferred == eager
    assert any(row[1] for row in eager)  # some plug-in is installed here: the comparison compares something


def test_importing_pydicom_and_reading_a_native_file_loads_no_codec_library(tmp_path: Path) -> None:
    (tmp_path / "two.dcm").write_bytes(b.two_plane_file()[0])
    code = ("import sys, pydicom\n"
            "from overlay_core.cli.codec_plugins import plugins_registered\n"
            "ds = pydicom.dcmread('two.dcm'); ds.pixel_array\n"
            f"print([m for m in {CODEC_LIBRARIES!r} if m in sys.modules], plugins_registered())\n"
            "from pydicom.pixels import get_decoder\n"
            "from pydicom.uid import RLELossless\n"
            "get_decoder(RLELossless).available_plugins\n"
            "print(plugins_registered())\n")
    assert python(code, tmp_path, deferred=True).split("\n")[:2] == ["[] False", "True"]


def test_a_compressed_file_renders_through_the_command_line_as_in_a_plain_process(tmp_path: Path) -> None:
    data, _ = b.rle_file()
    (tmp_path / "rle.dcm").write_bytes(data)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-m", "overlay_core", "render", "rle.dcm", "--out", "cli.png"],
                            capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    code = ("from pathlib import Path\nimport pydicom\nfrom overlay_core.cli.planes import render_png\n"
            "Path('plain.png').write_bytes(render_png(pydicom.dcmread('rle.dcm')))\n")
    python(code, tmp_path, deferred=False)
    assert (tmp_path / "cli.png").read_bytes() == (tmp_path / "plain.png").read_bytes()


def test_a_deferred_process_decodes_a_compressed_frame_with_the_plugin_asked_for(tmp_path: Path) -> None:
    data, _ = b.rle_file()
    (tmp_path / "rle.dcm").write_bytes(data)
    code = ("import pydicom\nfrom pydicom.pixels import pixel_array\n"
            "ds = pydicom.dcmread('rle.dcm')\n"
            "print(pixel_array(ds, decoding_plugin='pydicom').tobytes().hex())\n")
    assert python(code, tmp_path, deferred=True) == python(code, tmp_path, deferred=False)
