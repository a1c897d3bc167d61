"""Which decoder may see which Pixel Data: checks before any native decoder runs.

Native decoders (GDCM above all) can abort the whole process on input they do not
expect: GDCM throws an uncaught C++ exception on a JPEG Lossless file whose Bits
Allocated was changed to 32, and every session on the server goes with it. So, before
any decoder sees a frame:

1. the image attributes are checked against each other and against the transfer
   syntax (PS3.5 8.2, A.4): Bits Allocated and Bits Stored, Samples per Pixel,
   Photometric Interpretation, Planar Configuration, Pixel Representation;
2. for the JPEG family, the frame's own JPEG header (its SOF segment) is parsed and its
   precision, rows, columns and components must match the DICOM header;
3. the decoders that raise Python errors on bad input are preferred (pylibjpeg,
   pyjpegls, pydicom's RLE, Pillow); GDCM is used only for what nothing else decodes
   (JPEG Lossless here), and only after the checks above.

Every refusal is an :class:`~overlay_core.errors.UnsupportedError` with one sentence.
"""

from __future__ import annotations

import struct
import warnings
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pydicom.dataset import Dataset
from pydicom.encaps import get_frame
from pydicom.pixels.decoders.base import get_decoder
from pydicom.pixels.utils import pixel_array
from pydicom.uid import UID

from overlay_core.errors import UnsupportedError, clause
from overlay_core.model import ImageInfo

__all__ = [
    "PLUGIN_PREFERENCE", "check_header", "check_jpeg_frame", "decode", "jpeg_header", "native_words",
    "plugins_for",
]

#: Plugins in the order they are tried: those raising Python errors first, GDCM last.
PLUGIN_PREFERENCE = ("pylibjpeg", "pyjpegls", "pydicom", "pillow", "gdcm")

_JPEG_BASELINE = "1.2.840.10008.1.2.4.50"
_JPEG_EXTENDED = "1.2.840.10008.1.2.4.51"
_JPEG_LOSSLESS = ("1.2.840.10008.1.2.4.57", "1.2.840.10008.1.2.4.70")
_JPEG_LS = ("1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81")
_RLE = "1.2.840.10008.1.2.5"

# Allowed (Bits Allocated, largest Bits Stored) per transfer syntax family.
_BITS: dict[str, tuple[tuple[int, ...], int]] = {
    _JPEG_BASELINE: ((8,), 8),
    _JPEG_EXTENDED: ((8, 16), 12),
    **{ts: ((8, 16), 16) for ts in _JPEG_LOSSLESS},
    **{ts: ((8, 16), 16) for ts in _JPEG_LS},
    _RLE: ((8, 16, 32), 32),
}

_MONO = ("MONOCHROME1", "MONOCHROME2", "PALETTE COLOR")
_COLOUR = ("RGB", "YBR_FULL", "YBR_FULL_422", "YBR_ICT", "YBR_RCT", "YBR_PARTIAL_420")

# SOF markers: baseline, extended, progressive, lossless (Huffman and arithmetic), JPEG-LS.
_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF, 0xF7}


def _refuse(info: ImageInfo, why: str) -> UnsupportedError:
    return UnsupportedError(
        f"The image cannot be shown because its {info.transfer_syntax_name} Pixel Data {why}."
    )


def check_header(ds: Dataset, info: ImageInfo) -> None:
    """Raise unless the image attributes fit each other and the transfer syntax.

    Raises
    ------
    UnsupportedError
        Naming the attribute and what it should be.
    """
    ba, bs, spp = info.bits_allocated, info.bits_stored, info.samples_per_pixel
    if ba not in (1, 8, 16, 32, 64):
        raise _refuse(info, f"has Bits Allocated {ba} (expected 1, 8, 16, 32 or 64)")
    if not 1 <= bs <= ba:
        raise _refuse(info, f"has Bits Stored {bs} (expected 1 to Bits Allocated, {ba})")
    if spp not in (1, 3):
        raise _refuse(info, f"has Samples per Pixel {spp} (expected 1 or 3)")
    photometric = info.photometric.upper()
    expected = _MONO if spp == 1 else _COLOUR
    if photometric not in expected:
        raise _refuse(info, f'has Photometric Interpretation "{photometric[:20]}" with {spp} '
                            f"sample(s) per pixel (expected {' or '.join(expected[:3])}…)")
    representation = ds.get("PixelRepresentation", 0)
    if representation not in (0, 1, None, ""):
        raise _refuse(info, f"has Pixel Representation {str(representation)[:10]} (expected 0 or 1)")
    if spp == 3 and ds.get("PlanarConfiguration", 0) not in (0, 1, None, ""):
        raise _refuse(info, "has a Planar Configuration other than 0 or 1")
    allowed = _BITS.get(info.transfer_syntax)
    if info.compressed and allowed is not None:
        sizes, most = allowed
        if ba not in sizes or bs > most:
            raise _refuse(info, f"has Bits Allocated {ba} and Bits Stored {bs}, which this transfer "
                                f"syntax cannot hold (Bits Allocated {' or '.join(map(str, sizes))}, "
                                f"at most {most} bits stored)")


