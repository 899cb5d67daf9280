"""The vendored provider job shape (core/schema/databricks-provider-job.json) is the provider bindings' own, so the
config's checks (no jsii) and the LakeflowJob construct (the bindings) refuse and accept the same fields."""

from __future__ import annotations

import json
from typing import Any

from core import jobs_api
from core.provider_differences import PROVIDER_VERSIONS, newer_job_fields
from core.provider_job_shape import SHAPE_FILE, unsupported_fields
from core.toolchain import TOOLCHAIN


def as_of_provider_1_99(shape: dict[str, Any], differences: tuple[dict[str, frozenset[str]], dict[str, frozenset[str]]]
                        ) -> dict[str, Any]:
    """`shape` without the newer provider's fields, without the structs only they lead to (reachable from Job), and
    with the fields the newer provider no longer requires required again."""
    newer, optional = differences
    fields = {name: {field: spec for field, spec in struct["fields"].items() if field not in newer.get(name, ())}
              for name, struct in shape["structs"].items()}
    reachable, todo = set(), ["Job"]
    while todo:
        name = todo.pop()
        if name not in reachable:
            reachable.add(name)
            todo += [spec["struct"] for spec in fields[name].values() if "struct" in spec]
    return {"provider": f"databricks {PROVIDER_VERSIONS['cdktf']}",
            "structs": {name: {**shape["structs"][name], "fields": fields[name],
                               "required": sorted({*shape["structs"][name]["required"], *optional.get(name, ())})}
                        for name in sorted(reachable)}}


def test_the_vendored_shape_is_the_bindings():
    """Under CDK Terrain's newer provider, the bindings' shape is the vendored one plus exactly the job fields
    core/provider_differences.py lists (and the blocks under them)."""
    vendored = json.loads(SHAPE_FILE.read_text(encoding="utf-8"))
    reflected = jobs_api.reflected_shape()
    assert vendored == as_of_provider_1_99(reflected, newer_job_fields(TOOLCHAIN)), \
        "regenerate it: python -m core.jobs_api"
    if TOOLCHAIN == "cdktf":
        assert vendored == reflected


def test_the_vendored_shape_knows_the_blocks_the_mapping_renames():
    structs = json.loads(SHAPE_FILE.read_text(encoding="utf-8"))["structs"]
    for struct, renames in jobs_api.RENAMED.items():
        assert set(renames.values()) <= set(structs[struct]["fields"]), struct


def test_the_checks_without_the_bindings_say_what_the_mapping_raises():
    settings = {
        "name": "x",
        "max_concurrent_runs": "one",
        "task": [],
        "git_source": {"git_url": "https://example.com/r.git", "provider": "gitHub"},
        "tasks": [
            {"task_key": "a", "compute": {"hardware_accelerator": "GPU_1xA10"},
             "notebook_task": {"notebook_path": "/Workspace/x", "base_parameters": {"n": 1}}},
            {"task_key": "b", "depends_on": [{}], "notebook_task": {"notebook_path": "/Workspace/y"}},
            "not a task",
        ],
        "tags": ["not", "a", "mapping"],
    }
    expected = [
        (("max_concurrent_runs",), "expected number, got str 'one'"),
        (("task",), "is the provider's name; write the Jobs API's 'tasks'"),
        (("git_source", "provider"), "is the provider's name; write the Jobs API's 'git_provider'"),
        (("tasks", 0, "compute"), "is a field the Databricks Terraform provider 1.99.0 cannot deploy; remove it"),
        (("tasks", 0, "notebook_task", "base_parameters"),
         "expected a mapping of strings to strings (quote numbers and booleans)"),
        (("tasks", 1, "depends_on", 0), "task_key is required here but missing"),
        (("tasks", 2), "expected a mapping, got str 'not a task'"),
        (("tags",), "expected map, got list ['not', 'a', 'mapping']"),
    ]
    assert unsupported_fields(settings) == expected
    try:
        jobs_api.provider_arguments(settings)
    except jobs_api.JobSettingsError as error:
        assert error.problems == expected
    else:
        raise AssertionError("provider_arguments accepted fields the provider cannot express")


def test_valid_settings_pass_both_ways():
    settings = {"name": "x", "max_concurrent_runs": 1, "tags": {"team": "appsec"},
                "git_source": {"git_url": "https://example.com/r.git", "git_provider": "gitHub"},
                "tasks": [{"task_key": "a", "notebook_task": {"notebook_path": "/Workspace/x"}},
                          {"task_key": "b", "depends_on": [{"task_key": "a"}],
                           "notebook_task": {"notebook_path": "/Workspace/y", "base_parameters": {"n": "1"}}}]}
    assert unsupported_fields(settings) == []
    arguments = jobs_api.provider_arguments(settings)
    assert sorted(arguments) == ["git_source", "max_concurrent_runs", "name", "tags", "task"]
    assert arguments["task"][1].depends_on[0].task_key == "a"
