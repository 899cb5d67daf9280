"""The provider bindings stay the authority on what constructs/plain_resources.py writes: every attribute of every
resource and of the provider block, in the fixture's stacks and in a generated config, is checked against the
bindings' own classes (each resource's and struct's constructor, read by reflection), so a misspelt argument, a
block of the wrong shape or a value of the wrong kind fails here as it would through the bindings."""

from __future__ import annotations

import functools
import inspect
import json
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from constructs.plain_resources import PROVIDER_NAME, PlainProvider, plain, resource, token_parts
from core.provider import PACKAGE, DatabricksProvider, submodule
from core.provider_differences import PROVIDER_VERSIONS
from core.provider_job_shape import TERRAFORM_META
from core.toolchain import TOOLCHAIN
from tests.fixtures.builders import SERVICENOW, batch_connector, connectors, environments
from tests.helpers import synth_config_text, synth_construct


@functools.cache
def binding(resource_type: str) -> type:
    """The bindings' class of `resource_type` ('databricks_job' -> job.Job), by its TF_RESOURCE_TYPE."""
    module = submodule(resource_type.removeprefix('databricks_'))
    found = [cls for cls in vars(module).values() if isinstance(cls, type) and cls.__module__ == module.__name__
             and getattr(cls, "TF_RESOURCE_TYPE", None) == resource_type]
    assert len(found) == 1, f"no binding of {resource_type} in {module.__name__}"
    return found[0]


@functools.cache
def arguments(cls: type) -> tuple[dict[str, Any], frozenset[str]]:
    """The constructor's keyword arguments with their type hints, by Terraform's name (the bindings write `scope_`
    and `id_` where the construct's own `scope` and `id` take the name), and the required ones."""
    init = vars(cls)["__init__"]  # the binding's own constructor, whose keyword arguments are the attributes
    hints = typing.get_type_hints(init)
    keywords = [p for p in inspect.signature(init).parameters.values()
                if p.kind is p.KEYWORD_ONLY and p.name not in TERRAFORM_META]
    return ({p.name.removesuffix("_"): hints[p.name] for p in keywords},
            frozenset(p.name.removesuffix("_") for p in keywords if p.default is p.empty))


def _members(hint: Any) -> tuple[Any, ...]:
    return typing.get_args(hint) if typing.get_origin(hint) in (typing.Union, types.UnionType) else (hint,)


def _struct_of(hint: Any) -> tuple[type | None, bool]:
    """(struct class, repeated) when `hint` is one of the provider's blocks or a list of them."""
    for member in _members(hint):
        if isinstance(member, type) and member.__module__.startswith(PACKAGE):
            return member, False
        if typing.get_origin(member) in (Sequence, typing.Sequence, list):
            struct, _ = _struct_of(typing.get_args(member)[0])
            if struct is not None:
                return struct, True
    return None, False


def _kind_fits(hint: Any, value: Any) -> bool:
    if isinstance(value, str) and value.startswith("${") and value.endswith("}"):
        return True  # a reference to another resource, whatever the argument's kind
    for member in _members(hint):
        origin = typing.get_origin(member)
        if member is str and isinstance(value, str):
            return True
        if member is bool and isinstance(value, bool):
            return True
        if member in (int, float) and isinstance(value, (int, float)) and not isinstance(value, bool):
            return True
        if origin in (Mapping, typing.Mapping, dict) and isinstance(value, dict):
            return all(_kind_fits(typing.get_args(member)[1], item) for item in value.values())
        if origin in (Sequence, typing.Sequence, list) and isinstance(value, list):
            return all(_kind_fits(typing.get_args(member)[0], item) for item in value)
    return False


def schema_problems(cls: type, body: Mapping[str, Any], where: str) -> list[str]:
    """Every attribute of `body` the binding `cls` would not take, each as '<where>.<path>: <what>'."""
    hints, required = arguments(cls)
    problems = [f"{where}: {name} is required by {cls.__name__} but missing" for name in sorted(required - set(body))]
    for name, value in body.items():
        if name == "//" or name in TERRAFORM_META:
            continue
        path = f"{where}.{name}"
        if name not in hints:
            problems.append(f"{path}: {cls.__name__} has no argument {name!r}")
            continue
        struct, repeated = _struct_of(hints[name])
        if struct is None:
            if not _kind_fits(hints[name], value):
                problems.append(f"{path}: {value!r} does not fit {cls.__name__}'s {name}: {hints[name]}")
        elif repeated and isinstance(value, list):
            problems += [p for i, item in enumerate(value) for p in _block(struct, item, f"{path}[{i}]")]
        elif not repeated:
            problems += _block(struct, value, path)
        else:
            problems.append(f"{path}: {cls.__name__}'s {name} is a list of {struct.__name__} blocks, not {value!r}")
    return problems