def jpeg_header(data: bytes) -> tuple[int, int, int, int] | None:
    """Return ``(precision, rows, columns, components)`` from a JPEG stream's SOF segment.

    ``None`` when the stream has no SOF before its first scan (or is not JPEG).

    >>> sof = bytes.fromhex("ffd8ffc3000b0c0004000501011100ffda")
    >>> jpeg_header(sof)
    (12, 4, 5, 1)
    """
    if data[:2] != b"\xff\xd8":
        return None
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            pos += 2
            continue
        (length,) = struct.unpack(">H", data[pos + 2:pos + 4])
        if marker in _SOF:
            if length < 8 or pos + 10 > len(data):
                return None
            precision, rows, cols, components = struct.unpack(">BHHB", data[pos + 4:pos + 10])
            return precision, rows, cols, components
        if marker in (0xDA, 0xD9) or length < 2:
            return None
        pos += 2 + length
    return None


def check_jpeg_frame(ds: Dataset, info: ImageInfo, frame: int) -> None:
    """For the JPEG family, raise unless the frame's SOF matches the DICOM header."""
    ts = info.transfer_syntax
    if ts not in (_JPEG_BASELINE, _JPEG_EXTENDED, *_JPEG_LOSSLESS, *_JPEG_LS):
        return
    try:
        data = get_frame(ds.PixelData, frame, number_of_frames=info.frames)
    except Exception as exc:  # pydicom's own parsing of the fragments
        raise _refuse(info, f"has no readable frame {frame + 1} ({str(exc).splitlines()[0][:80]})") from None
    header = jpeg_header(bytes(data[:65536]))
    if header is None:
        raise _refuse(info, f"frame {frame + 1} is not a JPEG stream with a frame header")
    precision, rows, cols, components = header
    if (rows, cols, components) != (info.rows, info.columns, info.samples_per_pixel):
        raise _refuse(info, f"frame {frame + 1} is {rows} x {cols} with {components} component(s), "
                            f"but the header says {info.rows} x {info.columns} with "
                            f"{info.samples_per_pixel} sample(s)")
    if precision > info.bits_allocated or precision < 2:
        raise _refuse(info, f"frame {frame + 1} has {precision}-bit samples, which do not fit "
                            f"Bits Allocated {info.bits_allocated}")


#: Native transfer syntaxes whose Pixel Data is little-endian words as stored: Implicit and
#: Explicit VR Little Endian, and Deflated (pydicom inflates the whole dataset as it reads it).
_NATIVE_LITTLE_ENDIAN = ("1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.1.99")


def native_words(ds: Dataset, info: ImageInfo, frame: int) -> NDArray[Any] | None:
    """Return one frame of native 8- or 16-bit greyscale Pixel Data as a read-only view of its bytes.

    The stored words as they are, bits above High Bit included (the caller removes them),
    ``uint`` or ``int`` by (0028,0103) *Pixel Representation*: what pydicom's native decoder
    reads before its copy and its own pass over those bits. ``None`` for anything else
    (colour, 1- and 32-bit, big-endian, float, or Pixel Data shorter than the frame), which
    pydicom decodes.

    >>> from overlay_core.planes.reading import image_info
    >>> ds = Dataset(); ds.Rows, ds.Columns, ds.BitsAllocated, ds.BitsStored = 1, 2, 16, 12
    >>> ds.SamplesPerPixel, ds.PixelRepresentation, ds.PhotometricInterpretation = 1, 0, "MONOCHROME2"
    >>> ds.PixelData = bytes([0xFF, 0x8F, 1, 0])
    >>> native_words(ds, image_info(ds), 0).tolist()
    [[36863, 1]]
    """
    if (info.transfer_syntax not in _NATIVE_LITTLE_ENDIAN or info.samples_per_pixel != 1
            or info.bits_allocated not in (8, 16)):
        return None
    representation = ds.get("PixelRepresentation", 0)
    data = ds.get("PixelData")
    size = info.rows * info.columns * info.bits_allocated // 8
    if representation not in (0, 1) or not isinstance(data, bytes) or len(data) < (frame + 1) * size:
        return None
    dtype = np.dtype(f"<{'i' if representation else 'u'}{info.bits_allocated // 8}")
    return np.frombuffer(data, dtype, info.rows * info.columns, frame * size).reshape(info.rows, info.columns)


def plugins_for(transfer_syntax: str) -> list[str]:
    """Return the installed plugins for a syntax, safest first (see :data:`PLUGIN_PREFERENCE`)."""
    try:
        available = get_decoder(UID(transfer_syntax)).available_plugins
    except NotImplementedError:
        return []
    return sorted(available, key=lambda p: PLUGIN_PREFERENCE.index(p) if p in PLUGIN_PREFERENCE else 0)


def decode(ds: Dataset, info: ImageInfo, frame: int) -> NDArray[Any]:
    """Decode one frame after the checks above, trying the safest plugin first.

    ``ds`` holds what decoding needs (see ``render.pixel_dataset``).

    Raises
    ------
    UnsupportedError
        If a check fails or no plugin decodes the frame.
    """
    if info.compressed:  # native data is unpacked by numpy, which raises Python errors
        check_header(ds, info)
        check_jpeg_frame(ds, info, frame)
    else:
        words = native_words(ds, info, frame)
        if words is not None:
            return words
    plugins = plugins_for(info.transfer_syntax) if info.compressed else [""]
    if not plugins:
        raise _refuse(info, "has no installed decoder")
    reasons = []
    for plugin in plugins:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return np.asarray(pixel_array(ds, index=frame, decoding_plugin=plugin))
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # the plugin's error (Rust plugins panic with a BaseException)
            reasons.append(clause(exc, first_line=True))
    raise _refuse(info, f"could not be decoded ({reasons[0][:200]})")
