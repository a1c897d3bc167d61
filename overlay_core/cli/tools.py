"""Tool commands: fill, islands, margin, morph, logic, interpolate, stats and compare.

Each writing command reads FILE, changes one plane with a verb of :mod:`overlay_core.edit`,
and writes a checked new file (:func:`overlay_core.planes.writing.checked_bytes`) to OUT,
never FILE. Frames and seeds are 1-based like Overlay Origin; ``--frame`` is an image
frame (default 1). Bad input is one sentence on stderr, exit status 2, nothing written.
"""

from __future__ import annotations

import argparse
import json

from pydicom.dataset import Dataset

from overlay_core.cli.common import (
    Command,
    add_file,
    add_frame,
    add_out,
    check_output,
    frame_index,
    group_arg,
    read_dataset,
    report,
    write,
)
from overlay_core.errors import InvalidArgumentError
from overlay_core.model import OverlayPlane
from overlay_core.planes.placement import image_shape, origin_offset
from overlay_core.planes.reading import read_plane
from overlay_core.planes.writing import checked_bytes

#: :class:`overlay_core.edit.margin.MorphOp` and :class:`overlay_core.edit.logic.LogicOp` values, named
#: here so that building the parser imports neither (nor SciPy): every command's start-up pays for it.
MORPH_OPS = ("open", "close", "fill-holes")
LOGIC_OPS = ("union", "intersect", "subtract", "xor")

__all__ = ["COMMANDS", "parse_seed"]


