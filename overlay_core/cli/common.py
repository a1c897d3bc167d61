"""What every command family shares: the parser, one-line errors, reading FILE, writing OUT.

Every helper that writes refuses an output that is the input file, and turns an ``OSError``
into one sentence (:class:`~overlay_core.errors.InvalidArgumentError`).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import numpy as np
from numpy.typing import NDArray
from pydicom.dataset import Dataset

from overlay_core.checks import check_frame_number
from overlay_core.cli.prefetch import open_input
from overlay_core.errors import InvalidArgumentError
from overlay_core.files.masks import mask_png, read_mask
from overlay_core.files.paths import same_file
from overlay_core.model import OverlayPlane, parse_group
from overlay_core.planes.reading import image_info, load
from overlay_core.planes.writing import Attributes

PROG = "python -m overlay_core"


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line on stderr, exit status 2."""

    def error(self, message: str) -> NoReturn:
        """Print the usage error as one line and exit with status 2."""
        self.exit(2, f"{self.prog}: error: {' '.join(message.split())}\n")


@dataclass(frozen=True)
class Command:
    """One subcommand: its help, a function adding its arguments, and its runner."""

    help: str
    configure: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


# --------------------------------------------------------------------------- helpers


def group_arg(text: str) -> int:
    """Parse ``--group`` for argparse: an even hex group 6000 to 601E."""
    try:
        return parse_group(text)
    except InvalidArgumentError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def read_dataset(path: str) -> Dataset:
    """Read and load FILE; a missing, unreadable or non-DICOM file is one sentence."""
    try:
        with open_input(path) as file:  # read by pydicom value by value: no copy of the whole file
            return load(file)
    except FileNotFoundError:
        raise InvalidArgumentError(f"The file {path} does not exist.") from None
    except IsADirectoryError:
        raise InvalidArgumentError(f"{path} is a folder, not a file.") from None
    except OSError as exc:
        raise InvalidArgumentError(f"The file {path} could not be read ({exc.strerror}).") from None


def check_output(out: str, source: str) -> Path:
    """Refuse an output path that is the input file (by path or by identity)."""
    target = Path(out)
    if same_file(target, source):
        raise InvalidArgumentError(f"Refusing to overwrite the input file {source}; choose another output.")
    if target.is_dir():
        raise InvalidArgumentError(f"The output {out} is a folder; give a file name.")
    return target


def write(out: str, source: str, data: bytes) -> None:
    """Write ``data`` to ``out`` (never the input ``source``)."""
    target = check_output(out, source)
    try:
        target.write_bytes(data)
    except OSError as exc:
        raise InvalidArgumentError(f"The output {out} could not be written ({exc.strerror}).") from None


def save_npy(out: str, source: str, array: NDArray[np.bool_]) -> None:
    """Write a mask as a uint8 0/1 ``.npy`` file."""
    target = check_output(out, source)
    try:
        with target.open("wb") as fh:
            np.save(fh, np.ascontiguousarray(array, dtype=bool).view(np.uint8))  # bools are 0/1: no copy
    except OSError as exc:
        raise InvalidArgumentError(f"The output {out} could not be written ({exc.strerror}).") from None


def save_png(out: str, source: str, bits: NDArray[np.bool_]) -> None:
    """Write frames as one 8-bit grayscale PNG (0 or 255), stacked top to bottom."""
    write(out, source, mask_png(bits))


def load_mask(path: str, frames: int | None = None) -> NDArray[np.bool_]:
    """Read a ``.npy`` or ``.png`` mask file with :func:`overlay_core.files.masks.read_mask`.

    A 2-D PNG is a vertical strip of frames, as ``extract --png`` writes it: with
    ``frames`` given and its height a multiple of it, it is split into that many frames.
    """
    suffix = Path(path).suffix.lower()
    if suffix not in (".npy", ".png"):
        raise InvalidArgumentError(f"The mask {path} must be a .npy or .png file.")
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise InvalidArgumentError(f"The mask file {path} does not exist.") from None
    except OSError as exc:
        raise InvalidArgumentError(f"The mask {path} could not be read ({exc.strerror}).") from None
    mask = read_mask(data)
    if mask.ndim == 2 and suffix == ".png" and frames and frames > 1 and mask.shape[0] % frames == 0:
        mask = mask.reshape(frames, mask.shape[0] // frames, mask.shape[1])
    return mask


def shape_text(shape: Sequence[int]) -> str:
    """Return a shape as people write it.

    >>> shape_text((2, 3))
    '2 x 3'
    """
    return " x ".join(str(v) for v in shape)


def report(out: str, plane: OverlayPlane, verb: str) -> None:
    """Print the one line a plane-writing command ends with."""
    print(
        f"{verb} group {plane.group_hex} ({shape_text(plane.shape)}, {plane.set_bits} pixels set) "
        f"and wrote {out}."
    )


def attributes(args: argparse.Namespace) -> Attributes:
    """Return the plane attributes given as options (origin, type, label, description)."""
    origin = (int(args.origin[0]), int(args.origin[1])) if getattr(args, "origin", None) else None
    return Attributes(
        origin=origin,
        type=getattr(args, "type", None),
        label=getattr(args, "label", None),
        description=getattr(args, "description", None),
    )


def add_out(parser: argparse.ArgumentParser) -> None:
    """Add ``--out`` (a DICOM file) and ``--new-uid``."""
    parser.add_argument("--out", required=True, metavar="OUT", help="the DICOM file to write (never FILE)")
    parser.add_argument("--new-uid", action="store_true", help="give the written file a new SOP Instance UID")


def add_file(parser: argparse.ArgumentParser, group: bool = True) -> None:
    """Add FILE and, unless ``group`` is false, a required ``--group``."""
    parser.add_argument("file", metavar="FILE", help="a DICOM file")
    if group:
        parser.add_argument("--group", required=True, type=group_arg, metavar="G",
                            help="the overlay group, an even hex number 6000 to 601E")


def add_derived_out(parser: argparse.ArgumentParser, what: str) -> None:
    """Add ``--out`` for a derived file (SEG, presentation state, ...)."""
    parser.add_argument("--out", required=True, metavar="OUT", help=f"the {what} to write (never FILE)")


def add_groups(parser: argparse.ArgumentParser) -> None:
    """Add a repeatable ``--group`` (default: every usable plane)."""
    parser.add_argument("--group", action="append", type=group_arg, metavar="G", dest="groups",
                        help="a plane to include (repeat for several; default: every usable plane)")


def add_frame(parser: argparse.ArgumentParser, default: int | None) -> None:
    """Add ``--frame``, a 1-based image frame."""
    parser.add_argument("--frame", type=int, default=default, metavar="N",
                        help="1-based image frame" + (f" (default {default})" if default else ""))


def frame_index(ds: Dataset, frame: int | None) -> int | None:
    """Check a 1-based ``--frame`` against the image and return it 0-based."""
    if frame is None:
        return None
    info = image_info(ds)
    if info.rows:  # without an image, the export itself says so
        check_frame_number(frame, info.frames)
    return frame - 1
