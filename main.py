#!/usr/bin/env python
"""Synthesizes one Terraform stack per environment of connectors.yaml into cdktf.out/.

`python main.py` and `cdktf synth` (which runs this file) both work. The config path is connectors.yaml or
$CONNECTORS_CONFIG. A config with mistakes is reported in full and nothing is written. Run directly, the
app synthesizes into a staging folder and swaps it in only when complete, so cdktf.out/ is never
half-written; under the cdktf CLI the CLI owns the output folder.
"""

from __future__ import annotations

import gc
import os
import sys
from pathlib import Path

import core  # noqa: F401  (first: it silences jsii's Node banner before anything loads jsii)
from connectors_config import ConfigError, config_path_from_env, load_config
from connectors_config.personal import DEV_USER_ENV_VAR, PersonalTargetError, personal_stack_name, user_name
from policy import PolicyError
from stacks.app import data_loss_notices, record_lock, synth
from stacks.processes import ProcessCountError

DEFAULT_OUTDIR = "cdktf.out"


def main() -> int:
    # A synth is one short run building tens of thousands of objects that live to its end: Python's cyclic
    # garbage collector would only walk them again and again (about 5% of a 500-connector synth).
    gc.disable()
    config_path = config_path_from_env()
    try:
        # `make synth DEV_USER=alice`: also alice's personal targets (connectors_config.personal)
        user = user_name(os.environ[DEV_USER_ENV_VAR]) if os.environ.get(DEV_USER_ENV_VAR, "").strip() else None
    except PersonalTargetError as error:
        print(f"error: {error}; nothing was synthesized.", file=sys.stderr)
        return 1
    try:
        config = load_config(config_path)
    except ConfigError as error:
        print(error.render(), file=sys.stderr)
        return 1
    try:
        suppressed = synth(config, DEFAULT_OUTDIR, user=user)
    except (ConfigError, PolicyError) as error:  # ConfigError: an uploaded file outside the repository
        print(error.render(), file=sys.stderr)
        return 1
    except (PersonalTargetError, ProcessCountError) as error:
        print(f"error: {error}; nothing was synthesized.", file=sys.stderr)
        return 1
    for line in suppressed:
        print(line)
    for notice in data_loss_notices(config):
        print(notice, file=sys.stderr)
    personal = [personal_stack_name(name, user) for name, env in sorted(config.environments.items())
                if user is not None and env.personal_targets]
    print(f"synthesized {', '.join([*sorted(config.environments), *personal])} with {len(config.connectors)} "
          "connector(s) "
          f"into {os.environ.get('CDKTF_OUTDIR') or DEFAULT_OUTDIR}/")
    updated = record_lock(config, config_path)
    if updated is not None:
        print(f"updated {updated.as_posix()}: commit it with {Path(config_path).as_posix()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
