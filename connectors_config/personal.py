"""Personal development targets: one engineer's copy of an environment that opts in with `personal_targets: true`,
beside it and beside every colleague's, like a Databricks Asset Bundle's development target.

What a personal target is, is data derived from its environment here (`personal_values`, `personal`); the stacks
build it like any environment. It shares the environment's workspace, catalog, secret scope, run-as principals and
connections, and differs wherever two deploys would otherwise manage one thing:
- stack and state: '<env>-user-<user>' (local terraform.<env>-user-<user>.tfstate; a remote key or prefix gets
  '-user-<user>'), one stack even where the environment has deploy groups;
- names: every job and pipeline is prefixed '[<env> <user>] ';
- workspace folder: '<workspace_dir>/users/<user>' (its notebooks, monitoring alert and dashboard inside);
- schemas: '<user>_' before bronze, silver, gold and each managed connector's destination schemas;
- every schedule, trigger and continuous run, and the monitoring alert, paused; managed pipelines in
  development mode;
- not managed at all (the environment's own stack does, so it is deployed first): the secret scope and its ACLs,
  and the grants on the catalog and the connections, whose Terraform identity (securable and principal) would be
  the same in both states: destroying a personal target would revoke the environment's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from connectors_config.model import Backend

# The environment variable `make synth DEV_USER=<user>` sets; `cdktf synth` and `cdktf deploy` run main.py without
# arguments, so this is how they are told too.
DEV_USER_ENV_VAR = "CONNECTORS_DEV_USER"

_USER = re.compile(r"[a-z][a-z0-9_]{0,19}")
_EMAIL_SEPARATORS = re.compile(r"[.+-]")


class PersonalTargetError(ValueError):
    """A personal target cannot be synthesized; the message says why and what to do."""


def user_name(raw: str) -> str:
    """The short user name a personal target is named by: `raw` itself, or an e-mail address's local part in lower
    case with '.', '+' and '-' as '_' (as a bundle's workspace.current_user.short_name). Raises
    PersonalTargetError for anything else."""
    value = raw.strip()
    short = _EMAIL_SEPARATORS.sub("_", value.split("@", 1)[0].lower()) if "@" in value else value
    if not _USER.fullmatch(short):
        shown = f"'{value}'" if len(value) <= 40 and value.isprintable() else f"{value[:40]!r}…"
        raise PersonalTargetError(
            f"{DEV_USER_ENV_VAR}={shown} is not a user name: use 1 to 20 lower-case letters, digits and '_', "
            "starting with a letter (e.g. alice), or your e-mail address (alice.smith@example.com gives "
            "alice_smith)")
    return short


def personal_stack_name(env_name: str, user: str) -> str:
    """The personal target's stack, what `cdktf deploy` names: 'dev-user-alice'."""
    return f"{env_name}-user-{user}"


def name_prefix(env_name: str, user: str) -> str:
    """Before every job and pipeline name of the personal target, as a bundle's development mode: '[dev alice] '."""
    return f"[{env_name} {user}] "


def schema_name(user: str, schema: str) -> str:
    return f"{user}_{schema}"


def personal_values(values: Mapping[str, Any], user: str) -> dict[str, Any]:
    """An environment's `${env.*}` values (connectors_config.environment) for `user`'s personal target: its own
    schemas and workspace folder. `name` stays the environment's: catalog, scope and workspace are shared."""
    return {**values,
            **{key: schema_name(user, values[key]) for key in ("bronze_schema", "silver_schema", "gold_schema")},
            "workspace_dir": f"{values['workspace_dir']}/users/{user}"}


def state_key(key: str, suffix: str | None) -> str:
    """A state key beside another: 'appsec/dev.tfstate' + 'core' -> 'appsec/dev-core.tfstate'; None: `key`."""
    if suffix is None:
        return key
    stem, dot, extension = key.rpartition(".tfstate")
    return f"{stem}-{suffix}{dot}{extension}" if dot else f"{key}-{suffix}"


def personal_backend(backend: Backend | None, user: str) -> Backend | None:
    """The environment's remote backend with the key (or prefix) suffixed '-user-<user>'; None stays local."""
    if backend is None:
        return None
    suffix = f"user-{user}"
    if backend.azurerm is not None:
        return backend.model_copy(update={"azurerm": backend.azurerm.model_copy(
            update={"key": state_key(backend.azurerm.key, suffix)})})
    if backend.s3 is not None:
        return backend.model_copy(update={"s3": backend.s3.model_copy(
            update={"key": state_key(backend.s3.key, suffix)})})
    assert backend.gcs is not None  # the model's check: a backend names exactly one kind
    return backend.model_copy(update={"gcs": backend.gcs.model_copy(
        update={"prefix": state_key(backend.gcs.prefix, suffix)})})


def check_stack_names(personal_names: list[str], env_name: str, stack_names: list[str]) -> None:
    """Raises PersonalTargetError if a personal target's stack has the name of another stack of the config (an
    environment, or an environment's deploy group '<env>-<group>'): their states would be one."""
    for name in personal_names:
        if name in stack_names:
            raise PersonalTargetError(
                f"{DEV_USER_ENV_VAR}: the personal target of '{env_name}' would be stack '{name}', which the config "
                f"already has (an environment or a deploy group); rename that environment or deploy group")

