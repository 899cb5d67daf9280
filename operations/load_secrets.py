"""`load-secrets`: the only way connector credentials enter the platform.

    python -m operations load-secrets --env dev github
    python -m operations load-secrets --env prod cmdb --only cmdb-client-secret

The secret names are the batch connector's `secrets` in connectors.yaml; the environment gives the secret
scope and the workspace. Each value comes from the operator's environment variable CONNECTOR_SECRET_<NAME>
(the name upper-cased, '-' and '.' as '_') or, when that is unset and stdin is a terminal, a hidden prompt.
Values are never taken from the command line, never printed, logged or written anywhere but the scope. All
values are collected before anything is put: a missing one puts nothing. Each is then put with the
Databricks SDK (`secrets.put_secret`), authenticated the SDK's usual way (see `operations.workspace`).
"""

from __future__ import annotations

import argparse
import getpass
import os
import re
import sys
from typing import TYPE_CHECKING, TypeGuard

from core.credentials import redact
from operations import OperationError
from operations.hints import Hints, hints_of
from operations.workspace import connect, explain, mask, quiet_sdk_logging, server_said, where

if TYPE_CHECKING:
    from connectors_config import ResolvedConnector, ResolvedEnvironment
    from databricks.sdk import WorkspaceClient

COMMAND = "load-secrets"
ENV_PREFIX = "CONNECTOR_SECRET_"


def env_var(name: str) -> str:
    """The variable an operator sets for secret `name`: 'github-token' -> 'CONNECTOR_SECRET_GITHUB_TOKEN'."""
    return ENV_PREFIX + re.sub(r"[^A-Za-z0-9_]", "_", name).upper()


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        COMMAND, allow_abbrev=False,
        help="put a batch connector's secret values into its environment's secret scope",
        description="Put a batch connector's secrets (its `secrets` in connectors.yaml) into the environment's "
                    "secret scope, through the Databricks SDK. The only way credentials enter the platform.",
        epilog=f"Each value is read from ${ENV_PREFIX}<NAME> (the secret's name upper-cased, '-' and '.' as '_', "
               f"e.g. {env_var('github-token')}) or, when that is unset and stdin is a terminal, from a hidden "
               "prompt; never from the command line. An empty value counts as missing; if any is missing, "
               "nothing is put. The workspace is the environment's workspace.host / workspace.profile; "
               "credentials are the Databricks SDK's usual ones (profile, DATABRICKS_* variables, "
               "`databricks auth login`).")
    parser.add_argument("--env", required=True, metavar="ENV", help="the environment in connectors.yaml")
    parser.add_argument("--config", metavar="PATH",
                        help="the config to read (default: $CONNECTORS_CONFIG, else connectors.yaml)")
    parser.add_argument("--only", action="append", default=[], metavar="NAME",
                        help="load only this one of the connector's secrets (repeatable; default: all of them)")
    parser.add_argument("connector", metavar="CONNECTOR", help="a batch connector's name in connectors.yaml")
    parser.set_defaults(
        run=run,
        extra_hint=(f"{COMMAND} takes one connector name; secret values are never taken from the command line: "
                    f"set {ENV_PREFIX}<NAME> or answer the prompt."),
        interrupt_hint="nothing more was put",
    )


def run(args: argparse.Namespace) -> int:
    from connectors_config import config_path_from_env  # late: the config model (pydantic, jsonschema) costs a third of a second, which --help need not pay

    config_path = args.config or config_path_from_env()
    environment = _environment(config_path, args.env)
    connector = _batch_connector(environment, args.connector, config_path)
    names = _selected(connector, args.only)
    values = {name: os.environ[env_var(name)] for name in names if _given(os.environ.get(env_var(name)))}
    interactive = _stdin_is_a_terminal()
    if len(values) < len(names) and not interactive:
        raise OperationError(_missing(environment, connector, names, values, interactive))
    with quiet_sdk_logging():
        client = connect(environment)  # before any prompt: nobody types values only to learn credentials are missing
        for name in names:
            if name not in values and _given(value := _prompt(name, connector, environment)):
                values[name] = value
        if len(values) < len(names):
            raise OperationError(_missing(environment, connector, names, values, interactive))
        try:
            _put_all(client, environment, connector, names, values, hints_of(args))
        finally:
            values.clear()
    return 0


def _environment(config_path: str, env_name: str) -> ResolvedEnvironment:
    # late: the config model (pydantic, jsonschema) costs a third of a second, which --help need not pay
    from connectors_config import ConfigError, load_config, resolve

    try:
        config = load_config(config_path)
    except ConfigError as error:
        count = len(error.problems)
        head = f"{error.file}: {count} error{'s' if count != 1 else ''}; no secret was put."
        raise OperationError("\n".join([head, *(f"  {p.render(error.file)}" for p in error.problems)])) from None
    if env_name not in config.environments:
        raise OperationError(f"no environment {redact(env_name)} in {config_path}; "
                             f"its environments: {', '.join(sorted(config.environments))}")
    return resolve(config, env_name)


