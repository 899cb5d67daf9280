"""normalize_workspace_path: a workspace path as the workspace resolves it, and never above its allowed folder."""

from __future__ import annotations

import pytest

from core.workspace_paths import WorkspacePathError, is_code_path, normalize_workspace_path


@pytest.mark.parametrize(("path", "normal"), [
    ("/Applications/team/dev", "/Applications/team/dev"),
    ("/Applications/team/dev/./x", "/Applications/team/dev/x"),
    ("//Applications///team/dev/", "/Applications/team/dev"),
    ("/Workspace/Applications/team/dev", "/Applications/team/dev"),
    ("/Workspace//Shared/x/.", "/Shared/x"),
    ("/Applications/team/dev/../prod", "/Applications/team/prod"),
    ("/Applications/../Shared/x", "/Shared/x"),
    ("/Applications/Workspace/x", "/Applications/Workspace/x"),  # only the leading /Workspace is the prefix
    ("/", "/"),
])
def test_paths_are_read_as_the_workspace_resolves_them(path, normal):
    assert normalize_workspace_path(path) == normal


@pytest.mark.parametrize(("path", "root", "message"), [
    ("/..", "/", "'/..' climbs above '/' with '..'"),
    ("/../Shared/x", "/", "'/../Shared/x' climbs above '/' with '..'"),
    ("/Workspace/../Shared", "/", "'/Workspace/../Shared' climbs above '/' with '..'"),
    ("/a/b/../../../Shared", "/", "'/a/b/../../../Shared' climbs above '/' with '..'"),
    ("/A/dev/../../../Shared/x", "/A/dev", "'/A/dev/../../../Shared/x' climbs above '/A/dev' with '..'"),
    # climbing out and back in is refused too: the written path leaves the folder on the way
    ("/A/dev/../dev/x", "/A/dev", "'/A/dev/../dev/x' climbs above '/A/dev' with '..'"),
    ("/A/prod/x", "/A/dev", "'/A/prod/x' is not inside '/A/dev'"),
    ("Shared/x", "/", "'Shared/x' is not an absolute workspace path (it must start with '/')"),
    ("", "/", "'' is not an absolute workspace path (it must start with '/')"),
])
def test_a_path_that_leaves_its_folder_is_refused(path, root, message):
    with pytest.raises(WorkspacePathError) as raised:
        normalize_workspace_path(path, root)
    assert str(raised.value) == message


def test_a_path_inside_its_folder_stays_there():
    assert normalize_workspace_path("/Workspace/A/dev/./x//y/../z", "/A/dev") == "/A/dev/x/z"


@pytest.mark.parametrize(("path", "code"), [
    (("tasks", 0, "notebook_task", "notebook_path"), True),
    (("tasks", 1, "spark_python_task", "python_file"), True),
    (("root_path",), True),
    (("libraries", 0, "notebook", "path"), True),
    (("libraries", 0, "file", "path"), True),
    (("libraries", 0, "glob", "include"), True),
    (("tasks", 0, "sql_task", "path"), False),
    (("tasks", 0, "notebook_task", "base_parameters", "notebook_path_hint"), False),
    ((), False),
])
def test_code_paths_are_the_fields_that_name_code_in_the_workspace(path, code):
    assert is_code_path(path) is code
