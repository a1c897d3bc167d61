"""pydicom's codec plug-ins registered when a codec is first asked about, not at ``import pydicom``.

``import pydicom`` registers the decoder and encoder plug-ins of every compressed transfer
syntax (:mod:`pydicom.pixels.decoders.base`, :mod:`pydicom.pixels.encoders.base`), and
registering one imports the library behind it to ask whether it is there: GDCM, pylibjpeg
with openjpeg and its RLE plug-in, pyjpegls and Pillow. Measured here that was ~100 ms of
the ~0.5 s every command spent starting, while native (uncompressed) Pixel Data, the common
case, needs no plug-in at all; and it brought in Pillow, which ``info`` and ``mask`` never use.

:func:`defer_codec_plugins` lets those two modules record their ``add_plugin`` calls instead
of making them. The first time any decoder or encoder is asked about its plug-ins (its
``available_plugins``, ``is_available`` or ``missing_dependencies``, decoding or encoding a
compressed frame, adding or removing a plug-in), every recorded call is made, in its order,
exactly as pydicom would have made it at import, and pydicom's classes are left as they
were: the same plug-in tables and docstrings, only built later. A coder without a recorded
call (the native decoders, which decode uncompressed Pixel Data) has its final tables
already, so asking it makes nothing.

Called by ``python -m overlay_core`` only (through
:func:`overlay_core.cli.startup.defer_unused_imports`), before pydicom is imported; in a
process that has imported pydicom already it does nothing.

>>> import sys
>>> "pydicom.pixels.common" in sys.modules  # pytest imported pydicom: nothing to defer here
True
>>> defer_codec_plugins(); any(isinstance(f, _Finder) for f in sys.meta_path)
False
"""

from __future__ import annotations

import importlib.machinery
import sys
import threading
import types
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:  # importlib.abc imports importlib.resources, tempfile, shutil...: not at start-up
    from importlib.abc import Loader

__all__ = ["WrappingLoader", "defer_codec_plugins", "plugins_registered"]

_COMMON = "pydicom.pixels.common"  # defines CoderBase, the base of Decoder and Encoder
#: The modules that register plug-ins as they are imported, and the function each has that
#: writes its coders' docstrings from their plug-in tables (run again once the tables are full).
_REGISTRARS = {"pydicom.pixels.decoders.base": "_build_decoder_docstrings",
               "pydicom.pixels.encoders.base": "_build_encoder_docstrings"}
#: CoderBase's members that read or change the plug-in tables: each registers the recorded calls first.
_READERS = ("add_plugin", "available_plugins", "is_available", "missing_dependencies",
            "remove_plugin", "_validate_plugins")

_LOCK = threading.RLock()
_state: dict[str, Any] = {"recording": False, "registering": False, "coder_base": None}
_pending: list[tuple[Any, str, tuple[str, str]]] = []  # (coder, label, import path) in call order
_originals: dict[str, Any] = {}  # CoderBase's own members while they are wrapped


def defer_codec_plugins() -> None:
    """Record pydicom's plug-in registrations at import and make them on first use (once per process)."""
    if _COMMON in sys.modules or any(isinstance(f, _Finder) for f in sys.meta_path):
        return
    sys.meta_path.insert(0, _Finder())


def plugins_registered() -> bool:
    """Whether no recorded plug-in registration is waiting (true in a process that never deferred)."""
    return not _pending and not _originals


def _register_recorded() -> None:
    """Make every recorded ``add_plugin`` call, in order, then give CoderBase its own members back."""
    with _LOCK:
        if _state["registering"] or not _originals:
            return
        _state["registering"] = True
        try:
            add_plugin = _originals["add_plugin"]
            for coder, label, import_path in _pending:  # emptied only when all are made (other threads wait)
                add_plugin(coder, label, import_path)
            _pending.clear()
            for module_name, builder in _REGISTRARS.items():
                module = sys.modules.get(module_name)
                if module is not None and hasattr(module, builder):
                    getattr(module, builder)()
        finally:
            coder_base = _state["coder_base"]
            for name, member in _originals.items():
                setattr(coder_base, name, member)
            _originals.clear()
            _state["registering"] = False


def _register_recorded_for(coder: Any) -> None:
    """Make the recorded registrations if ``coder`` has one waiting (else its tables are final already).

    The native decoders, which decode uncompressed Pixel Data, have no plug-in, so reading a
    native frame never makes them.
    """
    if any(waiting is coder for waiting, _, _ in _pending):
        _register_recorded()


def _registering_first(name: str, member: Any) -> Any:
    """Wrap a CoderBase method or property so that it makes the recorded registrations first."""
    if isinstance(member, property):
        getter = cast("Callable[[Any], Any]", member.fget)

        def get(self: Any) -> Any:
            _register_recorded_for(self)
            return getter(self)

        return property(get, doc=member.__doc__)

    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        if name == "add_plugin" and _state["recording"]:
            label, import_path = args
            _pending.append((self, label, tuple(import_path)))
            return None
        _register_recorded_for(self)
        return _originals.get(name, member)(self, *args, **kwargs)

    call.__doc__, call.__name__ = member.__doc__, name
    return call


def _wrap(coder_base: type) -> None:
    """Wrap CoderBase's members that touch the plug-in tables (right after its module ran)."""
    _state["coder_base"] = coder_base
    for name in _READERS:
        member = coder_base.__dict__[name]
        _originals[name] = member
        setattr(coder_base, name, _registering_first(name, member))


class WrappingLoader:
    """A loader that creates the module as the real one would; subclasses decide how it runs."""

    def __init__(self, real: Loader) -> None:
        self.real = real

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType | None:
        """Create the module as the real loader does (``None``: Python's default)."""
        return self.real.create_module(spec)


class _Loader(WrappingLoader):
    """Run a module with its real loader; wrap CoderBase after its module; record while a registrar runs."""

    def exec_module(self, module: types.ModuleType) -> None:
        module.__loader__ = self.real
        if module.__spec__ is not None:
            module.__spec__.loader = self.real
        if module.__name__ == _COMMON:
            self.real.exec_module(module)
            _wrap(module.CoderBase)
            return
        with _LOCK:  # a registrar imports CoderBase's module first: wrapped before it registers
            _state["recording"] = True
            try:
                self.real.exec_module(module)
            finally:
                _state["recording"] = False


class _Finder:
    """Find CoderBase's module and the two registrars as the other finders do, with :class:`_Loader`."""

    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: types.ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        if fullname != _COMMON and fullname not in _REGISTRARS:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                break
        else:
            return None
        if spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        spec.loader = cast("Loader", _Loader(spec.loader))  # a Loader by its methods
        return spec
