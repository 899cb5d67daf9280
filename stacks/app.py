"""The whole synth of a checked config: the cdktf App with every environment's stacks, the policy gate, the output
folder written whole or not at all, and what a synth tells its user (suppressions applied, data-loss notices,
the lock of the managed pipelines). `main.py` and `python -m review` run it."""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

from connectors_config import ConfigError, PlatformConfig, resolve
from connectors_config.errors import ConfigProblem
from connectors_config.lockfile import lock_of, lock_path, write_lock
from connectors_config.repository import is_inside, repository_of
from connectors_config.resolved import ResolvedEnvironment, personal_targets
from connectors_config.sources import NOTEBOOKS_DIR
from core import jsii_runtime
from core.credentials import SHAPES
from core.synth_phase import preparing_pass
from policy import PolicyError
from stacks.processes import merge_outputs, process_count, run_forked, split


def build_app(config: PlatformConfig, outdir: str, notebooks_dir: Path = NOTEBOOKS_DIR, user: str | None = None):
    """The cdktf App with one EnvironmentStack per environment, sorted by name, each followed by its deploy groups'
    stacks, if the config has deploy groups; with `user` (a checked personal.user_name), then that user's personal
    target of every environment that has them (raises PersonalTargetError if none has). `notebooks_dir`: the
    folder whose files are uploaded (the tests synthesize their own fixture's); raises ConfigError if one of them
    is outside the repository."""
    check_uploads(notebooks_dir)
    environments, units = plan(config, user)
    return app_of(outdir, environments, units, notebooks_dir)


def plan(config: PlatformConfig, user: str | None = None) -> tuple[tuple[ResolvedEnvironment, ...],
                                                                     tuple[ResolvedEnvironment, ...]]:
    """(the config's environments, sorted by name; what the synth builds stacks for, in the order of the stacks:
    those environments, then `user`'s personal targets). Raises PersonalTargetError as build_app."""
    targets = personal_targets(config, user) if user is not None else ()
    environments = tuple(resolve(config, env_name) for env_name in sorted(config.environments))
    return environments, environments + targets


def app_of(outdir: str, environments: tuple[ResolvedEnvironment, ...], units: Sequence[ResolvedEnvironment],
           notebooks_dir: Path):
    """The cdktf App with the stacks of each of `units` (environments or personal targets: see plan), in order."""
    # late: loading jsii is the slow part of a synth, and a config with mistakes never needs it
    from core.toolchain import App

    from policy.aspect import PolicyGate
    from stacks.environment_stack import environment_stacks

    app = App(outdir=outdir)
    # Others: the config's environments only; a personal target's stack is never another's to refer to.
    stacks = [stack for env in units
              for stack in environment_stacks(app, env, others=environments, notebooks_dir=notebooks_dir)]
    app.node.add_validation(PolicyGate(tuple(stack.policy for stack in stacks)))
    return app


def check_uploads(notebooks_dir: Path) -> None:
    """Raises ConfigError if a file the synth would upload (a *.py of `notebooks_dir`) lies outside the repository
    that holds the folder (connectors_config.repository), every symlink followed: it would deploy what review
    never saw; or if one holds a credential of a known shape (core.credentials), which the upload would put in the
    workspace for anyone who can read the folder."""
    repository = repository_of(notebooks_dir)
    files = sorted(notebooks_dir.glob("*.py"))
    outside = [p for p in files if not is_inside(p, repository)]
    problems = [ConfigProblem(
        0, "(file)", "is a symlink to a file outside the repository; only the repository's own files are "
        "uploaded, as review sees them: copy the file into the repository in its place",
        f"{notebooks_dir.name}/{p.name}") for p in outside]
    for path in files:
        if path not in outside and path.is_file():
            problems += _credentials_in(path, f"{notebooks_dir.name}/{path.name}")
    if problems:
        raise ConfigError(f"{notebooks_dir.name}/", problems)


def _credentials_in(path: Path, shown: str) -> list[ConfigProblem]:
    """A problem at each line of the file at `path` that holds a token of a known shape, the token cut to 4
    characters."""
    problems = []
    text = path.read_text(encoding="utf-8", errors="replace")
    for number, line in enumerate(text.splitlines(), start=1):
        for what, pattern in SHAPES:
            for match in pattern.finditer(line):
                problems.append(ConfigProblem(
                    number, "(file)", f"holds {what} ('{match.group(0)[:4]}…', redacted), and the file is uploaded "
                    "to the workspace as it is: remove it (revoke it if it is real) and read the credential from "
                    "the secret scope with dbutils.secrets.get(scope, key), stored there with `python -m operations "
                    "load-secrets`", shown))
    return problems


def synth_checked(app) -> list[str]:
    """Synthesizes `app`; raises PolicyError if the policy pack stopped it. Returns the suppressions it applied,
    each as a line to show (a reviewed exception is said on every synth, like a data-loss notice). The packs are
    those of the app's stacks, each stack's `policy`."""
    from policy.aspect import PolicyPack  # late: it loads jsii (see build_app)

    children = app.node.children
    packs = [child.policy for child in children if isinstance(getattr(child, "policy", None), PolicyPack)]
    try:
        # Only where every stack has its policy pack, whose Aspect ends the preparing pass (core/synth_phase.py).
        with preparing_pass() if packs and len(packs) == len(children) else contextlib.nullcontext():
            app.synth()
    except Exception:
        violations = [violation for pack in packs for violation in pack.violations]
        if violations:
            raise PolicyError(violations) from None
        raise
    return [f"policy: {finding.rule} suppressed on {finding.path}: {suppression.reason}"
            for pack in packs for finding, suppression in pack.suppressed]


def synth(config: PlatformConfig, outdir: str, notebooks_dir: Path = NOTEBOOKS_DIR,
          user: str | None = None) -> list[str]:
    """Synthesizes every stack (with `user`, also that user's personal targets: see build_app) into `outdir`,
    whole or not at all; returns the policy suppressions applied. The environments are synthesized in parallel,
    one App per process (stacks/processes.py), where the machine has the cores for it."""
    if os.environ.get("CDKTF_OUTDIR"):  # run by the cdktf CLI, which prepares and reads its own folder
        return synth_checked(build_app(config, os.environ["CDKTF_OUTDIR"], notebooks_dir, user))
    check_uploads(notebooks_dir)
    environments, units = plan(config, user)
    parts = split([1 + len(env.workloads) for env in units], process_count(len(units)))
    target = Path(outdir)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.staging-", dir=target.parent))
    try:
        if len(parts) == 1:
            suppressed = _synth_part(str(staging), environments, units, notebooks_dir)
        else:
            jsii_runtime.prepare()  # one copy of jsii's kernel files for every part
            folders = [staging / f".part-{index}" for index in range(len(parts))]
            tasks = [functools.partial(_synth_part, str(folder), environments, units[part.start:part.stop],
                                       notebooks_dir) for folder, part in zip(folders, parts, strict=True)]
            suppressed = [line for lines in run_forked(tasks) for line in lines]
            merge_outputs(folders, staging)
        previous = target.with_name(f".{target.name}.previous")
        shutil.rmtree(previous, ignore_errors=True)
        if target.exists():
            target.rename(previous)
        staging.rename(target)
        shutil.rmtree(previous, ignore_errors=True)
        return suppressed
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _synth_part(outdir: str, environments: tuple[ResolvedEnvironment, ...], units: Sequence[ResolvedEnvironment],
                notebooks_dir: Path) -> list[str]:
    """The stacks of `units` synthesized into `outdir` (checked: see synth_checked); the suppressions applied."""
    return synth_checked(app_of(outdir, environments, units, notebooks_dir))


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
