"""``overlay_core.cli.main.build_parser``: a command line builds only its own command's subparser."""

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
    assert alone.format_usage() == whole.format_usage()  # what the top level prints with an error
    assert list(subparser_action(alone).choices) == [name]  # the others are not built


def subparser_action(parser: argparse.ArgumentParser) -> argparse._SubParsersAction:  # type: ignore[type-arg]
    return next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))


@pytest.mark.parametrize("words", [["render", "in.dcm", "--out", "o.png", "--bogus"], ["render", "in.dcm"],
                                   ["mask", "in.dcm", "--group", "zz", "--npy", "m.npy"]])
def test_a_named_command_fails_as_the_whole_parser_does(words: list[str], capsys: pytest.CaptureFixture[str]
                                                         ) -> None:
    messages = []
    for parser in (build_parser(), build_parser(words[0])):
        with pytest.raises(SystemExit) as stop:
            parser.parse_args(words)
        messages.append((stop.value.code, capsys.readouterr().err))
    assert messages[0] == messages[1] and messages[0][0] == 2
