"""The two de-identification profiles for overlays, as the CLI, batch and the app name them.

:func:`deidentify` applies one to a dataset, records it (:mod:`overlay_core.deid.record`)
and returns the report: what was found, removed and kept, per plane and frame.
"""

from __future__ import annotations

from typing import Any

from pydicom.dataset import Dataset

from overlay_core.deid import ocr
from overlay_core.deid.clean import clean_graphics
from overlay_core.deid.record import CODES, method_text, record
from overlay_core.deid.remove import remove_overlays
from overlay_core.model import Choice

__all__ = ["Profile", "deidentify", "finish"]


class Profile(Choice):
    """``remove``: the Basic Profile (every overlay removed); ``clean-graphics``: text erased."""

    REMOVE = "remove"
    CLEAN_GRAPHICS = "clean-graphics"


def finish(ds: Dataset, profile: Profile | str, report: dict[str, Any],
           header_deidentified: bool = False) -> dict[str, Any]:
    """Record the profile in ``ds`` and complete ``report`` with what was recorded."""
    profile = Profile.coerce(profile)
    engine = f"{ocr.ENGINE} {ocr.engine_version()}" if profile is Profile.CLEAN_GRAPHICS else ""
    record(ds, profile.value, engine, header_deidentified=header_deidentified)
    code, meaning = CODES[profile.value]
    report.update(
        profile=profile.value,
        engine=engine or None,
        method=method_text(profile.value, engine),
        code={"value": code, "scheme": "DCM", "meaning": meaning},
        patient_identity_removed=bool(header_deidentified),
    )
    return report


def deidentify(ds: Dataset, profile: Profile | str, decompress_image: bool = False,
               header_deidentified: bool = False) -> dict[str, Any]:
    """Apply ``profile`` to ``ds`` in place, record it, and return the report.

    Raises
    ------
    InvalidArgumentError
        If ``profile`` is not one of :class:`Profile`.
    UnsupportedError
        If planes are embedded in compressed Pixel Data and ``decompress_image`` is false,
        or (Clean Graphics) the OCR engine is missing; ``ds`` is unchanged then.
    """
    profile = Profile.coerce(profile)
    if profile is Profile.REMOVE:
        report = remove_overlays(ds, decompress_image)
    else:
        report = clean_graphics(ds, decompress_image=decompress_image)
    return finish(ds, profile, report, header_deidentified)
