"""Plane commands: info, extract, mask, apply, new, delete, migrate and render."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable

from pydicom.dataset import Dataset

from overlay_core.checks import check_frame_number, require_image
from overlay_core.cli.common import (
    PROG,
    Command,
    add_file,
    add_out,
    attributes,
    check_output,
    load_mask,
    read_dataset,
    report,
    save_npy,
    save_png,
    shape_text,
    write,
)
from overlay_core.edit.apply import Mode, Space, apply_mask
from overlay_core.errors import OverlayError
from overlay_core.model import group_hex, parse_groups
from overlay_core.planes.placement import image_mask
from overlay_core.planes.reading import image_info, overlay_groups, read_plane, unpack_plane
from overlay_core.planes.writing import checked_bytes, delete_plane, migrate_embedded, new_plane

__all__ = ["COMMANDS", "render_png"]


# --------------------------------------------------------------------------- info


def _configure_info(parser: argparse.ArgumentParser) -> None:
    add_file(parser, group=False)
    parser.add_argument("--json", action="store_true", help="print JSON (schema in the README)")


def _run_info(args: argparse.Namespace) -> int:
    ds = read_dataset(args.file)
    from overlay_core.audit.summary import info_document, info_lines  # the diagnostics: info only

    doc = info_document(ds, args.file)
    if args.json:
        from overlay_core.edit.stats import with_statistics  # decodes the image: only for --json

        doc = with_statistics(doc, ds)
        print(json.dumps(doc, indent=2))
        return 0
    print("\n".join(info_lines(doc, len(overlay_groups(ds)))))
    return 0


# --------------------------------------------------------------------------- extract, mask


def _configure_extract(parser: argparse.ArgumentParser) -> None:
    add_file(parser)
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--npy", metavar="OUT", help="write uint8 0/1, shape (frames, rows, cols)")
    target.add_argument("--png", metavar="OUT",
                        help="write an 8-bit PNG (0/255); several frames are stacked top to bottom")


def _run_extract(args: argparse.Namespace) -> int:
    ds = read_dataset(args.file)
    plane, bits, _ = unpack_plane(ds, args.group)
    if args.npy:
        save_npy(args.npy, args.file, bits)
    else:
        save_png(args.png, args.file, bits)
    print(f"Wrote group {plane.group_hex} ({shape_text(bits.shape)}, {plane.set_bits} pixels set) "
          f"to {args.npy or args.png}.")
    return 0


def _configure_mask(parser: argparse.ArgumentParser) -> None:
    add_file(parser)
    parser.add_argument("--npy", required=True, metavar="OUT",
                        help="write uint8 0/1, shape (image frames, image rows, image cols)")


def _run_mask(args: argparse.Namespace) -> int:
    ds = read_dataset(args.file)
    placed = image_mask(ds, args.group)
    save_npy(args.npy, args.file, placed)
    print(f"Wrote group {group_hex(args.group)} in image space ({shape_text(placed.shape)}, "
          f"{int(placed.sum())} pixels set) to {args.npy}.")
    return 0


# --------------------------------------------------------------------------- apply


#: Deprecated spellings still accepted, each with a warning on stderr.
_ALIASES: dict[str, dict[str, Mode | Space]] = {
    "--mode": {"add": Mode.DRAW},
    "--space": {"overlay": Space.PLANE},
}


def _configure_apply(parser: argparse.ArgumentParser) -> None:
    add_file(parser)
    parser.add_argument("--mask", required=True, metavar="M",
                        help="a .npy array or .png image (see the README for the PNG rule)")
    add_out(parser)
    parser.add_argument("--mode", choices=[*(m.value for m in Mode), *_ALIASES["--mode"]],
                        default=Mode.REPLACE.value,
                        help="replace the plane's bits (default), draw the mask onto them or erase it "
                             "('add' is a deprecated alias of 'draw')")
    parser.add_argument("--within", metavar="LOW,HIGH",
                        help="change only the pixels whose image value lies in LOW to HIGH (modality units)")
    parser.add_argument("--space", choices=[*(m.value for m in Space), *_ALIASES["--space"]],
                        default=Space.PLANE.value,
                        help="the mask has the plane's own (frames,) rows, cols (default) or the image's "
                             "('overlay' is a deprecated alias of 'plane')")


def _choice(args: argparse.Namespace, option: str, value: str) -> str:
    alias = _ALIASES[option].get(value)
    if alias is None:
        return value
    print(f"{PROG} {args.command}: warning: {option} {value} is deprecated; use {option} {alias}.",
          file=sys.stderr)
    return alias.value


def _run_apply(args: argparse.Namespace) -> int:
    ds = read_dataset(args.file)
    check_output(args.out, args.file)
    mode, space = _choice(args, "--mode", args.mode), _choice(args, "--space", args.space)
    try:
        frames: int | None = read_plane(ds, args.group).frames
    except OverlayError:
        frames = None
    from overlay_core.edit.masking import IntensityRange, limited  # reads the image's values

    with limited(ds, args.group, IntensityRange.parse(args.within) if args.within else None):
        apply_mask(ds, args.group, load_mask(args.mask, frames), mode, space, frame=None)
    result = read_plane(ds, args.group)
    write(args.out, args.file, checked_bytes(ds, new_sop_instance_uid=args.new_uid))
    report(args.out, result, "Set")
    return 0


# --------------------------------------------------------------------------- new, delete, migrate


def _configure_new(parser: argparse.ArgumentParser) -> None:
    add_file(parser, group=False)
    add_out(parser)
    parser.add_argument("--mask", metavar="M",
                        help="a .npy or .png mask (default: an empty image-sized plane)")
    parser.add_argument("--label", help="(60xx,1500) Overlay Label")
    parser.add_argument("--description", help="(60xx,0022) Overlay Description")
    parser.add_argument("--type", choices=("G", "R"), help="(60xx,0040) Overlay Type (default G)")
    parser.add_argument("--origin", type=int, nargs=2, metavar=("ROW", "COL"),
                        help="(60xx,0050) Overlay Origin, 1-based (default 1 1)")


def _run_new(args: argparse.Namespace) -> int:
    ds = read_dataset(args.file)
    check_output(args.out, args.file)
    mask = load_mask(args.mask) if args.mask else None
    plane = new_plane(ds, mask, attributes(args))
    write(args.out, args.file, checked_bytes(ds, new_sop_instance_uid=args.new_uid))
    report(args.out, plane, "Created")
    return 0


def _configure_group_out(parser: argparse.ArgumentParser) -> None:
    add_file(parser)
    add_out(parser)


def _run_delete(args: argparse.Namespace) -> int:
    ds = read_dataset(args.file)
    check_output(args.out, args.file)
    delete_plane(ds, args.group)
    write(args.out, args.file, checked_bytes(ds, new_sop_instance_uid=args.new_uid))
    print(f"Deleted group {group_hex(args.group)} and wrote {args.out}.")
    return 0


def _run_migrate(args: argparse.Namespace) -> int:
    ds = read_dataset(args.file)
    check_output(args.out, args.file)
    plane = migrate_embedded(ds, args.group)
    write(args.out, args.file, checked_bytes(ds, new_sop_instance_uid=args.new_uid))
    report(args.out, plane, "Migrated")
    return 0


# --------------------------------------------------------------------------- render


def _configure_render(parser: argparse.ArgumentParser) -> None:
    add_file(parser, group=False)
    parser.add_argument("--out", required=True, metavar="PNG", help="the PNG file to write (never FILE)")
    parser.add_argument("--frame", type=int, default=1, metavar="K", help="1-based frame number (default 1)")
    parser.add_argument("--window", type=float, nargs=2, metavar=("CENTER", "WIDTH"),
                        help="a LINEAR window (default: the file's first preset, else min to max)")
    parser.add_argument("--overlays", default="all", metavar="all|none|6000,6002",
                        help="the planes to paint, each in its palette colour (default all)")
    parser.add_argument("--max-size", type=int, metavar="N",
                        help="the longest side in pixels (default: full resolution)")


def render_png(
    ds: Dataset,
    *,
    frame: int = 1,
    window: tuple[float, float] | None = None,
    overlays: str | Iterable[int | str] = "all",
    max_size: int | None = None,
) -> bytes:
    """Render a frame with its overlay planes to PNG bytes: the CLI's 1-based edge of the burn-in.

    Checks the 1-based frame number and parses the window and the groups, then calls
    :func:`overlay_core.render.burn_in.burn_in_png` (every shown plane in its palette colour,
    solid).

    Parameters
    ----------
    ds : pydicom.dataset.Dataset
        The image and its overlay groups.
    frame : int, optional
        **1-based** frame number (DICOM numbering), default 1.
    window : (float, float), optional
        A manual LINEAR window ``(center, width)``; default: the file's first preset, else
        the automatic min-max window.
    overlays : str or iterable, optional
        ``"all"`` (every usable plane), ``"none"``, or groups such as ``"6000,6002"``.
    max_size : int, optional
        The longest side of the output; default: full resolution.

    Raises
    ------
    InvalidArgumentError
        For a file without an image, a frame out of range, a bad window or group.
    PlaneNotFoundError, InvalidOverlayError
        If a listed group is absent or unusable.
    UnsupportedError
        If the image cannot be decoded (the message says why).
    """
    # Rendering is imported here, so that the other commands start without it.
    from overlay_core.render.burn_in import burn_in_png
    from overlay_core.render.windowing import manual_window

    info = image_info(ds)
    require_image(info, "to render")
    check_frame_number(frame, info.frames)
    voi = manual_window(*window) if window is not None else None
    return burn_in_png(ds, frame=frame - 1, voi=voi, groups=parse_groups(overlays), max_size=max_size)


def _run_render(args: argparse.Namespace) -> int:
    ds = read_dataset(args.file)
    check_output(args.out, args.file)
    png = render_png(ds, frame=args.frame, window=args.window, overlays=args.overlays, max_size=args.max_size)
    write(args.out, args.file, png)
    print(f"Rendered frame {args.frame} with overlays {args.overlays} and wrote {args.out}.")
    return 0


#: The plane commands, in the order ``--help`` lists them.
COMMANDS: dict[str, Command] = {
    "info": Command("show the image, every overlay plane and the diagnostics", _configure_info, _run_info),
    "extract": Command("write a plane's own bits (frames, rows, cols)", _configure_extract, _run_extract),
    "mask": Command("write a plane placed on the image (frames, rows, cols)", _configure_mask, _run_mask),
    "apply": Command("set a plane from a mask and write a new file", _configure_apply, _run_apply),
    "new": Command("create a plane in the first free group", _configure_new, _run_new),
    "delete": Command("remove a plane (all of its elements)", _configure_group_out, _run_delete),
    "migrate": Command("move a plane embedded in Pixel Data to Overlay Data", _configure_group_out,
                       _run_migrate),
    "render": Command("draw a frame with its overlay planes to a PNG", _configure_render, _run_render),
}
