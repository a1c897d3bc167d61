"""Greyscale display: the Modality LUT, the VOI LUT (windowing) and MONOCHROME1 inversion.

A greyscale image is shown in three steps (PS3.3 C.11, PS3.4 N.2.1.1):

1. the *Modality LUT*: (0028,1052) *Rescale Intercept* and (0028,1053) *Rescale Slope*, or
   (0028,3000) *Modality LUT Sequence*, turn stored values into modality values;
2. the *VOI LUT*: a window (0028,1050) *Window Center* / (0028,1051) *Window Width* with the
   (0028,1056) *VOI LUT Function*, or a table from (0028,3010) *VOI LUT Sequence*, picks the
   range of modality values to show;
3. MONOCHROME1 (and a (2050,0020) *Presentation LUT Shape* of ``INVERSE``) is inverted, so
   that the lowest value is white.

Both LUT steps are pydicom's (:func:`pydicom.pixels.apply_modality_lut`,
:func:`pydicom.pixels.apply_windowing`, :func:`pydicom.pixels.apply_voi`). They are applied
once to every possible stored value, which gives a lookup table of at most 65,536 grey levels;
a frame is then shown with a single table lookup per pixel, however large it is.

A :class:`Voi` names one choice of VOI transform: one of the file's presets, a manual window,
or the automatic window, which spans the smallest to the largest modality value of the frame
(the ``+Wm`` *min-max window* of DCMTK).
"""

from __future__ import annotations

import enum
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pydicom.dataset import Dataset
from pydicom.pixels.processing import apply_modality_lut, apply_voi, apply_windowing

from overlay_core.errors import InvalidArgumentError

__all__ = [
    "AUTOMATIC",
    "VOI_FUNCTIONS",
    "Voi",
    "VoiKind",
    "automatic_window",
    "default_voi",
    "file_presets",
    "grey_levels",
    "is_inverted",
    "look_up",
    "manual_window",
    "modality_values",
    "voi_unit",
]

#: The values of (0028,1056) *VOI LUT Function* (PS3.3 C.11.2.1.3).
VOI_FUNCTIONS = ("LINEAR", "LINEAR_EXACT", "SIGMOID")

# The synthetic dataset that drives apply_windowing maps every window onto 0..65535.
_OUT_MAX = 65535.0

# Values looked up per np.take: it turns its indices into 64-bit integers first, which for a
# whole 4096 x 4096 frame would be 128 MB of new memory (about three times slower).
_BAND = 1 << 16


class VoiKind(enum.StrEnum):
    """What a :class:`Voi` applies: a window, a file VOI LUT table, or the automatic window."""

    WINDOW = "window"
    LUT = "lut"
    AUTO = "auto"


@dataclass(frozen=True)
class Voi:
    """One choice of VOI transform.

    Attributes
    ----------
    kind : VoiKind
        ``window`` (``center``/``width``/``function``), ``lut`` (the ``index``-th item of
        (0028,3010) *VOI LUT Sequence*) or ``auto`` (resolved per frame by
        :func:`automatic_window`).
    name : str
        A label for a menu, e.g. ``"File preset 1: C 40 / W 400"``.
    center, width : float
        The window, in modality values (``kind == "window"`` only).
    function : str
        ``LINEAR``, ``LINEAR_EXACT`` or ``SIGMOID``.
    index : int
        The 0-based position of the preset in the file (``window`` and ``lut`` presets).

    Examples
    --------
    >>> manual_window(40, 400).name
    'Manual: C 40 / W 400'
    """

    kind: VoiKind
    name: str
    center: float = 0.0
    width: float = 0.0
    function: str = "LINEAR"
    index: int = 0


#: The automatic window: the frame's smallest to largest modality value.
AUTOMATIC = Voi(VoiKind.AUTO, "Automatic (min to max)")


def _num(value: float) -> str:
    """Format a window value without a needless ``.0``.

    >>> _num(40.0), _num(-0.5)
    ('40', '-0.5')
    """
    return f"{value:g}"


def _window_name(prefix: str, center: float, width: float, function: str) -> str:
    suffix = "" if function == "LINEAR" else f" ({function.lower()})"
    return f"{prefix}: C {_num(center)} / W {_num(width)}{suffix}"