def parse_seed(text: str) -> tuple[int, int]:
    """Parse ``ROW,COL`` (1-based image coordinates) for argparse.

    >>> parse_seed("12, 7")
    (12, 7)
    """
    try:
        row, col = (int(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f'"{text}" is not a seed; give ROW,COL, e.g. 120,64.') from None
    return row, col


def _save(args: argparse.Namespace, ds: Dataset, plane: OverlayPlane, verb: str) -> int:
    write(args.out, args.file, checked_bytes(ds, new_sop_instance_uid=args.new_uid))
    report(args.out, plane, verb)
    return 0


def _frame(ds: Dataset, args: argparse.Namespace) -> int:
    index = frame_index(ds, args.frame)
    return 0 if index is None else index


# --------------------------------------------------------------------------- fill


def _configure_fill(parser: argparse.ArgumentParser) -> None:
    add_file(parser)
    parser.add_argument("--seed", required=True, type=parse_seed, metavar="ROW,COL",
                        help="the pixel to grow from, 1-based image row and column (as Overlay Origin)")
    add_frame(parser, 1)
    parser.add_argument("--tolerance", required=True, type=float, metavar="T",
                        help="how far (modality units) a value may lie from the seed's value")
    parser.add_argument("--connectivity", type=int, choices=(4, 8), default=4, help="neighbours (default 4)")
    parser.add_argument("--erase", action="store_true", help="clear the region instead of setting it")
    add_out(parser)


def _run_fill(args: argparse.Namespace) -> int:
    from overlay_core.edit.fill import fill

    ds = read_dataset(args.file)
    check_output(args.out, args.file)
    _, rows, cols = image_shape(ds, "to fill")
    row, col = args.seed
    if not (1 <= row <= rows and 1 <= col <= cols):
        raise InvalidArgumentError(
            f"The seed {row},{col} lies outside the image: rows 1 to {rows}, columns 1 to {cols}."
        )
    plane = fill(ds, args.group, origin_offset(args.seed), _frame(ds, args), args.tolerance,
                 args.connectivity, "erase" if args.erase else "draw")
    return _save(args, ds, plane, "Erased a region of" if args.erase else "Filled a region of")


# --------------------------------------------------------------------------- islands, margin, morph


def _configure_islands(parser: argparse.ArgumentParser) -> None:
    add_file(parser)
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--keep-largest", action="store_true", help="keep only the largest 8-connected piece")
    what.add_argument("--min-size", type=int, metavar="N", help="remove the pieces of fewer than N pixels")
    add_frame(parser, 1)
    add_out(parser)


def _run_islands(args: argparse.Namespace) -> int:
    from overlay_core.edit.islands import keep_largest_island, remove_small_islands

    ds = read_dataset(args.file)
    check_output(args.out, args.file)
    frame = _frame(ds, args)
    if args.keep_largest:
        plane = keep_largest_island(ds, args.group, frame)
    else:
        plane = remove_small_islands(ds, args.group, args.min_size, frame)
    return _save(args, ds, plane, "Kept the islands of")


def _configure_margin(parser: argparse.ArgumentParser) -> None:
    add_file(parser)
    how = parser.add_mutually_exclusive_group(required=True)
    how.add_argument("--grow", type=float, metavar="R", help="grow by R pixels (or mm with --mm)")
    how.add_argument("--shrink", type=float, metavar="R", help="shrink by R pixels (or mm with --mm)")
    parser.add_argument("--mm", action="store_true", help="R is in mm, by Pixel Spacing")
    add_frame(parser, 1)
    add_out(parser)


def _run_margin(args: argparse.Namespace) -> int:
    from overlay_core.edit.margin import margin

    ds = read_dataset(args.file)
    check_output(args.out, args.file)
    radius = args.grow if args.grow is not None else -args.shrink
    if (args.grow is not None and args.grow <= 0) or (args.shrink is not None and args.shrink <= 0):
        raise InvalidArgumentError(f"The margin must be greater than 0, not {args.grow or args.shrink}.")
    plane = margin(ds, args.group, radius, _frame(ds, args), mm=args.mm)
    return _save(args, ds, plane, "Grew" if radius > 0 else "Shrank")


def _configure_morph(parser: argparse.ArgumentParser) -> None:
    add_file(parser)
    parser.add_argument("--op", required=True, choices=MORPH_OPS)
    parser.add_argument("--radius", type=float, default=1.0, metavar="R",
                        help="the disk's radius in pixels for open and close (default 1)")
    add_frame(parser, 1)
    add_out(parser)


def _run_morph(args: argparse.Namespace) -> int:
    from overlay_core.edit.margin import morph

    ds = read_dataset(args.file)
    check_output(args.out, args.file)
    plane = morph(ds, args.group, args.op, args.radius, _frame(ds, args))
    return _save(args, ds, plane, f"Applied {args.op} to")


# --------------------------------------------------------------------------- logic, interpolate


def _configure_logic(parser: argparse.ArgumentParser) -> None:
    add_file(parser, group=False)
    parser.add_argument("--op", required=True, choices=LOGIC_OPS)
    parser.add_argument("--a", required=True, type=group_arg, metavar="G1", help="the first plane")
    parser.add_argument("--b", required=True, type=group_arg, metavar="G2", help="the second plane")
    parser.add_argument("--into", type=group_arg, metavar="G3",
                        help="the group to write (replaced; default: a new plane in the first free group)")
    add_out(parser)


def _run_logic(args: argparse.Namespace) -> int:
    from overlay_core.edit.logic import logic

    ds = read_dataset(args.file)
    check_output(args.out, args.file)
    plane = logic(ds, args.op, args.a, args.b, args.into)
    return _save(args, ds, plane, f"Wrote the {args.op} into")


def _configure_interpolate(parser: argparse.ArgumentParser) -> None:
    add_file(parser)
    parser.add_argument("--from", dest="first", type=int, metavar="K1",
                        help="the first key frame (image frame)")
    parser.add_argument("--to", dest="last", type=int, metavar="K2", help="the last key frame (image frame)")
    add_out(parser)


def _plane_frame(plane: OverlayPlane, number: int | None, frames: int) -> int | None:
    """Turn a 1-based image frame into a 0-based plane frame."""
    if number is None:
        return None
    if not 1 <= number <= frames:
        raise InvalidArgumentError(f"Frame {number} does not exist: the image has {frames} frame(s).")
    first = plane.image_frame_origin if plane.frame_specific else 1
    if not first <= number < first + plane.frames:
        raise InvalidArgumentError(
            f"Image frame {number} is not one of overlay group {plane.group_hex}'s frames "
            f"(image frames {first} to {first + plane.frames - 1})."
        )
    return number - first


def _run_interpolate(args: argparse.Namespace) -> int:
    from overlay_core.edit.interpolate import interpolate

    ds = read_dataset(args.file)
    check_output(args.out, args.file)
    if (args.first is None) != (args.last is None):
        raise InvalidArgumentError("Give both --from and --to, or neither.")
    plane = read_plane(ds, args.group)
    frames = image_shape(ds, "to interpolate on")[0]
    first = _plane_frame(plane, args.first, frames)
    last = _plane_frame(plane, args.last, frames)
    plane, written = interpolate(ds, args.group, first, last)
    offset = plane.image_frame_origin if plane.frame_specific else 1
    print(f"Filled {len(written)} frame(s): image frames {', '.join(str(k + offset) for k in written)}.")
    return _save(args, ds, plane, "Interpolated")


# --------------------------------------------------------------------------- stats, compare


def _configure_stats(parser: argparse.ArgumentParser) -> None:
    add_file(parser)
    add_frame(parser, None)
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--write-roi", action="store_true",
                        help="write ROI Area/Mean/Standard Deviation (60xx,1301-1303) into a Type R plane")
    parser.add_argument("--out", metavar="OUT", help="the DICOM file --write-roi writes (never FILE)")
    parser.add_argument("--new-uid", action="store_true", help="give the written file a new SOP Instance UID")


