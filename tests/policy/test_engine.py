"""policy.engine and what rules see (policy.rule), on Terraform JSON written here: the items of a stack, a finding
as the user reads it, and `evaluate` running the rules it is given (by default the whole pack)."""

from __future__ import annotations

from collections.abc import Iterator

from policy import RULES, Finding, PolicyContext, Rule, evaluate
from policy.rule import Item, Stack
from policy.rules import job_owner, run_as
from tests.policy.helpers import CONTEXT, SP_DEV

# A job as cdktf writes one: its construct path in `//`, its address a hashed logical id.
JOB = {"name": "github", "//": {"metadata": {"path": "dev/github/job", "uniqueId": "github_job_CE030D3F"}}}
UNOWNED_USER_JOB = {"resource": {"databricks_job": {"github_job_CE030D3F": {**JOB, "run_as": {"user_name": "a@b.c"}}}}}


def every(kind: str, message: str) -> Rule:
    """A rule (for these tests) with a finding on every item of `kind`."""
    def check(stack: Stack, context: PolicyContext) -> Iterator[tuple[Item, str]]:
        for item in stack.of(kind):
            yield item, message

    return Rule("CP-TEST-EVERY", f"no {kind}", "remove it", check)


# ------------------------------------------------------------------------------------------------ the items


def test_a_stack_is_its_resources_data_sources_providers_and_backend_in_a_stable_order():
    document = {
        "resource": {"databricks_job": {"b_job": {"name": "b"}, "a_job": JOB},
                     "databricks_catalog": {"main": {"name": "appsec_dev"}}},
        "data": {"databricks_current_user": {"me": {}}},
        "provider": {"databricks": [{"host": "https://one"}, {"host": "https://two", "alias": "two"}]},
        "terraform": {"backend": {"local": {"path": "terraform.dev.tfstate"}}},
    }
    assert [(item.path, item.address, item.kind, item.name) for item in Stack(document).items] == [
        ("databricks_catalog.main", "databricks_catalog.main", "databricks_catalog", "main"),
        ("dev/github/job", "databricks_job.a_job", "databricks_job", "a_job"),
        ("databricks_job.b_job", "databricks_job.b_job", "databricks_job", "b_job"),
        ("data.databricks_current_user.me", "data.databricks_current_user.me", "databricks_current_user", "me"),
        ("provider.databricks", "provider.databricks", "provider", "databricks"),
        ("provider.databricks[1]", "provider.databricks[1]", "provider", "databricks"),
        ("backend.local", "terraform.backend.local", "backend", "local"),
    ]
    assert Stack(document).of("databricks_job")[0].body == {"name": "github"}  # without the `//` metadata


def test_a_stack_resolves_references_to_its_own_resources():
    document = {"resource": {"databricks_secret_scope": {"scope": {"name": "connectors-dev"}},
                             "databricks_secret_acl": {"acl": {"scope": "${databricks_secret_scope.scope.name}"}}}}
    [acl] = Stack(document).of("databricks_secret_acl")
    assert Stack(document).resolve(acl.body["scope"]) == "connectors-dev"


# --------------------------------------------------------------------------------------------- a finding


def test_a_finding_names_the_construct_path_and_beside_it_the_address():
    finding = Finding("dev/github/job", "CP-RUN-AS", "runs as user 'a@b.c'", "databricks_job.github_job_CE030D3F",
                      "set run_as")
    assert finding.render() == ("dev/github/job (databricks_job.github_job_CE030D3F): CP-RUN-AS: runs as user "
                                "'a@b.c'; fix: set run_as")


def test_a_finding_without_a_construct_path_is_named_by_its_address_once():
    finding = Finding("provider.databricks", "CP-CROSS-ENV", "host names prod's workspace", "provider.databricks",
                      "use the stack's own values")
    assert finding.render() == ("provider.databricks: CP-CROSS-ENV: host names prod's workspace; fix: use the "
                                "stack's own values")


# ------------------------------------------------------------------------------------------------ evaluate


def test_evaluate_runs_only_the_rules_it_is_given():
    assert [f.rule for f in evaluate(UNOWNED_USER_JOB, CONTEXT, rules=(run_as.RULE,))] == ["CP-RUN-AS"]
    assert [f.rule for f in evaluate(UNOWNED_USER_JOB, CONTEXT, rules=(job_owner.RULE,))] == ["CP-JOB-OWNER"]
    assert evaluate(UNOWNED_USER_JOB, CONTEXT, rules=()) == []


def test_evaluate_runs_the_whole_pack_by_default():
    """Both rules' findings, among whatever other rules find in this bare job."""
    found = evaluate(UNOWNED_USER_JOB, CONTEXT)
    assert found == evaluate(UNOWNED_USER_JOB, CONTEXT, rules=RULES)
    assert [finding for finding in found if finding.rule in ("CP-JOB-OWNER", "CP-RUN-AS")] == [
        Finding("dev/github/job", "CP-JOB-OWNER", "job 'github' has no databricks_permissions, so Databricks makes "
                "whoever deploys it its owner", "databricks_job.github_job_CE030D3F", job_owner.RULE.fix),
        Finding("dev/github/job", "CP-RUN-AS", "runs as user 'a@b.c'", "databricks_job.github_job_CE030D3F",
                run_as.RULE.fix)]


def test_findings_are_sorted_by_path_rule_and_message_whatever_order_rules_yield_them():
    document = {"resource": {"databricks_job": {"b": {"name": "b"}, "a": {"name": "a"}}}}
    rules = (every("databricks_job", "second"), every("databricks_job", "first"))
    assert [(f.path, f.message) for f in evaluate(document, CONTEXT, rules=rules)] == [
        ("databricks_job.a", "first"), ("databricks_job.a", "second"),
        ("databricks_job.b", "first"), ("databricks_job.b", "second")]


def test_a_finding_yielded_twice_is_reported_once():
    document = {"resource": {"databricks_job": {"a": {"name": "a", "run_as": {"service_principal_name": SP_DEV}}}}}
    twice = every("databricks_job", "same")
    assert len(evaluate(document, CONTEXT, rules=(twice, twice))) == 1
