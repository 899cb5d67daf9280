"""core.principals against Databricks' own published shapes (the vendored bundle schema): the fields that name a
principal, the levels a job takes, and one ranking that agrees with every kind of object's levels."""

from __future__ import annotations

import pytest

from core.bundle_schema import schema_defs
from core.principals import (
    JOB_PERMISSION_LEVELS,
    KEY_OF_KIND,
    PERMISSION_RANK,
    PRINCIPAL_KEYS,
    SECRET_ACL_RANK,
    Principal,
    slug,
    unique_slugs,
)

SDK = schema_defs()["github.com"]["databricks"]["databricks-sdk-go"]["service"]
BUNDLE = schema_defs()["github.com"]["databricks"]["cli"]["bundle"]["config"]


def _enum(definition: dict) -> list[str]:
    return next(branch["enum"] for branch in definition["oneOf"] if "enum" in branch)


def _properties(definition: dict) -> set[str]:
    return set(next(branch["properties"] for branch in definition["oneOf"] if "properties" in branch))


def test_principal_keys_are_the_fields_a_bundle_permission_names_a_principal_by():
    assert set(PRINCIPAL_KEYS) == _properties(BUNDLE["resources.JobPermission"]) - {"level"}
    assert {Principal(kind, "x").key for kind in KEY_OF_KIND} == set(PRINCIPAL_KEYS)


def test_job_permission_levels_are_the_jobs_apis():
    assert sorted(JOB_PERMISSION_LEVELS) == sorted(_enum(SDK["jobs.JobPermissionLevel"]))


def test_secret_acl_permissions_are_the_apis():
    assert sorted(SECRET_ACL_RANK) == sorted(_enum(BUNDLE["resources.SecretScopePermissionLevel"]))


@pytest.mark.parametrize("order", [
    JOB_PERMISSION_LEVELS,                                    # jobs
    ("CAN_VIEW", "CAN_RUN", "CAN_MANAGE", "IS_OWNER"),        # pipelines
    ("CAN_READ", "CAN_RUN", "CAN_EDIT", "CAN_MANAGE"),        # notebooks, directories, files, repos
    ("CAN_ATTACH_TO", "CAN_RESTART", "CAN_MANAGE"),           # clusters
    ("CAN_VIEW", "CAN_USE", "CAN_MONITOR", "CAN_MANAGE", "IS_OWNER"),  # SQL warehouses
    ("CAN_VIEW", "CAN_QUERY", "CAN_MANAGE"),                  # serving endpoints
])
def test_one_ranking_agrees_with_each_kind_of_object(order):
    ranks = [PERMISSION_RANK[level] for level in order]
    assert ranks == sorted(ranks) and len(set(ranks)) == len(ranks)


def test_every_ranked_level_is_a_databricks_permission_level():
    assert set(PERMISSION_RANK) <= set(_enum(SDK["iam.PermissionLevel"]))


def test_slugs_are_stable_and_never_shared():
    assert slug("AppSec Admins") == "appsec_admins"
    assert slug("!!!") == "unnamed"
    assert unique_slugs(["b", "a"]) == {"a": "a", "b": "b"}
    with pytest.raises(ValueError, match="principals 'a b' and 'a_b' map to the same construct id 'a_b'"):
        unique_slugs(["a_b", "a b"])
