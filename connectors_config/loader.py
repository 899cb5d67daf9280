"""Reads connectors.yaml into a `PlatformConfig`, or raises one `ConfigError` listing every problem.

ruamel.yaml keeps line numbers and rejects duplicate keys; pydantic checks types and field rules; `checks`
adds the rules that relate several fields. Problems from both are collected and reported at once.
"""

from __future__ import annotations

import difflib
import os
import re
import types
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.reader import ReaderError

from connectors_config import checks
from connectors_config.errors import ConfigError, ConfigProblem, format_path, line_of
from connectors_config.jobs import check_jobs
from connectors_config.yaml_lines import TextProblem, ambiguous_numbers, decode, read, version_problem
from connectors_config.lockfile import Lock, lock_path, read_lock
from connectors_config.model import CONNECTOR_KINDS, PlatformConfig
from connectors_config.repository import project_root
from core.credentials import is_credential_key, redact

DEFAULT_CONFIG = "connectors.yaml"
CONFIG_ENV_VAR = "CONNECTORS_CONFIG"

# What a pydantic error type means, in words for the person editing the YAML.
_EXPECTED = {
    "string_type": "a string", "int_type": "an integer", "int_from_float": "an integer",
    "bool_type": "true or false", "dict_type": "a mapping", "model_type": "a mapping",
    "model_attributes_type": "a mapping", "tuple_type": "a list", "list_type": "a list",
    "int_parsing": "an integer", "bool_parsing": "true or false",
}


def config_path_from_env() -> str:
    return os.environ.get(CONFIG_ENV_VAR) or DEFAULT_CONFIG


def load_config(path: str | os.PathLike[str]) -> PlatformConfig:
    """The config at `path`, checked also against the lock file beside it (see `lockfile`)."""
    file = str(path)
    try:
        text = decode(Path(path).read_bytes())
    except FileNotFoundError:
        raise ConfigError(file, [ConfigProblem(0, "(file)", f"not found; create it or set {CONFIG_ENV_VAR}")]) from None
    except OSError as error:
        raise ConfigError(file, [ConfigProblem(0, "(file)", f"cannot be read: {error}")]) from None
    except TextProblem as problem:
        raise ConfigError(file, [ConfigProblem(problem.line, "(file)", problem.message)]) from None
    return parse_config(text, file, lock=read_lock(lock_path(path)))


def parse_config(text: str, file: str = DEFAULT_CONFIG, lock: Lock | None = None,
                 base_dir: Path | None = None) -> PlatformConfig:
    """The config in `text`; with `lock`, changes that would replace a pipeline holding data are errors.
    Relative paths of the `jobs` section (`file:`, notebooks) resolve against `base_dir`, default: the project
    root of `file` (connectors_config.repository.project_root)."""
    data, lines = _parse_yaml(text, file)
    if not isinstance(data, dict):
        raise ConfigError(file, [ConfigProblem(1, "(top level)", "expected a mapping with 'environments' and 'connectors'")])

    problems = [ConfigProblem(line_of(path, lines), format_path(path), message)
                for path, message in [*ambiguous_numbers(data), *checks.cross_field_problems(data, lock)]]
    if isinstance(data.get("jobs"), dict):
        data["jobs"], job_problems = check_jobs(data, lines, file, base_dir or project_root(file))
        problems += job_problems
    config = None
    try:
        config = PlatformConfig.model_validate(data)
    except ValidationError as error:
        problems += [_problem(e, lines) for e in error.errors(include_url=False)]
    if problems or config is None:
        raise ConfigError(file, problems)
    return config


def _parse_yaml(text: str, file: str) -> tuple[Any, dict[tuple, int]]:
    """The document (tuples for sequences: the frozen model's type) and the line of every key and item."""
    version = version_problem(text)
    if version is not None:
        raise ConfigError(file, [ConfigProblem(version[0], "(yaml)", version[1])])
    try:
        return read(text, sequence=tuple)
    except TextProblem as problem:
        raise ConfigError(file, [ConfigProblem(problem.line, "(yaml)", problem.message)]) from None
    except DuplicateKeyError as error:
        key = re.search(r'found duplicate key "(.*?)"', str(error.problem))
        first = error.context_mark.line + 1 if error.context_mark else 0
        message = (f"duplicate key '{key.group(1) if key else '?'}' in the mapping that starts on line {first}; "
                   "each key may appear once, remove or merge one of them")
        raise ConfigError(file, [ConfigProblem(error.problem_mark.line + 1, "(yaml)", message)]) from None
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else 0
        detail = "; ".join(str(p) for p in (error.context, error.problem) if p)
        raise ConfigError(file, [ConfigProblem(line, "(yaml)", f"YAML syntax error: {detail}")]) from None
    except ReaderError as error:  # a character YAML does not allow; it knows only the character's position
        line = text.count("\n", 0, max(error.position, 0)) + 1
        character = f"#x{error.character:04x}" if isinstance(error.character, int) else repr(error.character)
        raise ConfigError(file, [ConfigProblem(line, "(yaml)", f"YAML syntax error: unacceptable character "
                                                               f"{character} ({error.reason}); remove it")]) from None
    except YAMLError as error:
        raise ConfigError(file, [ConfigProblem(0, "(yaml)", f"YAML syntax error: {error}")]) from None