def manual_window(center: float, width: float, function: str = "LINEAR") -> Voi:
    """Return a manual window.

    Parameters
    ----------
    center, width : float
        In modality values (after Rescale Slope/Intercept), as (0028,1050) and (0028,1051).
    function : str, optional
        ``LINEAR`` (default), ``LINEAR_EXACT`` or ``SIGMOID``.

    Raises
    ------
    InvalidArgumentError
        If the width is below 1 for ``LINEAR`` or not above 0 otherwise (PS3.3 C.11.2.1.2),
        or the function is unknown.

    Examples
    --------
    >>> manual_window(40, 0)
    Traceback (most recent call last):
    ...
    overlay_core.errors.InvalidArgumentError: The window width must be at least 1 for a LINEAR window, not 0.
    """
    function = str(function).strip().upper()
    if function not in VOI_FUNCTIONS:
        raise InvalidArgumentError(
            f'The VOI LUT Function must be one of {", ".join(VOI_FUNCTIONS)}, not "{function}".'
        )
    center, width = float(center), float(width)
    if not (np.isfinite(center) and np.isfinite(width)):
        raise InvalidArgumentError("The window center and width must be finite numbers.")
    if function == "LINEAR" and width < 1:
        raise InvalidArgumentError(
            f"The window width must be at least 1 for a LINEAR window, not {_num(width)}."
        )
    if width <= 0:
        raise InvalidArgumentError(f"The window width must be above 0, not {_num(width)}.")
    return Voi(VoiKind.WINDOW, _window_name("Manual", center, width, function), center, width, function)


def _values(ds: Dataset, keyword: str) -> list[Any]:
    if keyword not in ds:
        return []
    elem = ds[keyword]
    if elem.value is None or elem.value == "":
        return []
    value = elem.value
    return list(value) if elem.VM > 1 else [value]


def file_presets(ds: Dataset) -> list[Voi]:
    """List the file's VOI presets: its windows, then its VOI LUT tables, in file order.

    A window is named by its (0028,1055) *Window Center & Width Explanation* when the file
    gives one (``SOFT TISSUE``, ``LUNG``...), else ``File preset N``. Windows whose width is
    unusable for their function are left out.

    Examples
    --------
    >>> ds = Dataset(); ds.WindowCenter = [40, 300]; ds.WindowWidth = [400, 1500]
    >>> [p.name for p in file_presets(ds)]
    ['File preset 1: C 40 / W 400', 'File preset 2: C 300 / W 1500']
    >>> ds.WindowCenterWidthExplanation = ["SOFT TISSUE", ""]
    >>> [p.name for p in file_presets(ds)]
    ['SOFT TISSUE: C 40 / W 400', 'File preset 2: C 300 / W 1500']
    """
    presets: list[Voi] = []
    centers, widths = _values(ds, "WindowCenter"), _values(ds, "WindowWidth")
    explanations = [str(e or "").strip() for e in _values(ds, "WindowCenterWidthExplanation")]
    function = str(ds.get("VOILUTFunction", "") or "LINEAR").strip().upper()
    if function not in VOI_FUNCTIONS:
        function = "LINEAR"
    for i, (c, w) in enumerate(zip(centers, widths, strict=False)):
        try:
            voi = manual_window(float(c), float(w), function)
        except (InvalidArgumentError, TypeError, ValueError):
            continue
        name = (explanations[i] if i < len(explanations) else "") or f"File preset {i + 1}"
        presets.append(Voi(VoiKind.WINDOW, _window_name(name, voi.center, voi.width, function),
                           voi.center, voi.width, function, i))
    for i, item in enumerate(ds.get("VOILUTSequence") or []):
        if item.get("LUTDescriptor") is None or item.get("LUTData") is None:
            continue
        explanation = str(item.get("LUTExplanation", "") or "").strip()
        name = f"File VOI LUT {i + 1}" + (f": {explanation}" if explanation else "")
        presets.append(Voi(VoiKind.LUT, name, index=i))
    return presets


def default_voi(ds: Dataset) -> Voi:
    """Return the file's first preset (windows before VOI LUT tables), else :data:`AUTOMATIC`.

    >>> default_voi(Dataset()).kind
    <VoiKind.AUTO: 'auto'>
    """
    presets = file_presets(ds)
    return presets[0] if presets else AUTOMATIC


def modality_values(stored: NDArray[Any], ds: Dataset) -> NDArray[np.float64]:
    """Apply the Modality LUT (rescale or (0028,3000) table) to stored values.

    Parameters
    ----------
    stored : numpy.ndarray
        Stored pixel values (integers, bits above High Bit already removed).
    ds : pydicom.dataset.Dataset
        Holds the Modality LUT Module; with a (0028,3000) table it must also carry the
        transfer syntax in ``file_meta``.

    Examples
    --------
    >>> ds = Dataset(); ds.RescaleSlope = 2; ds.RescaleIntercept = -1024
    >>> modality_values(np.array([0, 10]), ds).tolist()
    [-1024.0, -1004.0]
    """
    return np.asarray(apply_modality_lut(stored, ds), dtype=np.float64)