def _block(struct: type, value: Any, path: str) -> list[str]:
    if not isinstance(value, dict):
        return [f"{path}: a {struct.__name__} block is a mapping, not {value!r}"]
    return schema_problems(struct, value, path)


def document_problems(document: Mapping[str, Any], stack: str) -> list[str]:
    """Every problem of a synthesized stack's resources and provider block against the bindings."""
    problems = []
    for resource_type, instances in sorted(document.get("resource", {}).items()):
        for name, body in sorted(instances.items()):
            problems += schema_problems(binding(resource_type), body, f"{stack}: {resource_type}.{name}")
    for index, body in enumerate(document.get("provider", {}).get(PROVIDER_NAME, ())):
        problems += schema_problems(DatabricksProvider, body, f"{stack}: provider[{index}]")
    return problems


def test_every_attribute_of_the_samples_stacks_is_the_bindings(stacks):
    seen = {resource_type for document in stacks.values() for resource_type in document["resource"]}
    assert seen >= {"databricks_job", "databricks_permissions", "databricks_pipeline", "databricks_grant",
                    "databricks_schema", "databricks_notebook", "databricks_workspace_file", "databricks_directory",
                    "databricks_secret_scope", "databricks_secret_acl", "databricks_alert_v2", "databricks_dashboard"}
    assert [problem for name, document in stacks.items() for problem in document_problems(document, name)] == []


def test_every_attribute_of_a_generated_config_is_the_bindings(tmp_path):
    generated = [batch_connector(f"conn_{i:02d}", ("0 */15 * * * ?", "0 0 2 * * ?")[i % 2],
                                 settings="{organisation: acme}", secrets=(f"conn_{i:02d}-token",),
                                 extra="    source: github\n")
                 for i in range(12)]
    documents = synth_config_text(environments() + connectors(*generated, SERVICENOW), tmp_path / "cdktf.out")
    jobs = sum(len(document["resource"]["databricks_job"]) for document in documents.values())
    assert jobs == 2 * 13
    assert [problem for name, document in documents.items() for problem in document_problems(document, name)] == []


def test_a_misspelt_or_mistyped_attribute_is_caught():
    synth = synth_construct(lambda stack: resource(stack, "job", "databricks_job", {
        "name": "x",
        "max_concurent_runs": 1,
        "timeout_seconds": "an hour",
        "email_notifications": [{"on_failure": ["a@example.com"]}],
        "task": [{"task_key": "a", "notebook_task": {"notebook_path": "/x", "base_parameter": {"n": "1"}}},
                 {"notebook_task": {"notebook_path": "/y"}}],
    }))
    assert document_problems(synth, "test") == [  # in the order cdktf writes the attributes: sorted
        "test: databricks_job.job.email_notifications: a JobEmailNotifications block is a mapping, not "
        "[{'on_failure': ['a@example.com']}]",
        "test: databricks_job.job.max_concurent_runs: Job has no argument 'max_concurent_runs'",
        "test: databricks_job.job.task[0].notebook_task.base_parameter: JobTaskNotebookTask has no argument "
        "'base_parameter'",
        "test: databricks_job.job.task[1]: task_key is required by JobTask but missing",
        "test: databricks_job.job.timeout_seconds: 'an hour' does not fit Job's timeout_seconds: "
        "typing.Union[int, float, NoneType]",
    ]


def test_valid_look_alikes_pass():
    synth = synth_construct(lambda stack: resource(stack, "job", "databricks_job", {
        "name": "x", "max_concurrent_runs": 1, "timeout_seconds": 3600.0, "tags": {"team": "appsec"},
        "email_notifications": {"on_failure": ["a@example.com"]},
        "task": [{"task_key": "a", "run_job_task": {"job_id": "${databricks_job.other.id}"}}],
    }))
    assert document_problems(synth, "test") == []


