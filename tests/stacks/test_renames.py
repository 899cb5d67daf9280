"""stacks.renames: the logical id cdktf gives a construct path, held to cdktf's own ids of real constructs, and
`move_from` writing a `moved` block for every resource under a renamed construct."""

from __future__ import annotations

import json

import pytest
from constructs import Construct

from core.provider import DatabricksProvider, Directory
from core import toolchain
from core.toolchain import TerraformStack
from stacks.renames import logical_id, move_from


@pytest.mark.parametrize("path", [
    ("github", "job"),
    ("jobs", "daily_refresh", "job"),
    ("servicenow_cloud", "pipeline_permissions"),
    ("a", "Default", "job"),  # left out entirely
    ("a", "Resource", "job"),  # left out of the readable part only
    ("job", "job"),  # a component the previous one ends with is not repeated
    ("gold-v2.1", "job"),  # characters a logical id cannot hold
    ("only",),  # a top-level resource keeps its name
    ("x" * 130, "y" * 130, "job"),  # the readable part is cut at 240 characters
])
def test_logical_ids_are_cdktfs(path):
    stack = TerraformStack(toolchain.Testing.app(), "test")
    DatabricksProvider(stack, "databricks", host="https://adb-1.1.azuredatabricks.net")
    scope: Construct = stack
    for component in path[:-1]:
        scope = Construct(scope, component)
    resource = Directory(scope, path[-1], path="/x")
    assert logical_id(list(path)) == stack.get_logical_id(resource)


def test_move_from_writes_one_moved_block_per_resource_under_the_construct():
    stack = TerraformStack(toolchain.Testing.app(), "test")
    DatabricksProvider(stack, "databricks", host="https://adb-1.1.azuredatabricks.net")
    renamed = Construct(Construct(stack, "jobs"), "nightly")
    Directory(renamed, "folder", path="/a")
    Directory(Construct(renamed, "inner"), "folder", path="/b")
    Directory(stack, "elsewhere", path="/c")
    move_from(stack, renamed, "daily")
    document = json.loads(toolchain.Testing.synth(stack))
    assert document["moved"] == [
        {"from": f"databricks_directory.{logical_id(['jobs', 'daily', 'folder'])}",
         "to": f"databricks_directory.{logical_id(['jobs', 'nightly', 'folder'])}"},
        {"from": f"databricks_directory.{logical_id(['jobs', 'daily', 'inner', 'folder'])}",
         "to": f"databricks_directory.{logical_id(['jobs', 'nightly', 'inner', 'folder'])}"},
    ]
    assert sorted(document["resource"]["databricks_directory"]) == sorted(
        [logical_id(["jobs", "nightly", "folder"]), logical_id(["jobs", "nightly", "inner", "folder"]), "elsewhere"])


def test_an_empty_path_has_no_logical_id():
    with pytest.raises(ValueError, match="at least one path component"):
        logical_id(["Default"])
