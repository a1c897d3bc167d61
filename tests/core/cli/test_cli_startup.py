"""``overlay_core.cli.startup``: pydicom's unused imports deferred, and the same modules on first use."""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
from pathlib import Path

import pytest

from overlay_core.cli import startup

ROOT = Path(__file__).resolve().parents[3]


def run(code: str, tmp_path: Path) -> str:
    """Run ``code`` in a new interpreter after :func:`defer_unused_imports`; return its stdout."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    prelude = ("from overlay_core.cli.startup import defer_unused_imports, is_deferred\n"
               "defer_unused_imports()\n")
    result = subprocess.run([sys.executable, "-c", prelude + code], capture_output=True, text=True,
                            cwd=tmp_path, env=env, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout.strip()


def test_pydicom_imports_them_without_running_them(tmp_path: Path) -> None:
    out = run("import sys, pydicom.pixels, pydicom.data\n"
              "print(sorted(m for m in ('requests', 'urllib.request', 'PIL.ImageCms', 'pydicom.examples') "
              "if is_deferred(sys.modules[m])), 'urllib3' in sys.modules, 'http.client' in sys.modules,\n"
              "      pydicom.data.download.HAVE_REQUESTS)", tmp_path)
    assert out == "['PIL.ImageCms', 'pydicom.examples', 'requests', 'urllib.request'] False False True"


def test_first_use_runs_the_whole_module(tmp_path: Path) -> None:
    out = run("import pydicom, requests, sys\n"
              "from requests.adapters import HTTPAdapter\n"  # a submodule first, then the package
              "session = requests.Session(); session.mount('http://', HTTPAdapter())\n"
              "import urllib.request as u\n"
              "print(is_deferred(requests), type(session).__name__, requests.__loader__.__class__.__name__,\n"
              "      callable(u.urlopen), 'urllib3' in sys.modules,\n"
              "      requests.sessions.HTTPAdapter is HTTPAdapter\n"
              "      is sys.modules['requests.adapters'].HTTPAdapter,\n"
              "      requests.adapters.__spec__.loader.__class__.__name__)", tmp_path)
    # requests.adapters ran once (one HTTPAdapter class), with its own spec
    assert out == "False Session SourceFileLoader True True True SourceFileLoader"


def test_threads_using_it_first_all_get_the_whole_module(tmp_path: Path) -> None:
    out = run("import threading, requests\n"
              "seen = []\n"
              "def use():\n"
              "    seen.append(requests.Session.__name__ + requests.codes.ok.__class__.__name__)\n"
              "threads = [threading.Thread(target=use) for _ in range(8)]\n"
              "[t.start() for t in threads]; [t.join() for t in threads]\n"
              "print(seen)", tmp_path)
    assert out == str(["Sessionint"] * 8)


def test_a_missing_module_still_fails_at_import(tmp_path: Path) -> None:
    """tqdm is one of DEFERRED and is not installed here."""
    out = run("try:\n    import tqdm\nexcept ImportError:\n    print('ImportError')\n", tmp_path)
    assert out == "ImportError"


def test_a_module_with_its_own_getattr_serves_its_names_on_first_use(tmp_path: Path) -> None:
    """pydicom.examples gives its datasets through a module ``__getattr__``."""
    out = run("import pydicom\nfrom pydicom import examples\n"
              "print(is_deferred(examples), examples.overlay.Rows, examples.get_path('ct').name)", tmp_path)
    assert out == "True 300 CT_small.dcm"


def test_openblas_gets_one_thread_unless_told_otherwise(tmp_path: Path) -> None:
    code = ("import os\nfrom overlay_core.cli.startup import one_blas_thread\n"
            "one_blas_thread(); print(os.environ['OPENBLAS_NUM_THREADS'])")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("OPENBLAS_NUM_THREADS", None)
    chosen = {**env, "OPENBLAS_NUM_THREADS": "4"}
    outputs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=e,
                              cwd=tmp_path, timeout=60, check=True).stdout.strip() for e in (env, chosen)]
    assert outputs == ["1", "4"]


def test_pydicom_learns_its_version_without_importing_importlib_metadata(tmp_path: Path) -> None:
    out = run("import sys, pydicom\n"
              "print(pydicom.__version__, is_deferred(sys.modules['importlib.metadata']),\n"
              "      [m for m in ('email', 'zipfile', 'csv') if m in sys.modules])\n"
              "import importlib.metadata\n"
              "print(len(list(importlib.metadata.distributions())) > 1, is_deferred(importlib.metadata))",
              tmp_path)
    assert out.split("\n") == [f"{importlib.metadata.version('pydicom')} True []", "True False"]


@pytest.mark.parametrize("name", ["pydicom", "numpy", "Pillow", "pillow", "isal", "pylibjpeg-openjpeg",
                                  "pylibjpeg_openjpeg", "python-gdcm", "scikit-image", "dask"])
def test_the_version_from_metadata_is_importlib_metadatas(name: str) -> None:
    assert startup._installed_version(name) == importlib.metadata.version(name)


def test_an_unknown_distribution_raises_as_importlib_metadata_does() -> None:
    with pytest.raises(importlib.metadata.PackageNotFoundError):
        startup._installed_version("no-such-distribution-here")
