"""Planes embedded in compressed Pixel Data: found from the header, and the image decompressed on request.

A retired plane embedded in compressed Pixel Data cannot be read or cleared without
decoding the image: this tool never re-encodes Pixel Data. De-identification refuses such a
file with one sentence unless the caller asks for ``decompress``; then the image is decoded
(after the same checks as rendering, :mod:`overlay_core.render.decoders`, safest decoder
first) and written in Explicit VR Little Endian, keeping the bits above *High Bit*
whatever the decoder returned for them (``correct_unused_bits=False``).

>>> from pydicom.dataset import Dataset
>>> embedded_in_compressed(Dataset())
[]
"""

from __future__ import annotations

import copy
import warnings

from pydicom.dataset import Dataset

from overlay_core.errors import UnsupportedError
from overlay_core.model import group_hex
from overlay_core.planes.reading import DATA, image_info, overlay_groups, plane_bits_allocated, tag
from overlay_core.render import decoders

__all__ = ["compressed_sentence", "decompress", "embedded_in_compressed"]


def embedded_in_compressed(ds: Dataset) -> list[int]:
    """Return the groups whose plane is embedded in compressed Pixel Data (judged from the header)."""
    info = image_info(ds)
    if not (info.has_pixel_data and info.compressed):
        return []
    return [g for g in overlay_groups(ds) if tag(g, DATA) not in ds and plane_bits_allocated(ds, g) > 1]


def compressed_sentence(ds: Dataset, groups: list[int]) -> str:
    """Return the one sentence that refuses a file with planes embedded in compressed Pixel Data."""
    names = ", ".join(group_hex(g) for g in groups)
    return (
        f"Overlay group(s) {names} are embedded in compressed Pixel Data "
        f"({image_info(ds).transfer_syntax_name}), which cannot be cleaned without decompressing "
        "the image; choose decompress to write it uncompressed."
    )


def decompress(ds: Dataset) -> None:
    """Decode compressed Pixel Data in place and store it as Explicit VR Little Endian.

    The SOP Instance UID is kept (the pixel values are the ones any viewer decodes);
    ``ds`` is unchanged when decoding fails.

    Raises
    ------
    UnsupportedError
        If a check fails or no installed decoder decodes the image.
    """
    info = image_info(ds)
    if not (info.has_pixel_data and info.compressed):
        return
    decoders.check_header(ds, info)
    for frame in range(info.frames):
        decoders.check_jpeg_frame(ds, info, frame)
    reasons = []
    for plugin in decoders.plugins_for(info.transfer_syntax):
        work = copy.copy(ds)  # a shallow copy: decompress replaces elements, it does not edit them
        work.file_meta = copy.deepcopy(ds.file_meta)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                work.decompress(decoding_plugin=plugin, generate_instance_uid=False,
                                correct_unused_bits=False, as_rgb=False)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # the plugin's own error (Rust plugins panic with a BaseException)
            text = str(exc).strip().splitlines()
            reasons.append(text[0] if text else type(exc).__name__)
            continue
        for elem in list(ds):
            if elem.tag not in work:
                del ds[elem.tag]
        for elem in work:
            ds[elem.tag] = elem
        ds.file_meta = work.file_meta
        return
    why = reasons[0][:200] if reasons else "no installed decoder"
    raise UnsupportedError(f"The {info.transfer_syntax_name} Pixel Data could not be decompressed ({why}).")
