"""What the command line does before it imports pydicom: defer what pydicom imports but never uses.

``import pydicom`` imports, for features no command of ours reaches on its way, ``requests``
with urllib3 (to download pydicom's test files, :mod:`pydicom.data.download`), the standard
library's ``urllib.request`` (the same, without requests), ``PIL.ImageCms`` (ICC colour
profiles), ``tqdm`` (a progress bar for those downloads) and :mod:`pydicom.examples` (which
looks up its thirteen example files as it is imported): about a third of pydicom's import
time. :func:`defer_unused_imports` makes an ``import`` of these create the module without
running it; its code runs on first use of any of its names, in full, so a command that does
use it (DICOMweb through requests) gets the very same module, only later. A module that is
not installed still raises :class:`ImportError` at once. pydicom's codec plug-ins, and the
libraries behind them (GDCM, pylibjpeg, pyjpegls, Pillow), are registered on first use
(:mod:`overlay_core.cli.codec_plugins`). :mod:`importlib.metadata`, which pydicom imports
only to ask its own version (~50 ms here: it imports email, zipfile and csv, and indexes
every folder on ``sys.path``), is deferred too, its ``version`` answered from the
distribution's METADATA file meanwhile (:func:`_installed_version`).

:func:`one_blas_thread` keeps OpenBLAS, which ``import numpy`` loads, from starting a
thread per core that the command line never uses (no command multiplies large matrices):
about 20 ms less start-up, and half the CPU time of ``import numpy``, measured here.

Unlike :class:`importlib.util.LazyLoader` (not thread-safe before Python 3.12), the first use
runs the module under a lock, and another thread using it meanwhile waits for the whole
module.

Both are called by ``python -m overlay_core`` only (a whole process per command, where
start-up counts), never by the library or the app. The processes a command starts (batch's
workers) inherit the one BLAS thread, as a pool of one process per core should.

>>> import sys
>>> defer_unused_imports(); defer_unused_imports()  # installs one finder, however often called
>>> sum(isinstance(f, _DeferringFinder) for f in sys.meta_path)
1
>>> sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, _DeferringFinder)]
"""

from __future__ import annotations

import importlib.machinery
import os
import sys
import threading
import types
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

from overlay_core.cli.codec_plugins import WrappingLoader, defer_codec_plugins

if TYPE_CHECKING:  # importlib.abc imports importlib.resources, tempfile, shutil...: not at start-up
    from importlib.abc import Loader

__all__ = ["DEFERRED", "defer_unused_imports", "is_deferred", "one_blas_thread"]

#: The modules pydicom imports at start-up only for what it offers beyond reading and decoding.
DEFERRED = frozenset({"requests", "urllib.request", "PIL.ImageCms", "tqdm", "pydicom.examples",
                      # pydicom 2's pixel data handlers, kept for its old API: they import the
                      # codec libraries as they run (the new plug-ins: codec_plugins.py)
                      "pydicom.pixel_data_handlers.gdcm_handler",
                      "pydicom.pixel_data_handlers.pillow_handler",
                      "pydicom.pixel_data_handlers.jpeg_ls_handler",
                      "pydicom.pixel_data_handlers.pylibjpeg_handler",
                      # pydicom asks it only its own version: answered from its METADATA file
                      "importlib.metadata"})

_LOCK = threading.RLock()
_RUNNING: set[str] = set()  # deferred modules whose code is running (in the thread holding _LOCK)


class _DeferredModule(types.ModuleType):
    """A module created but not yet run; the first name looked up on it runs it."""

    def __getattr__(self, name: str) -> Any:
        # Called only for names the module does not have (yet), so a module that ran costs nothing.
        with _LOCK:
            if type(self) is _DeferredModule:
                if self.__name__ in _RUNNING:  # a lookup while its own code runs: not there yet
                    raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")
                _run(self)
        return getattr(self, name)  # an ordinary module now: its own __getattr__ too, if it has one


def _run(module: types.ModuleType) -> None:
    """Run a deferred module's code with its real loader, then make it an ordinary module."""
    spec = module.__spec__
    assert spec is not None and isinstance(spec.loader, _DeferringLoader)
    real = spec.loader.real
    _RUNNING.add(module.__name__)
    try:
        real.exec_module(module)
    finally:
        _RUNNING.discard(module.__name__)
    spec.loader = module.__loader__ = real
    module.__class__ = types.ModuleType  # only now: another thread waits on the lock until it is whole


