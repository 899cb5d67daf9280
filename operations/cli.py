"""The command line: one argparse parser with a subcommand per operation (`load-secrets`, `run`, `backfill`,
`repair`, `status`, `freshness`), each registered by its module.

`main(argv)` never raises and never exits: it returns the exit code (0 done, 1 failed, 2 usage error,
130 interrupted), so tests call it in process.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from core.cli import CommandParser, ParserExit
from operations import OperationError, freshness, load_secrets, runs, status
from operations.hints import PROG


def build_parser() -> argparse.ArgumentParser:
    parser = CommandParser(prog=PROG, allow_abbrev=False,
                     description="Operate the connector platform's deployed environments (see docs/operations.md).")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True, parser_class=CommandParser)
    load_secrets.register(commands)
    runs.register_run(commands)
    runs.register_backfill(commands)
    runs.register_repair(commands)
    status.register(commands)
    freshness.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args, extra = parser.parse_known_args(argv)
    except ParserExit as done:
        return done.status
    if extra:
        # Not echoed: an operator who typed a secret value on the command line must not see it in the output
        # (nor in a CI log) as well as in their shell history.
        print(f"{parser.prog} {args.command}: error: {len(extra)} unexpected argument(s) (not shown). "
              f"{args.extra_hint}", file=sys.stderr)
        return 2
    try:
        return args.run(args)
    except OperationError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        # a command's hint may name the command that shows what goes on: a function of the arguments
        hint = args.interrupt_hint(args) if callable(args.interrupt_hint) else args.interrupt_hint
        print(f"interrupted; {hint}", file=sys.stderr)
        return 130
