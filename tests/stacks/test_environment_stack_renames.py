"""A rename that keeps what is deployed: the same config synthesized before and after its connectors and job are
renamed with `renamed_from`. Every resource under the renamed constructs moves (a `moved` block from its old
address to its new one, same type), and nothing is destroyed or created."""

from __future__ import annotations

import pytest

from core.stack_references import References
from review.diff import pair_resources
from tests.fixtures.builders import rename_config
from tests.helpers import synth_config_text


@pytest.fixture(scope="module")
def before(tmp_path_factory) -> dict[str, dict]:
    return synth_config_text(rename_config(renamed=False), tmp_path_factory.mktemp("before") / "cdktf.out")


@pytest.fixture(scope="module")
def after(tmp_path_factory) -> dict[str, dict]:
    return synth_config_text(rename_config(renamed=True), tmp_path_factory.mktemp("after") / "cdktf.out")


# (type, construct path before, construct path after): every resource under the renamed constructs.
MOVES = [
    ("databricks_job", "github/job", "github_cloud/job"),
    ("databricks_permissions", "github/permissions", "github_cloud/permissions"),
    ("databricks_pipeline", "servicenow/pipeline", "servicenow_cloud/pipeline"),
    ("databricks_permissions", "servicenow/pipeline_permissions", "servicenow_cloud/pipeline_permissions"),
    ("databricks_job", "servicenow/job", "servicenow_cloud/job"),
    ("databricks_permissions", "servicenow/permissions", "servicenow_cloud/permissions"),
    ("databricks_job", "jobs/daily/job", "jobs/nightly/job"),
    ("databricks_permissions", "jobs/daily/permissions", "jobs/nightly/permissions"),
]


def _address(document: dict, kind: str, path: str) -> str:
    """The address of the resource of `kind` at construct path `path` (cdktf's metadata)."""
    stack = document["//"]["metadata"]["stackName"]
    found = [name for name, body in document["resource"][kind].items()
             if body["//"]["metadata"]["path"] == f"{stack}/{path}"]
    assert len(found) == 1, (kind, path, found)
    return f"{kind}.{found[0]}"


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_every_resource_under_a_renamed_construct_moves(before, after, env):
    assert after[env]["moved"] == [
        {"from": _address(before[env], kind, old), "to": _address(after[env], kind, new)} for kind, old, new in MOVES]
    assert "moved" not in before[env]


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_nothing_is_destroyed_or_created(before, after, env):
    pairs = pair_resources(before[env], after[env], References(before[env]), References(after[env]))
    assert sorted({pair.how for pair in pairs}) == ["moved", "same"]
    moved = {(pair.base.address, pair.head.address) for pair in pairs if pair.how == "moved"}  # type: ignore[union-attr]
    assert moved == {(block["from"], block["to"]) for block in after[env]["moved"]}
    for pair in pairs:
        assert pair.base is not None and pair.head is not None and pair.base.kind == pair.head.kind


def test_the_renamed_job_is_updated_in_place_under_its_new_name(before, after):
    old = before["prod"]["resource"]["databricks_job"][_address(before["prod"], "databricks_job", "github/job")
                                                       .split(".", 1)[1]]
    new = after["prod"]["resource"]["databricks_job"][_address(after["prod"], "databricks_job", "github_cloud/job")
                                                      .split(".", 1)[1]]
    assert (old["name"], new["name"]) == ("github-connector", "github_cloud-connector")
    assert (old["tags"]["source"], new["tags"]["source"]) == ("github", "github_cloud")
    assert new["task"][0]["notebook_task"]["base_parameters"]["secret_names"] == "github_cloud-token"