class _DeferringLoader(WrappingLoader):
    """Create the module as the real loader would, and leave running it to its first use."""

    def exec_module(self, module: types.ModuleType) -> None:
        module.__dict__.update(_ANSWERED.get(module.__name__, {}))
        module.__class__ = _DeferredModule


class _DeferringFinder:
    """Find the modules of :data:`DEFERRED` as the other finders do, and defer running them."""

    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: types.ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        package = sys.modules.get(fullname.rpartition(".")[0])
        if package is not None and is_deferred(package):
            return _after_package(package, fullname)
        if fullname not in DEFERRED:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                break
        else:
            return None  # not installed: the import raises ImportError, as it would without us
        if spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec  # a namespace package, or a loader of the old kind: run at once
        spec.loader = cast("Loader", _DeferringLoader(spec.loader))  # a Loader by its methods
        return spec


class _ImportedLoader:
    """Hand the import system a submodule that running its package has just imported."""

    def __init__(self, module: types.ModuleType) -> None:
        self.module, self.spec = module, module.__spec__

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        return self.module

    def exec_module(self, module: types.ModuleType) -> None:
        module.__spec__ = self.spec  # its own spec back: it ran once, with its own loader


def _after_package(package: types.ModuleType, fullname: str) -> importlib.machinery.ModuleSpec | None:
    """Run a deferred package before one of its submodules is imported (``import requests.adapters``).

    Its code runs first, as it would without deferring; when that imports the submodule
    itself, the import system is handed that module, so it never runs twice.
    """
    with _LOCK:
        if is_deferred(package) and package.__name__ not in _RUNNING:
            _run(package)
    imported = sys.modules.get(fullname)
    if imported is None or imported.__spec__ is None:
        return None  # the other finders find it, as usual
    spec = importlib.machinery.ModuleSpec(fullname, cast("Loader", _ImportedLoader(imported)))
    imported.__spec__ = spec  # what the import system reads back for a module imported meanwhile
    return spec


def _installed_version(name: str) -> str:
    """Return :func:`importlib.metadata.version` of ``name``, read from its ``.dist-info`` folder.

    What pydicom asks as it is imported (its own version), without the ~50 ms of importing
    :mod:`importlib.metadata` (email, zipfile, csv) and indexing every folder on ``sys.path``.
    The folders are searched as importlib.metadata searches them, the first holding the
    distribution wins; anything else (an ``.egg-info`` or ``.egg``, a zip file on the path, two
    versions side by side, no Version field) is answered by the real function.
    """
    wanted = _normalized(name)
    for entry in sys.path:
        folder = entry or "."
        if os.path.isfile(folder):
            break  # a zip on the path: the real function looks inside it
        try:
            children = os.listdir(folder)
        except OSError:
            continue
        found = [c for c in children if c.lower().endswith((".dist-info", ".egg-info", ".egg"))
                 and _normalized(c.lower().rpartition(".")[0].partition("-")[0]) == wanted]
        if not found:
            continue
        if len(found) == 1 and found[0].lower().endswith(".dist-info"):
            version = _metadata_version(os.path.join(folder, found[0], "METADATA"))
            if version is not None:
                return version
        break
    import importlib.metadata  # the real function, which also raises PackageNotFoundError

    return importlib.metadata.distribution(name).version


def _normalized(name: str) -> str:
    """Return a distribution name as importlib.metadata compares it (PEP 503, dashes as underscores)."""
    import re

    return re.sub(r"[-_.]+", "_", name).lower()


def _metadata_version(path: str) -> str | None:
    """Return the Version field of a METADATA file's headers, or ``None``."""
    try:
        with open(path, encoding="utf-8") as file:
            for line in file:
                if not line.strip():
                    return None  # the headers end here
                if line.startswith("Version:"):
                    return line[len("Version:"):].strip()
    except OSError:
        return None
    return None


#: Names a deferred module answers without running (its code, once it runs, replaces them).
_ANSWERED: dict[str, dict[str, Any]] = {"importlib.metadata": {"version": _installed_version}}


def defer_unused_imports() -> None:
    """Make later imports of the modules in :data:`DEFERRED` run them on first use (once per process).

    pydicom's codec plug-ins are registered on first use as well
    (:func:`overlay_core.cli.codec_plugins.defer_codec_plugins`).
    """
    if not any(isinstance(f, _DeferringFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _DeferringFinder())
    defer_codec_plugins()


def is_deferred(module: types.ModuleType) -> bool:
    """Whether ``module`` was imported but has not run yet."""
    return type(module) is _DeferredModule


def one_blas_thread() -> None:
    """Ask OpenBLAS for one thread, unless the environment already says how many (before numpy loads)."""
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