def _batch_connector(environment: ResolvedEnvironment, name: str, config_path: str) -> ResolvedConnector:
    batch = {c.name: c for c in environment.connectors}
    if name in batch:
        return batch[name]
    managed = {c.name: c for c in environment.managed_connectors}
    if name in managed:
        raise OperationError(
            f"{name} is a lakeflow_connect connector: it has no secrets to load. Its credentials live in the "
            f"Unity Catalog connection '{managed[name].connection}' ({environment.name}), which an admin creates "
            "with the source's OAuth flow (see docs/deploying.md).")
    raise OperationError(f"no connector {redact(name)} in {config_path}; "
                         f"its batch connectors: {', '.join(sorted(batch)) or '(none)'}")


def _selected(connector: ResolvedConnector, only: list[str]) -> tuple[str, ...]:
    declared = connector.secrets
    if not declared:
        raise OperationError(f"{connector.name} declares no secrets in connectors.yaml: nothing to load")
    unknown = [name for name in dict.fromkeys(only) if name not in declared]
    if unknown:
        raise OperationError(f"--only names secrets {connector.name} does not declare: "
                             f"{', '.join(redact(name) for name in unknown)}; "
                             f"its secrets in connectors.yaml: {', '.join(declared)}")
    names = tuple(name for name in declared if not only or name in only)
    by_variable: dict[str, list[str]] = {}
    for name in names:
        by_variable.setdefault(env_var(name), []).append(name)
    clashes = [f"{' and '.join(group)} (both {variable})"
               for variable, group in by_variable.items() if len(group) > 1]
    if clashes:
        raise OperationError(f"secrets of {connector.name} would read the same variable: {'; '.join(clashes)}. "
                             "Load them one at a time with --only, or rename one in connectors.yaml.")
    return names


def _given(value: str | None) -> TypeGuard[str]:
    return value is not None and value.strip() != ""


def _stdin_is_a_terminal() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (AttributeError, ValueError, OSError):  # closed or replaced stdin
        return False


def _prompt(name: str, connector: ResolvedConnector, environment: ResolvedEnvironment) -> str | None:
    try:
        return getpass.getpass(f"{name} for {connector.name} in {environment.name} "
                               f"(input hidden; or set {env_var(name)}): ")
    except EOFError:
        return None


def _missing(environment: ResolvedEnvironment, connector: ResolvedConnector, names: tuple[str, ...],
             values: dict[str, str], interactive: bool) -> str:
    missing = [name for name in names if name not in values]
    how = ("answer each prompt or set the variables" if interactive
           else "set the variables, or run in a terminal to be prompted (input hidden)")
    return "\n".join([
        f"no value for {len(missing)} of {connector.name}'s {len(names)} secret(s); nothing was put into secret "
        f"scope {environment.secret_scope} ({environment.name}):",
        *(f"  {name}: set {env_var(name)}" for name in missing),
        f"Empty values count as missing; {how}.",
    ])


def _put_all(client: WorkspaceClient, environment: ResolvedEnvironment, connector: ResolvedConnector,
             names: tuple[str, ...], values: dict[str, str], hints: Hints) -> None:
    scope, env = environment.secret_scope, environment.name
    done: list[str] = []
    for name in names:
        try:
            client.secrets.put_secret(scope, name, string_value=values[name])
        except Exception as error:  # noqa: BLE001 (every failure becomes a message that never holds a value)
            message = _put_failed(error, client, environment, name, values.values(), hints)
            pending = [n for n in names if n not in done]
            if done:
                message += (f"\nAlready put: {', '.join(done)}; not put: {', '.join(pending)}. Putting again "
                            "overwrites: run the same command again once this is fixed.")
            else:
                message += " Nothing was put."
            raise OperationError(message) from None
        done.append(name)
        print(f"put {name} into secret scope {scope} ({env})", flush=True)
    print(f"loaded {len(done)} secret(s) of {connector.name} into secret scope {scope} in the {env} workspace "
          f"({where(environment, client)})")


def _put_failed(error: Exception, client: WorkspaceClient, environment: ResolvedEnvironment, name: str,
                hide, hints: Hints) -> str:
    from databricks.sdk.errors import DatabricksError, NotFound, PermissionDenied

    scope, env = environment.secret_scope, environment.name
    workspace = f"the {env} workspace ({where(environment, client)})"
    said = server_said(error, hide)
    common = explain(error, environment, client, f"put {name} into secret scope {scope}")
    if common is not None:
        return mask(common, hide)
    if isinstance(error, NotFound) and error.error_code == "RESOURCE_DOES_NOT_EXIST":
        return (f"secret scope {scope} does not exist in {workspace}. The {env} stack creates it, with its ACLs: "
                f"deploy the stack first (`{hints.deploy(env)}`, see docs/deploying.md), or check the "
                "environment's secret_scope and workspace in connectors.yaml.")
    if isinstance(error, NotFound):
        return (f"{workspace} answered 404 Not Found to put {name} into secret scope {scope}: {said}. Check "
                "that the host is a Databricks workspace.")
    if isinstance(error, PermissionDenied):
        return (f"permission denied to put {name} into secret scope {scope} in {workspace}: {said}. Putting "
                f"secrets takes WRITE or MANAGE on the scope; the {env} stack grants MANAGE to "
                f"{environment.admin_group} (run-as principals get READ only): run this as a member of it.")
    if isinstance(error, DatabricksError):
        code = f"{error.error_code}: " if error.error_code else ""
        return f"{workspace} refused to put {name} into secret scope {scope}: {code}{said}."
    return (f"failed to put {name} into secret scope {scope} in {workspace}: "
            f"{type(error).__name__}: {said}.")
