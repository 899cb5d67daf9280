"""What connectors.yaml may say to the policy pack (its `policy` section): suppressions naming a rule by its id
and a resource by its path, and broad groups; read by the config model, resolved per environment."""

from __future__ import annotations

import pytest

from connectors_config import ConfigError, parse_config, resolve
from policy import RULE_IDS, Suppression
from tests.connectors_config.test_loader import VALID

LONG_REASON = "reviewed by appsec on 2026-01-02, ticket SEC-1"


def errors_of(policy: str) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        parse_config(VALID + policy, "connectors.yaml")
    return [problem.render("connectors.yaml") for problem in raised.value.problems]


def suppression(rule: str = "CP-RUN-AS", resource: str = "dev/jobs/x/job", reason: str = LONG_REASON) -> str:
    return f"    - rule: {rule}\n      resource: {resource}\n      reason: {reason}\n"


def test_a_suppression_of_an_unknown_rule_lists_the_rules():
    """Every rule id, in the pack's order (`RULE_IDS`, so a new rule is listed without touching this test)."""
    *others, last = (f"'{rule_id}'" for rule_id in RULE_IDS)
    assert errors_of("policy:\n  suppressions:\n" + suppression(rule="CP-RUN-ASS")) == [
        f"connectors.yaml:35: policy.suppressions[0].rule: 'CP-RUN-ASS' is not one of: {', '.join(others)} or {last}"]


def test_a_suppression_needs_a_reason_of_twenty_characters():
    assert errors_of("policy:\n  suppressions:\n" + suppression(reason="too short")) == [
        "connectors.yaml:37: policy.suppressions[0].reason: is too short; write at least 20 characters"]


def test_a_suppression_names_an_environment_then_a_construct_path():
    assert errors_of("policy:\n  suppressions:\n" + suppression(resource="jobs")) == [
        "connectors.yaml:36: policy.suppressions[0].resource: 'jobs' is not a valid resource path; use the resource "
        "path the policy violation names: '<stack>/<construct>/.../<resource>' "
        "(e.g. 'prod/jobs/legacy_export/permissions')"]


def test_a_suppression_of_an_unknown_environment_lists_the_environments():
    assert errors_of("policy:\n  suppressions:\n" + suppression(resource="staging/jobs/x/job")) == [
        "connectors.yaml:36: policy.suppressions[0].resource: 'staging' is not an environment; a resource path "
        "starts with one of: dev, prod"]


def test_the_same_rule_and_resource_may_be_suppressed_once():
    assert errors_of("policy:\n  suppressions:\n" + suppression() + suppression(reason=LONG_REASON + " again")) == [
        "connectors.yaml:38: policy.suppressions[1]: suppresses CP-RUN-AS on dev/jobs/x/job again "
        "(also policy.suppressions[0]); keep one"]


def test_an_unknown_key_under_policy_suggests_the_closest():
    assert errors_of("policy:\n  broad_group: [all-staff]\n") == [
        "connectors.yaml:34: policy.broad_group: unknown key 'broad_group'; did you mean 'broad_groups'? "
        "allowed here: broad_groups, suppressions"]


def test_every_rule_id_may_be_suppressed():
    config = parse_config(VALID + "policy:\n  suppressions:\n"
                          + "".join(suppression(rule=rule_id) for rule_id in RULE_IDS), "connectors.yaml")
    assert sorted(s.rule for s in resolve(config, "dev").suppressions) == sorted(RULE_IDS)


def test_suppressions_and_broad_groups_resolve_per_environment():
    """Each environment gets only its own suppressions, each with where it is written; broad groups are compared
    in lower case, the built-in ones always included."""
    config = parse_config(VALID + "policy:\n  broad_groups: [All-Staff]\n  suppressions:\n"
                          + suppression(resource="prod/jobs/x/job")
                          + suppression(rule="CP-JOB-OWNER", resource="dev/jobs/x/permissions")
                          + suppression(rule="CP-BROAD-WRITE", resource="prod/secrets/acl_users"))
    prod = resolve(config, "prod")
    assert prod.suppressions == (
        Suppression("prod/jobs/x/job", "CP-RUN-AS", LONG_REASON, "policy.suppressions[0]"),
        Suppression("prod/secrets/acl_users", "CP-BROAD-WRITE", LONG_REASON, "policy.suppressions[2]"))
    assert resolve(config, "dev").suppressions == (
        Suppression("dev/jobs/x/permissions", "CP-JOB-OWNER", LONG_REASON, "policy.suppressions[1]"),)
    assert prod.broad_groups == frozenset({"users", "account users", "all users", "all-staff"})


def test_without_a_policy_section_nothing_is_suppressed_and_only_built_in_groups_are_broad():
    dev = resolve(parse_config(VALID), "dev")
    assert dev.suppressions == ()
    assert dev.broad_groups == frozenset({"users", "account users", "all users"})