def test_none_is_left_out_as_the_bindings_leave_it_out():
    assert plain({"a": None, "b": {"c": None, "d": (1, None)}, "e": [{"f": None}]}) == {"b": {"d": [1, None]},
                                                                                         "e": [{}]}


def test_the_provider_block_is_the_bindings():
    """The provider block and its required_providers entry, as the bindings' DatabricksProvider writes them."""
    settings = {"host": "https://adb-1.1.azuredatabricks.net", "profile": None}

    def top(document: dict) -> dict:
        return {key: document[key] for key in ("provider", "terraform")}

    plain_one = synth_construct(lambda stack: PlainProvider(stack, "databricks", attributes=settings))
    bound = synth_construct(lambda stack: DatabricksProvider(stack, "databricks", **settings))
    assert top(plain_one) == top(bound)
    assert json.dumps(top(plain_one), sort_keys=True) == (
        '{"provider": {"databricks": [{"host": "https://adb-1.1.azuredatabricks.net"}]}, '
        '"terraform": {"required_providers": {"databricks": {"source": "databricks/databricks", '
        f'"version": "{PROVIDER_VERSIONS[TOOLCHAIN]}"}}}}}}}}')


@pytest.mark.parametrize(("resource_type", "attribute"), [("databricks_job", "id"), ("databricks_directory", "path"),
                                                      ("databricks_secret_scope", "name")])
def test_a_resource_refers_to_another_as_the_bindings_do(resource_type, attribute):
    def build(stack):
        first = resource(stack, "first", resource_type, {})
        resource(stack, "second", "databricks_permissions", {"job_id": first.reference(attribute)})

    synth = synth_construct(build)
    assert synth["resource"]["databricks_permissions"]["second"]["job_id"] == f"${{{resource_type}.first.{attribute}}}"


def test_a_reference_used_twice_is_one_token_and_resolves_alike_everywhere():
    """PlainResource asks node for each attribute's reference once; every use of it, in any resource, resolves to
    the same `${...}`, and each attribute has its own."""
    def build(stack):
        job = resource(stack, "job", "databricks_job", {"name": "j"})
        assert job.id is job.id and job.reference("id") is job.id and job.reference("url") is not job.id
        resource(stack, "permissions", "databricks_permissions", {"job_id": job.id})
        resource(stack, "other", "databricks_permissions", {"job_id": job.reference("id"), "url": job.reference("url")})

    synth = synth_construct(build)["resource"]["databricks_permissions"]
    assert (synth["permissions"]["job_id"], synth["other"]["job_id"], synth["other"]["url"]) == (
        "${databricks_job.job.id}", "${databricks_job.job.id}", "${databricks_job.job.url}")


def test_token_parts_keep_what_holds_a_token_in_order():
    token, path = "${TfToken[TOKEN.1]}", "/Workspace/${TfToken[TOKEN.2]}/x"
    attributes = {"name": "j", "job_id": token, "tags": {"a": "b"}, "task": [{"key": "t", "path": path}, {"k": 1}],
                  "flag": True, "count": 3, "number": 1.5, "none": None}
    assert token_parts(attributes) == {"job_id": token, "task": [{"path": path}], "number": 1.5}
    assert list(token_parts(attributes)) == ["job_id", "task", "number"]
    assert token_parts({"name": "j", "tags": {"a": "b"}, "list": ["x", 1, False]}) is None


def test_the_preparing_pass_reads_the_token_parts_and_every_other_read_the_whole():
    """While App.synth() prepares the stacks (core/synth_phase.py, armed by stacks/app.py), a plain resource hands
    cdktf only the parts with tokens; once the policy Aspect has said every stack is prepared, and outside a
    platform synth, the whole attributes."""
    from core.synth_phase import prepared, preparing_pass

    def build(stack):
        job = resource(stack, "job", "databricks_job", {"name": "j"})
        permissions = resource(stack, "permissions", "databricks_permissions",
                               {"job_id": job.id, "access_control": [{"group_name": "g"}]})
        whole = dict(permissions._synthesize_attributes())
        with preparing_pass():
            assert job._synthesize_attributes() == {}
            assert permissions._synthesize_attributes() == {"job_id": job.id}
            prepared()
            assert permissions._synthesize_attributes() == whole
        assert permissions._synthesize_attributes() == whole == {"job_id": job.id,
                                                                  "access_control": [{"group_name": "g"}]}

    synth_construct(build)