def _run_stats(args: argparse.Namespace) -> int:
    from overlay_core.edit.stats import plane_statistics, statistics_lines, write_roi_statistics

    if args.write_roi and not args.out:
        raise InvalidArgumentError("--write-roi needs --out, the file to write.")
    if args.out and not args.write_roi:
        raise InvalidArgumentError("--out is only used with --write-roi.")
    ds = read_dataset(args.file)
    if args.out:
        check_output(args.out, args.file)
    stats = plane_statistics(ds, args.group, frame_index(ds, args.frame))
    if args.write_roi:
        plane = write_roi_statistics(ds, args.group)
        data = checked_bytes(ds, new_sop_instance_uid=args.new_uid)
    print(json.dumps(stats.document(), indent=2) if args.json else "\n".join(statistics_lines(stats)))
    if args.write_roi:
        write(args.out, args.file, data)
        if not args.json:
            report(args.out, plane, "Wrote ROI statistics into")
    return 0


def _configure_compare(parser: argparse.ArgumentParser) -> None:
    add_file(parser, group=False)
    parser.add_argument("--a", required=True, type=group_arg, metavar="G1", help="the plane of FILE")
    parser.add_argument("--b", required=True, type=group_arg, metavar="G2",
                        help="the plane to compare with (of FILE, or of --other)")
    parser.add_argument("--other", metavar="FILE2", help="a file of the same image size holding G2")
    parser.add_argument("--json", action="store_true", help="print JSON")


def _run_compare(args: argparse.Namespace) -> int:
    from overlay_core.audit.compare_planes import compare_planes

    ds = read_dataset(args.file)
    other = read_dataset(args.other) if args.other else None
    result = compare_planes(ds, args.a, args.b, other)
    if args.json:
        print(json.dumps(result.document(), indent=2))
        return 0
    for key, value in result.document().items():
        print(f"{key}: {'–' if value is None else value}")
    return 0


#: The tool commands, in the order ``--help`` lists them.
COMMANDS: dict[str, Command] = {
    "fill": Command("grow a region from a seed pixel within a tolerance and draw or erase it",
                    _configure_fill, _run_fill),
    "islands": Command("keep the largest piece of a plane's frame, or remove small pieces",
                       _configure_islands, _run_islands),
    "margin": Command("grow or shrink a plane's frame by pixels or mm", _configure_margin, _run_margin),
    "morph": Command("open, close or fill the holes of a plane's frame", _configure_morph, _run_morph),
    "logic": Command("union, intersect, subtract or xor two planes into a plane",
                     _configure_logic, _run_logic),
    "interpolate": Command("fill the empty frames between key frames of a multi-frame plane",
                           _configure_interpolate, _run_interpolate),
    "stats": Command("statistics of a plane (pixels, area, box, image values); --write-roi for Type R",
                     _configure_stats, _run_stats),
    "compare": Command("Dice, Jaccard, Hausdorff distance and area difference of two planes",
                       _configure_compare, _run_compare),
}
