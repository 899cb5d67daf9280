"""The command line's parser, shared by `python -m operations` and `python -m review`: argparse, with usage
errors returned as an exit status instead of exiting the process, so each `main(argv)` returns its code and
tests call it in process."""

from __future__ import annotations

import argparse
import sys


class CommandParser(argparse.ArgumentParser):
    """argparse, whose `exit` raises ParserExit (the status) instead of ending the process."""

    def exit(self, status: int = 0, message: str | None = None):  # noqa: A003 (argparse's name)
        if message:
            print(message, end="" if message.endswith("\n") else "\n", file=sys.stderr)
        raise ParserExit(status)


class ParserExit(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status
