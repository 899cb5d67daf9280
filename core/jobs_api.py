"""The Jobs API's job settings, as `databricks jobs get`, the Jobs UI's "View as JSON" and bundles spell them,
mapped onto the Databricks provider's (1.99.0) `databricks_job` blocks.

The two spell almost everything alike. The provider names a few repeated fields as singular blocks and
drops the `git_` prefix of git_source's fields; `RENAMED` (core.provider_job_shape) lists every such difference,
and nothing else is renamed. The mapping walks the provider's structs as vendored in core.provider_job_shape,
which a test holds equal to the bindings read by reflection (`reflected_shape`), so a field the provider has
never heard of (a newer API field such as `tasks[].compute`) is an error naming its path, never silently
dropped. Values that are cdktf tokens (another job's id) are passed through; a token where the provider wants a
number becomes a number token.

This module loads the provider bindings (jsii); the config's checks use core.provider_job_shape, which does not.
"""

from __future__ import annotations

import functools
import inspect
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from core.provider_differences import PROVIDER_VERSIONS
from core.toolchain import TOOLCHAIN, Token
from core import field_paths
from core.provider import job as provider_job
from core.provider_job_shape import (  # noqa: F401  (re-exported: the mapping's vocabulary)
    NOT_JOB_ARGUMENTS,
    JobSettingsError,
    format_path,
    PROVIDER_ONLY,
    RENAMED,
    ROOT,
    TERRAFORM_META,
    unsupported_fields,
    walk,
)

Path = field_paths.FieldPath


class _Bindings:
    """Builds the provider's structs (core.provider_job_shape.Builder)."""

    def struct(self, name: str, arguments: dict[str, Any]) -> Any:
        return getattr(provider_job, name)(**arguments)

    def number_token(self, value: str) -> Any | None:
        return Token.as_number(value) if Token.is_unresolved(value) else None


def provider_arguments(settings: Mapping[str, Any]) -> dict[str, Any]:
    """The keyword arguments of `databricks_job` for a Jobs API job settings object (without `permissions`
    and `lifecycle`, which are not job arguments). Raises JobSettingsError listing every field it cannot map."""
    arguments, problems = walk(settings, _Bindings())
    if problems:
        raise JobSettingsError(problems)
    return arguments


def reflected_shape() -> dict[str, Any]:
    """The provider's job structs read from the bindings, in core/schema/databricks-provider-job.json's form."""
    structs: dict[str, Any] = {}

    def add(name: str, hints: dict[str, Any], required: tuple[str, ...]) -> None:
        fields: dict[str, Any] = {}
        structs[name] = {"fields": fields, "required": list(required)}
        for argument, hint in sorted(hints.items()):
            struct, repeated = _struct_of(hint)
            if struct is None:
                fields[argument] = {"kinds": sorted(_scalar_kinds(hint))}
                continue
            fields[argument] = {"struct": struct.__name__, "repeated": repeated}
            if struct.__name__ not in structs:
                add(struct.__name__, _struct_hints(struct), _required(struct))

    add(ROOT, _job_hints(), ())
    return {"provider": f"databricks {PROVIDER_VERSIONS[TOOLCHAIN]}", "structs": dict(sorted(structs.items()))}


def _job_hints() -> dict[str, Any]:
    hints = typing.get_type_hints(provider_job.Job.__init__)
    return {name: hint for name, hint in hints.items()
            if name not in {"scope", "id_", "return", *TERRAFORM_META, *PROVIDER_ONLY}}


@functools.cache
def _struct_hints(struct: type) -> dict[str, Any]:
    return {name: hint for name, hint in typing.get_type_hints(_constructor(struct)).items() if name != "return"}


def _constructor(struct: type) -> Callable[..., None]:
    """The struct class's __init__, whose parameters are the block's fields. Read through `type[Any]`: mypy takes
    `__init__` of a plain `type` for an instance's, and the cached callers keep `type`, which it knows is hashable."""
    cls: type[Any] = struct
    return cls.__init__


def _required(struct: type) -> tuple[str, ...]:
    parameters = inspect.signature(_constructor(struct)).parameters.values()
    return tuple(p.name for p in parameters if p.kind is p.KEYWORD_ONLY and p.default is p.empty)


def _members(hint: Any) -> tuple[Any, ...]:
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return typing.get_args(hint)
    return (hint,)


def _is_struct(candidate: Any) -> bool:
    return isinstance(candidate, type) and candidate.__module__ == provider_job.__name__


def _struct_of(hint: Any) -> tuple[type | None, bool]:
    """(struct class, repeated) when `hint` is a provider block or a list of them."""
    for member in _members(hint):
        if _is_struct(member):
            return member, False
        if typing.get_origin(member) in (Sequence, typing.Sequence, list):
            for item in _members(typing.get_args(member)[0]):
                if _is_struct(item):
                    return item, True
    return None, False


def _scalar_kinds(hint: Any) -> set[str]:
    kinds = set()
    for member in _members(hint):
        origin = typing.get_origin(member)
        if member is str:
            kinds.add("str")
        elif member in (int, float):
            kinds.add("number")
        elif member is bool:
            kinds.add("bool")
        elif origin in (Mapping, typing.Mapping, dict):
            kinds.add("map")
        elif origin in (Sequence, typing.Sequence, list):
            kinds.add("list")
    return kinds


if __name__ == "__main__":  # regenerate the vendored file after a provider upgrade
    import json

    from core.provider_job_shape import SHAPE_FILE

    SHAPE_FILE.write_text(json.dumps(reflected_shape(), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {SHAPE_FILE}")
