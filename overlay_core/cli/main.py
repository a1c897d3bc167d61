r"""``python -m overlay_core``: inspect, extract and edit overlay planes from scripts.

Exit status 0 on success and 2 for bad input (unreadable or non-DICOM files, unusable
planes, bad arguments), with exactly one line on stderr and no traceback. The input file
is never overwritten: every ``--out`` (and ``--npy``/``--png``) that resolves to the
input is refused. Every DICOM file a command writes is read back and checked first
(:func:`overlay_core.planes.writing.checked_bytes`); one that does not read back as edited
is an error, and nothing is written.

Each command family is a module of this package with a ``COMMANDS`` table (name to
:class:`~overlay_core.cli.common.Command`: help, a function adding its arguments, and its
runner); :data:`COMMANDS` joins them in the order ``--help`` lists them. To add a family,
write its module and add it to :data:`FAMILIES`.

Examples
--------
>>> build_parser().parse_args(["delete", "in.dcm", "--group", "6002", "--out", "o.dcm"]).group
24578
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from overlay_core.cli import batch, deid, formats, interop, planes, tools
from overlay_core.cli.common import PROG, Command, Parser
from overlay_core.errors import OverlayError

__all__ = ["COMMANDS", "FAMILIES", "QUICK_EXIT", "build_parser", "end", "main"]

#: The command families, in the order ``--help`` lists them.
FAMILIES = (planes, batch, interop, tools, formats, deid)

#: Every subcommand, by name.
COMMANDS: dict[str, Command] = {
    name: command for family in FAMILIES for name, command in family.COMMANDS.items()
}


#: The commands that read a file and write their outputs, and start nothing else (no process,
#: pool or connection): :func:`end` ends them without the interpreter's teardown.
QUICK_EXIT = frozenset(planes.COMMANDS)


def end(status: int, command: str | None) -> NoReturn:
    """End ``python -m overlay_core`` with ``status``; a :data:`QUICK_EXIT` command without teardown.

    The interpreter's teardown frees every module, array and cache one by one (~10-30 ms after
    a render), where the operating system frees the process at once; a quick-exit command's
    files are written and closed by then, so only stdout and stderr are flushed first (a reader
    that has gone, as ``info FILE | head``, is no error).
    """
    if command in QUICK_EXIT:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except BrokenPipeError:
            pass
        os._exit(status)
    raise SystemExit(status)


def build_parser(command_name: str | None = None) -> argparse.ArgumentParser:
    """Return the argument parser with one subparser per entry of :data:`COMMANDS`.

    With ``command_name`` (the command a command line names), only that subparser is built:
    its help and errors are the whole parser's, and the top-level usage line, which is all
    the top level shows when a command is named, is the same (each subparser costs ~0.4 ms,
    most of it argparse asking gettext for its messages' translations).
    """
    parser = Parser(prog=PROG, description="Inspect, extract and edit DICOM overlay planes.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, command in COMMANDS.items():
        if command_name is not None and name != command_name:
            continue
        child = sub.add_parser(name, help=command.help, description=command.help)
        command.configure(child)
        child.set_defaults(run=command.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (0 success, 2 bad input).

    Usage errors exit through :class:`SystemExit` with status 2, as argparse does.
    """
    words = list(sys.argv[1:] if argv is None else argv)
    named = words[0] if words and words[0] in COMMANDS else None  # the parser has no option before it
    args = build_parser(named).parse_args(words)
    try:
        status: int = args.run(args)
    except OverlayError as exc:
        print(f"{PROG} {args.command}: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `info FILE | head`: stop quietly, as Unix tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    return status