def automatic_window(low: float, high: float) -> Voi:
    """Return the window that maps ``low`` to black and ``high`` to white, linearly.

    It is a ``LINEAR_EXACT`` window (PS3.3 C.11.2.1.3.2) with center ``(low + high) / 2``
    and width ``high - low`` (at least a tiny positive width, when the frame is flat).

    >>> automatic_window(0, 4095).name
    'Automatic: C 2047.5 / W 4095 (linear_exact)'
    """
    width = max(float(high) - float(low), 1e-6)
    center = (float(low) + float(high)) / 2
    return Voi(VoiKind.WINDOW, _window_name("Automatic", center, width, "LINEAR_EXACT"),
               center, width, "LINEAR_EXACT")


def _window_dataset(voi: Voi) -> Dataset:
    """Build a dataset that makes :func:`~pydicom.pixels.apply_windowing` output ``0..65535``.

    Unsigned 16-bit output range, no rescale (it has already been applied).
    """
    wds = Dataset()
    wds.PhotometricInterpretation = "MONOCHROME2"
    wds.BitsStored = 16
    wds.PixelRepresentation = 0
    # FD keeps the exact float (a DS string is limited to 16 characters).
    wds.add_new(0x00281050, "FD", voi.center)
    wds.add_new(0x00281051, "FD", voi.width)
    wds.VOILUTFunction = voi.function
    return wds


def voi_unit(modality: NDArray[Any], ds: Dataset, voi: Voi) -> NDArray[np.float64]:
    """Apply a VOI transform to modality values; return display values in ``0..1``.

    Parameters
    ----------
    modality : numpy.ndarray
        Modality values (the output of :func:`modality_values`).
    ds : pydicom.dataset.Dataset
        The image's dataset (for ``lut`` presets: its (0028,3010) *VOI LUT Sequence*).
    voi : Voi
        A ``window`` or ``lut`` choice; resolve ``auto`` with :func:`automatic_window` first.

    Raises
    ------
    InvalidArgumentError
        For an ``auto`` choice, or a ``lut`` preset the file does not have.

    Examples
    --------
    A LINEAR window C 50.5 / W 101 maps 0 to black and 100 to white (PS3.3 C.11.2.1.2.1):

    >>> voi_unit(np.array([0.0, 50.0, 100.0]), Dataset(), manual_window(50.5, 101)).tolist()
    [0.0, 0.5, 1.0]
    """
    if voi.kind is VoiKind.AUTO:
        raise InvalidArgumentError("Resolve the automatic window with automatic_window() first.")
    if voi.kind is VoiKind.WINDOW:
        out = apply_windowing(np.asarray(modality, dtype=np.float64), _window_dataset(voi))
        return np.asarray(out, dtype=np.float64) / _OUT_MAX
    items = ds.get("VOILUTSequence") or []
    if not 0 <= voi.index < len(items):
        raise InvalidArgumentError(
            f"The file has {len(items)} VOI LUT table(s); there is no table {voi.index + 1}."
        )
    depth = int(items[voi.index].LUTDescriptor[2])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = apply_voi(np.rint(modality).astype(np.int64), ds, voi.index)
    return np.asarray(out, dtype=np.float64) / float(2**depth - 1)


def is_inverted(ds: Dataset) -> bool:
    """Tell whether the lowest value is shown white.

    That is MONOCHROME1, or a (2050,0020) *Presentation LUT Shape* of ``INVERSE``.

    >>> ds = Dataset(); ds.PhotometricInterpretation = "MONOCHROME1"
    >>> is_inverted(ds)
    True
    """
    photometric = str(ds.get("PhotometricInterpretation", "") or "").strip().upper()
    shape = str(ds.get("PresentationLUTShape", "") or "").strip().upper()
    return photometric == "MONOCHROME1" or shape == "INVERSE"


def grey_levels(unit: NDArray[np.float64], inverted: bool) -> NDArray[np.uint8]:
    """Turn display values in ``0..1`` into 8-bit grey levels, inverting if asked.

    >>> grey_levels(np.array([0.0, 0.5, 1.0]), inverted=True).tolist()
    [255, 127, 0]
    """
    levels = np.rint(np.clip(unit, 0.0, 1.0) * 255.0).astype(np.uint8)
    return (255 - levels).astype(np.uint8) if inverted else levels


def look_up(table: NDArray[Any], patterns: NDArray[np.unsignedinteger[Any]]) -> NDArray[Any]:
    """Return ``table[patterns]``: the table's entry for each stored bit pattern.

    ``table`` has an entry for every value ``patterns`` can hold (65,536 for 16-bit
    patterns), so no index is out of range. The lookup runs in bands of :data:`_BAND` values.

    >>> look_up(np.array([10, 20, 30], np.uint8), np.array([[2, 0], [1, 1]], np.uint8)).tolist()
    [[30, 10], [20, 20]]
    """
    out = np.empty(patterns.shape, table.dtype)
    source, target = patterns.reshape(-1), out.reshape(-1)
    for start in range(0, source.size, _BAND):
        np.take(table, source[start:start + _BAND], out=target[start:start + _BAND], mode="clip")
    return out
