"""``overlay_core.cli.main.build_parser``: a command line builds only its own command's arguments."""

from __future__ import annotations

import argparse

import pytest

from overlay_core.cli.main import COMMANDS, build_parser


def subparser(parser: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser:
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return actions[0].choices[name]


@pytest.mark.parametrize("name", list(COMMANDS))
def test_a_named_command_gets_the_arguments_of_the_whole_parser(name: str) -> None:
    whole, alone = build_parser(), build_parser(name)
    assert subparser(alone, name).format_help() == subparser(whole, name).format_help()
    assert alone.format_help() == whole.format_help()  # the list of commands, as --help shows it
    others = [other for other in COMMANDS if other != name]
    assert all(len(subparser(alone, other)._actions) == 1 for other in others)  # -h alone: not built