def _problem(error: ErrorDetails, lines: dict[tuple, int]) -> ConfigProblem:
    loc = tuple(part for part in error["loc"] if not _is_union_branch(part))
    kind, value = error["type"], error.get("input")
    path = _without_connector_kind(loc)
    connector_kind = len(path) == 3 and path[0] == "connectors" and path[2] == "kind"
    if kind == "missing":
        message = "is required but missing; add it" + (f" (one of: {_kinds()})" if connector_kind else _hint(loc))
    elif kind == "literal_error" and connector_kind:  # each kind's model knows only its own literal
        message = f"{redact(value)} is not one of: {_kinds()}"
    elif kind == "extra_forbidden":
        message = _unknown_key(loc)
    elif kind in _EXPECTED:
        message = f"{redact(value)} is not {_EXPECTED[kind]}"
    elif kind == "literal_error":
        message = f"{redact(value)} is not one of: {error['ctx']['expected']}"
    elif kind == "greater_than_equal":
        message = f"{redact(value)} is below the minimum {error['ctx']['ge']}"
    elif kind == "less_than_equal":
        message = f"{redact(value)} is above the maximum {error['ctx']['le']}"
    elif kind == "too_short":
        message = f"is empty; it needs at least {error['ctx']['min_length']} entry" + _hint(loc)
    elif kind == "string_too_short":
        message = ("must not be empty" if error["ctx"]["min_length"] == 1
                   else f"is too short; write at least {error['ctx']['min_length']} characters")
    elif kind == "string_too_long":
        message = f"is longer than {error['ctx']['max_length']} characters"
    else:  # our own PydanticCustomErrors carry the whole sentence
        message = error["msg"]
    return ConfigProblem(line_of(path, lines), format_path(path), message)


def _is_union_branch(part: str | int) -> bool:
    # pydantic adds the branch of `X | None` it tried (e.g. 'function-after[...]') to the location.
    return isinstance(part, str) and ("[" in part or part in {"str", "int", "bool", "none"})


def _without_connector_kind(loc: tuple) -> tuple:
    """pydantic names the connector kind it validated against (connectors.0.lakeflow_connect.objects); the
    file has no such level."""
    if len(loc) > 2 and loc[0] == "connectors" and isinstance(loc[1], int) and loc[2] in CONNECTOR_KINDS:
        return loc[:2] + loc[3:]
    return loc


def _kinds() -> str:
    return ", ".join(f"'{kind}'" for kind in CONNECTOR_KINDS)


def _hint(loc: tuple) -> str:
    """The field's own description of what to write, where it has one."""
    parent = _model_at(loc[:-1])
    field = parent.model_fields.get(str(loc[-1])) if parent is not None else None
    return f": {field.description}" if field is not None and field.description else ""


def _unknown_key(loc: tuple) -> str:
    key = str(loc[-1])
    if is_credential_key(key):  # named in the error so nobody "fixes" the typo by finding the right key
        return (f"unknown key '{key}'; credentials never go in connectors.yaml: put them in the secret scope and "
                "list their names under the connector's 'secrets', or authenticate the deploy with a Databricks "
                "CLI profile or environment variables")
    parent = _model_at(loc[:-1])
    allowed = _keys_of(parent)
    listing = f"allowed here: {', '.join(sorted(allowed))}"
    kind = next((k for k, model in CONNECTOR_KINDS.items() if model is parent), None)
    owner = next((k for k, model in CONNECTOR_KINDS.items() if key in model.model_fields), None)
    if kind is not None and owner is not None and owner != kind:
        return f"unknown key '{key}': it is a setting of {owner} connectors, not of {kind} ones; {listing}"
    hint = difflib.get_close_matches(key, allowed, n=1)
    suggestion = f"did you mean '{hint[0]}'? " if hint else ""
    return f"unknown key '{key}'; {suggestion}{listing}"


def _keys_of(model: Any) -> list[str]:
    """The keys a mapping for `model` may have, as the file spells them (aliases such as 'schema')."""
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        return []
    return [field.alias or name for name, field in model.model_fields.items()]


def _model_at(loc: tuple) -> Any:
    """The model validating the mapping at `loc` (pydantic's location, with the connector kind), found by
    walking PlatformConfig's annotations; None where there is no model."""
    model: Any = PlatformConfig
    for part in loc:
        model = _child_type(model, part)
        if model is None:
            return None
    return model


def _child_type(model: Any, part: str | int) -> Any:
    if isinstance(model, type) and issubclass(model, BaseModel):
        field = next((f for name, f in model.model_fields.items() if (f.alias or name) == str(part)), None)
        return _unwrap(field.annotation) if field else None
    origin = typing.get_origin(model)
    if origin in (dict, tuple, list):
        args = typing.get_args(model)
        return _unwrap(args[-1] if origin is dict else args[0])
    if origin in (typing.Union, types.UnionType):  # the connector kinds: pydantic's location names the kind
        return CONNECTOR_KINDS.get(str(part))
    return None


def _unwrap(annotation: Any) -> Any:
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(members) > 1:
                return annotation
            annotation = members[0]
        else:
            return annotation
