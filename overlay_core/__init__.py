"""overlay_core: read, check, unpack, place, render and write DICOM overlay planes.

The package re-exports the names most callers need; each module documents the rest.
Each re-exported name's module is imported on first use (PEP 562), so reading and
checking files (``python -m overlay_core info``) never loads rendering, editing or
Pillow's image code.

>>> import numpy as np
>>> from pydicom.dataset import Dataset
>>> from overlay_core import set_plane
>>> ds = Dataset()
>>> set_plane(ds, 0x6000, np.eye(4, dtype=bool)).set_bits
4
"""

from typing import TYPE_CHECKING, Any

from overlay_core.errors import (
    InvalidArgumentError,
    InvalidOverlayError,
    NotDicomError,
    OverlayError,
    PlaneNotFoundError,
    UnsupportedError,
)
from overlay_core.model import Finding, ImageInfo, OverlayPlane, OverlayType, Severity, parse_group

if TYPE_CHECKING:
    from overlay_core.audit.diagnostics import diagnose
    from overlay_core.edit.apply import Mode, Space, apply_canvas, apply_mask
    from overlay_core.planes.placement import combined_mask, image_mask, origin_offset
    from overlay_core.planes.reading import (
        image_info,
        load,
        plane_bits,
        read_plane,
        read_planes,
        unpack_plane,
    )
    from overlay_core.planes.writing import (
        Attributes,
        delete_plane,
        first_free_group,
        migrate_embedded,
        new_plane,
        set_attributes,
        set_plane,
        to_bytes,
    )
    from overlay_core.render.burn_in import burn_in_png
    from overlay_core.render.pixels import frame_image
    from overlay_core.render.styles import PlaneStyle, default_styles

#: Re-exported names by module, each module imported on first access to one of its names, so
#: that ``import overlay_core`` (and every command of the CLI) loads only what it uses.
_MODULES = {
    "audit.diagnostics": ("diagnose",),
    "edit.apply": ("Mode", "Space", "apply_canvas", "apply_mask"),
    "planes.placement": ("combined_mask", "image_mask", "origin_offset"),
    "planes.reading": ("image_info", "load", "plane_bits", "read_plane", "read_planes", "unpack_plane"),
    "planes.writing": ("Attributes", "delete_plane", "first_free_group", "migrate_embedded", "new_plane",
                       "set_attributes", "set_plane", "to_bytes"),
    "render.burn_in": ("burn_in_png",),
    "render.pixels": ("frame_image",),
    "render.styles": ("PlaneStyle", "default_styles"),
}
_LAZY = {name: module for module, names in _MODULES.items() for name in names}


def __getattr__(name: str) -> Any:
    """Import a lazily re-exported name's module on first access (PEP 562)."""
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "Attributes",
    "Finding",
    "ImageInfo",
    "InvalidArgumentError",
    "InvalidOverlayError",
    "Mode",
    "NotDicomError",
    "OverlayError",
    "OverlayPlane",
    "OverlayType",
    "PlaneNotFoundError",
    "PlaneStyle",
    "Severity",
    "Space",
    "UnsupportedError",
    "apply_canvas",
    "apply_mask",
    "burn_in_png",
    "combined_mask",
    "default_styles",
    "delete_plane",
    "diagnose",
    "first_free_group",
    "frame_image",
    "image_info",
    "image_mask",
    "load",
    "migrate_embedded",
    "new_plane",
    "origin_offset",
    "parse_group",
    "plane_bits",
    "read_plane",
    "read_planes",
    "set_attributes",
    "set_plane",
    "to_bytes",
    "unpack_plane",
]
