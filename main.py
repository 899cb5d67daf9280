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
import shutil
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")

from connectors_config import ConfigError, PlatformConfig, config_path_from_env, load_config, resolve  # noqa: E402
from connectors_config.lockfile import lock_of, lock_path, write_lock  # noqa: E402
from policy import PolicyError  # noqa: E402

PROJECT_DIR = Path(__file__).resolve().parent
NOTEBOOKS_DIR = PROJECT_DIR / "notebooks"
DEFAULT_OUTDIR = "cdktf.out"


def build_app(config: PlatformConfig, outdir: str, notebooks_dir: Path = NOTEBOOKS_DIR):
    """The cdktf App with one EnvironmentStack per environment, sorted by name, each followed by its deploy groups'
    stacks, if the config has deploy groups. `notebooks_dir`: the folder whose files are uploaded (the tests
    synthesize their own fixture's)."""
    from cdktf import App  # imported late: loading jsii is the slow part, and bad config never needs it

    from policy.aspect import PolicyGate
    from stacks.environment_stack import environment_stacks

    app = App(outdir=outdir)
    environments = tuple(resolve(config, env_name) for env_name in sorted(config.environments))
    stacks = [stack for env in environments
              for stack in environment_stacks(app, env, others=environments, notebooks_dir=notebooks_dir)]
    app.node.add_validation(PolicyGate(tuple(stack.policy for stack in stacks)))
    return app


def synth_checked(app) -> list[str]:
    """Synthesizes `app`; raises PolicyError if the policy pack stopped it. Returns the suppressions it applied,
    each as a line to show (a reviewed exception is said on every synth, like a data-loss notice). The packs are
    those of the app's stacks, each stack's `policy`."""
    from policy.aspect import PolicyPack

    packs = [child.policy for child in app.node.children if isinstance(getattr(child, "policy", None), PolicyPack)]
    try:
        app.synth()
    except Exception:
        violations = [violation for pack in packs for violation in pack.violations]
        if violations:
            raise PolicyError(violations) from None
        raise
    return [f"policy: {finding.rule} suppressed on {finding.path}: {suppression.reason}"
            for pack in packs for finding, suppression in pack.suppressed]


def synth(config: PlatformConfig, outdir: str, notebooks_dir: Path = NOTEBOOKS_DIR) -> list[str]:
    """Synthesizes every stack into `outdir`, whole or not at all; returns the policy suppressions applied."""
    if os.environ.get("CDKTF_OUTDIR"):  # run by the cdktf CLI, which prepares and reads its own folder
        return synth_checked(build_app(config, os.environ["CDKTF_OUTDIR"], notebooks_dir))
    target = Path(outdir)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.staging-", dir=target.parent))
    try:
        suppressed = synth_checked(build_app(config, str(staging), notebooks_dir))
        previous = target.with_name(f".{target.name}.previous")
        shutil.rmtree(previous, ignore_errors=True)
        if target.exists():
            target.rename(previous)
        staging.rename(target)
        shutil.rmtree(previous, ignore_errors=True)
        return suppressed
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def record_lock(config: PlatformConfig, config_path: str) -> Path | None:
    """Records what this synth gave the managed ingestion pipelines (see connectors_config.lockfile); returns
    the lock file's path when it changed."""
    path = lock_path(config_path)
    lock = lock_of(config)
    if not lock.pipelines and not path.exists():
        return None  # no managed connectors, and never were: no file to commit
    return path if write_lock(path, lock) else None


def data_loss_notices(config: PlatformConfig) -> list[str]:
    """Where an acknowledgement lifts prevent_destroy: said on every synth until it is removed."""
    return [
        f"warning: {connector.name} in {env}: prevent_destroy lifted, data loss acknowledged "
        f"({connector.data_loss_acknowledged!r}); the next deploy may replace its pipeline and delete its tables. "
        "Remove the acknowledgement once that deploy is done."
        for connector, env in sorted(((c, env) for env in config.environments
                                      for c in resolve(config, env).managed_connectors
                                      if c.data_loss_acknowledged is not None),
                                     key=lambda pair: (pair[0].name, pair[1]))
    ]


def main() -> int:
    # A synth is one short run building tens of thousands of objects that live to its end: Python's cyclic
    # garbage collector would only walk them again and again (about 5% of a 500-connector synth).
    gc.disable()
    config_path = config_path_from_env()
    try:
        config = load_config(config_path)
    except ConfigError as error:
        print(error.render(), file=sys.stderr)
        return 1
    try:
        suppressed = synth(config, DEFAULT_OUTDIR)
    except PolicyError as error:
        print(error.render(), file=sys.stderr)
        return 1
    for line in suppressed:
        print(line)
    for notice in data_loss_notices(config):
        print(notice, file=sys.stderr)
    print(f"synthesized {', '.join(sorted(config.environments))} with {len(config.connectors)} connector(s) "
          f"into {os.environ.get('CDKTF_OUTDIR') or DEFAULT_OUTDIR}/")
    updated = record_lock(config, config_path)
    if updated is not None:
        print(f"updated {updated.name}: commit it with {Path(config_path).name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
