"""The one way a beetcrate plugin declares ``beet NAME ACTION [options] [args]`` (or ``beet NAME
[options] [args]`` for a command of one action).

beets gives a plugin one ``Subcommand`` with one option parser. beetcrate's plugins have
several actions each (``beet dupes scan|list|…``) whose options differ, so each plugin declares
its actions as ``Action`` values and ``subcommand`` builds the beets command: ``beet NAME
--help`` lists the actions, ``beet NAME ACTION --help`` shows that action's own options, an
option of another action is refused, and an unknown action is a one-line ``UserError``.
"""

from __future__ import annotations

import optparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NoReturn

from beets import ui
from beets.library import Library

ActionFunc = Callable[[Library, optparse.Values, list[str]], None]


@dataclass(frozen=True)
class Action:
    """One action of a plugin command: its name, its help, its options and what it runs."""

    name: str
    help: str
    run: ActionFunc
    arguments: str = ""  # shown in the usage line, e.g. "[QUERY]"
    options: Sequence[optparse.Option] = ()

    def parser(self, command: str) -> optparse.OptionParser:
        parser = _ActionParser(
            usage=f"beet {command} {self.name} [options] {self.arguments}".rstrip(),
            description=self.help,
            option_list=list(self.options),
        )
        return parser


class _ActionParser(optparse.OptionParser):
    """optparse's error() exits the process; a wrong option is a one-line UserError instead."""

    def error(self, msg: str) -> NoReturn:
        raise ui.UserError(msg)


def option(*flags: str, **settings: object) -> optparse.Option:
    """An option of one action, as ``optparse.make_option`` takes it."""
    return optparse.make_option(*flags, **settings)  # type: ignore[arg-type]


def subcommand(
    name: str,
    help: str,
    actions: Sequence[Action],
    user_errors: tuple[type[Exception], ...] = (),
) -> ui.Subcommand:
    """The beets ``Subcommand`` for ``beet NAME ACTION …`` over ``actions``. An exception of
    ``user_errors`` (the plugin's own "this cannot be done, because…") ends the action as
    beets' one-line ``UserError``, never a traceback."""
    by_name = {action.name: action for action in actions}
    synopses = [f"{a.name} {a.arguments}".rstrip() for a in actions]
    width = max(map(len, synopses)) + 2
    listing = "\n".join(
        f"  {synopsis.ljust(width)}{a.help}" for synopsis, a in zip(synopses, actions, strict=True)
    )
    command = ui.Subcommand(name, help=help)
    command.parser.usage = (
        f"%prog ACTION [options] [args]\n\nactions:\n{listing}\n\n"
        f"Run `beet {name} ACTION --help` for an action's options."
    )
    # Everything after the action belongs to the action's own parser.
    command.parser.disable_interspersed_args()

    def run(lib: Library, _opts: optparse.Values, args: list[str]) -> None:
        if not args or args[0] not in by_name:
            known = ", ".join(by_name)
            given = f"unknown action {args[0]!r}; " if args else ""
            raise ui.UserError(f"beet {name}: {given}choose one of {known} (beet {name} --help)")
        action = by_name[args[0]]
        opts, rest = action.parser(name).parse_args(args[1:])
        try:
            action.run(lib, opts, rest)
        except user_errors as error:
            raise ui.UserError(str(error)) from error

    command.func = run
    return command


def command(
    name: str,
    action: Action,
    user_errors: tuple[type[Exception], ...] = (),
) -> ui.Subcommand:
    """The beets ``Subcommand`` for ``beet NAME [options] ARGUMENTS``: one action, no action
    word. Its errors of ``user_errors`` end it as one-line ``UserError``s, as in ``subcommand``."""
    declared = ui.Subcommand(name, help=action.help)
    declared.parser.usage = f"%prog [options] {action.arguments}".rstrip()
    for option_ in action.options:
        declared.parser.add_option(option_)

    def run(lib: Library, opts: optparse.Values, args: list[str]) -> None:
        try:
            action.run(lib, opts, args)
        except user_errors as error:
            raise ui.UserError(str(error)) from error

    declared.func = run
    return declared
