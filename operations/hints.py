"""The commands the operations suggest (`python -m operations repair --env prod github`, `npx cdktf deploy prod`),
written so that they work pasted into the shell the operator typed theirs in.

An operator who chose the config with --config gets it in every suggested command: `--config PATH` for an
operation, `CONNECTORS_CONFIG=PATH` for a deploy (main.py reads the config from that variable), PATH as they typed
it (relative paths stay relative to where they are) and shell-quoted. Without --config the config is the default
($CONNECTORS_CONFIG, else connectors.yaml), which the suggested commands find by themselves: they keep their
short form.
"""

from __future__ import annotations

import argparse
import shlex
from dataclasses import dataclass

PROG = "python -m operations"


@dataclass(frozen=True)
class Hints:
    config: str | None = None  # --config as the operator typed it; None: the default config

    def operation(self, command: str, env: str, *names: str) -> str:
        """'python -m operations repair --env prod --config ops/connectors.yaml github'"""
        config = f" --config {shlex.quote(self.config)}" if self.config else ""
        return f"{PROG} {command} --env {shlex.quote(env)}{config}" + "".join(f" {shlex.quote(n)}" for n in names)

    def deploy(self, stack: str) -> str:
        """'npx cdktf deploy prod', or 'CONNECTORS_CONFIG=ops/connectors.yaml npx cdktf deploy prod'"""
        config = f"CONNECTORS_CONFIG={shlex.quote(self.config)} " if self.config else ""
        return f"{config}npx cdktf deploy {shlex.quote(stack)}"


def hints_of(args: argparse.Namespace) -> Hints:
    """The hints for the command line `args` came from."""
    return Hints(getattr(args, "config", None) or None)
