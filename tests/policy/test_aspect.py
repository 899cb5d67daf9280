"""The whole pack on every synth (PolicyPack, PolicyGate), through `stacks.app.synth_checked` as `python main.py`
runs it: what a user reads when a synth fails, suppressions written into the resource they cover, every stack's
violations at once. What each rule finds is tested in tests/policy/rules/, one rule at a time; here a pack runs the
rules a test is about (`rules=`), so a new rule changes none of these tests, except the two that hold a compliant
stack and the sample config against every rule."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from core.toolchain import App, TerraformStack
from core.provider import Job, JobRunAs
from core.provider import DatabricksProvider
from core.provider import SecretAcl
from core.provider import SecretScope
from constructs import Construct

import stacks.app
from connectors_config import load_config
from policy import RULES, PolicyContext, PolicyError, Rule, Suppression
from policy.aspect import PolicyGate, PolicyPack, PolicyProps
from policy.rules import cross_env, job_owner, prevent_destroy, run_as, secret_read
from tests.conftest import SAMPLE_CONFIG, SAMPLE_NOTEBOOKS
from tests.policy.helpers import (ALICE, CONTEXT, DEV, KEEP, NOTEBOOK_DIR, OWNER_DEV, PROD_CONTEXT, RUN_AS_DEV, Build,
                                  adding, job_with_access, notebook_task, owned_job, pipeline, with_job)

# The fix of each rule these tests meet, as the user reads it after its findings.
FIX = {
    "CP-RUN-AS": "set run_as.service_principal_name (connectors.yaml: the environment's or connector's run_as)",
    "CP-SECRET-READ": "give run-as identities READ; secrets are written by an admin group, outside the jobs",
    "CP-JOB-OWNER": "give the job's permissions exactly one IS_OWNER, the principal it runs as",
    "CP-CROSS-ENV": "use the stack's own environment values (${env.*} in the jobs section)",
}
REASON = "reviewed by appsec (SEC-1234): owned through the workspace UI until the migration"


class PolicyStack(TerraformStack):
    """A bare TerraformStack with a provider and a PolicyPack (`policy`, where `stacks.app.synth_checked` finds it), and
    nothing else."""

    def __init__(self, scope: Construct, id: str, *, context: PolicyContext, suppressions: tuple[Suppression, ...],
                 rules: tuple[Rule, ...]) -> None:
        super().__init__(scope, id)
        DatabricksProvider(self, "databricks", host=context.environment.host)
        self.policy = PolicyPack(self, props=PolicyProps(context=context, suppressions=suppressions, rules=rules))


def app_of(outdir: Path, *stacks: tuple[Build, PolicyContext, tuple[Suppression, ...]],
           rules: tuple[Rule, ...] = RULES) -> App:
    """An App with one PolicyStack per (build, context, suppressions), named after the context's environment, each
    running `rules`, and the PolicyGate over all of their packs."""
    app = App(outdir=str(outdir))
    packs = []
    for build, context, suppressions in stacks:
        stack = PolicyStack(app, context.environment.name, context=context, suppressions=suppressions, rules=rules)
        build(stack)
        packs.append(stack.policy)
    app.node.add_validation(PolicyGate(tuple(packs)))
    return app


def synth(outdir: Path, build: Build, *, context: PolicyContext = CONTEXT, suppressions: tuple[Suppression, ...] = (),
          rules: tuple[Rule, ...] = RULES) -> list[str]:
    """Synthesizes one stack holding what `build` adds, its pack running `rules`: the suppression lines, or
    PolicyError."""
    return stacks.app.synth_checked(app_of(outdir, (build, context, suppressions), rules=rules))


def problems(outdir: Path, build: Build, **kwargs) -> list[str]:
    with pytest.raises(PolicyError) as raised:
        synth(outdir, build, **kwargs)
    return raised.value.problems


def line(kind: str, id: str, rule: str, message: str, env: str = "dev") -> str:
    """A finding on a resource added directly to the stack: its logical id is its construct id, no hash."""
    return f"{env}/{id} ({kind}.{id}): {rule}: {message}; fix: {FIX[rule]}"


# ------------------------------------------------------------------------------------------ what a user reads


def test_a_job_and_a_pipeline_running_as_a_service_principal_pass(tmp_path):
    """The compliant baseline the rules' tests start from: it must synthesize with no finding of any rule."""
    def build(stack):
        owned_job(stack, task=[notebook_task(f"{NOTEBOOK_DIR}/ingest_entry")])
        pipeline(stack)

    assert synth(tmp_path, build) == []
    assert (tmp_path / "manifest.json").exists()


def test_a_nested_resource_is_named_by_its_construct_path_and_its_hashed_address(tmp_path):
    """Suppressions name the construct path; the address (with cdktf's hash) is shown beside it."""
    def build(stack):
        scope = Construct(stack, "github")
        owned_job(scope, run_as=JobRunAs(user_name=ALICE))

    [found] = problems(tmp_path, build, rules=(run_as.RULE,))
    where, rest = found.split(": ", 1)
    assert re.fullmatch(r"dev/github/job \(databricks_job\.github_job_[0-9A-F]{8}\)", where)
    assert rest == f"CP-RUN-AS: runs as user '{ALICE}'; fix: {FIX['CP-RUN-AS']}"


def test_findings_of_several_rules_are_all_reported_sorted_by_resource_path(tmp_path):
    """A user a job runs as manages the scope the job reads (CP-SECRET-READ), and the job runs as a user
    (CP-RUN-AS)."""
    def build(stack):
        scope = SecretScope(stack, "scope", name=DEV.secret_scope, lifecycle=KEEP)
        SecretAcl(stack, "acl", scope=scope.name, principal=ALICE, permission="MANAGE")
        with_job(run_as=JobRunAs(user_name=ALICE))(stack)

    assert problems(tmp_path, build, rules=(run_as.RULE, secret_read.RULE)) == [
        line("databricks_secret_acl", "acl", "CP-SECRET-READ",
             f"'{ALICE}' runs jobs or pipelines and gets MANAGE on secret scope '{DEV.secret_scope}'"),
        line("databricks_job", "job", "CP-RUN-AS", f"runs as user '{ALICE}'")]


# -------------------------------------------------------------------------------------------- suppressions


def test_a_suppressed_finding_is_reported_not_failed_and_its_reason_is_in_the_resource(tmp_path):
    unowned = adding(Job, "job", name="github", run_as=RUN_AS_DEV)
    suppression = Suppression("dev/job", "CP-JOB-OWNER", REASON, "policy.suppressions[0]")
    assert synth(tmp_path, unowned, suppressions=(suppression,), rules=(job_owner.RULE,)) == [
        f"policy: CP-JOB-OWNER suppressed on dev/job: {REASON}"]
    document = json.loads((tmp_path / "stacks" / "dev" / "cdk.tf.json").read_text())
    comment = document["resource"]["databricks_job"]["job"]["//"]
    assert comment["policy_suppressions"] == [{"rule": "CP-JOB-OWNER", "reason": REASON}]
    assert comment["metadata"]["path"] == "dev/job"
    assert (tmp_path / "manifest.json").exists()


def test_a_suppression_of_a_nested_resource_is_written_into_that_resource(tmp_path):
    def build(stack):
        scope = Construct(stack, "github")
        Job(scope, "job", name="github", run_as=RUN_AS_DEV)

    suppression = Suppression("dev/github/job", "CP-JOB-OWNER", REASON, "policy.suppressions[3]")
    assert synth(tmp_path, build, suppressions=(suppression,), rules=(job_owner.RULE,)) == [
        f"policy: CP-JOB-OWNER suppressed on dev/github/job: {REASON}"]
    document = json.loads((tmp_path / "stacks" / "dev" / "cdk.tf.json").read_text())
    [(address, body)] = document["resource"]["databricks_job"].items()
    assert re.fullmatch(r"github_job_[0-9A-F]{8}", address)
    assert body["//"]["policy_suppressions"] == [{"rule": "CP-JOB-OWNER", "reason": REASON}]


def test_a_suppression_that_matches_nothing_fails_the_synth_naming_where_it_is_written(tmp_path):
    """A stale exception would silently cover the next, different violation of that resource."""
    stale = Suppression("dev/job", "CP-RUN-AS", REASON, "policy.suppressions[2]")
    assert problems(tmp_path, owned_job, suppressions=(stale,), rules=(run_as.RULE,)) == [
        "policy.suppressions[2]: CP-RUN-AS on dev/job matches no violation of this synth; remove it (if the "
        "resource was renamed, the suppression names its new path)"]
    assert not (tmp_path / "manifest.json").exists()


def test_a_suppression_the_platform_adds_itself_is_named_as_a_suppression(tmp_path):
    stale = Suppression("dev/renamed/pipeline", "CP-PREVENT-DESTROY", REASON)
    assert problems(tmp_path, owned_job, suppressions=(stale,), rules=(prevent_destroy.RULE,)) == [
        "suppression: CP-PREVENT-DESTROY on dev/renamed/pipeline matches no violation of this synth; remove it "
        "(if the resource was renamed, the suppression names its new path)"]


def test_a_suppression_of_another_rule_on_the_same_resource_hides_only_its_own(tmp_path):
    build = adding(Job, "job", name="github")  # no run_as, no permissions
    owner = Suppression("dev/job", "CP-JOB-OWNER", REASON, "policy.suppressions[0]")
    assert problems(tmp_path, build, suppressions=(owner,), rules=(run_as.RULE, job_owner.RULE)) == [
        line("databricks_job", "job", "CP-RUN-AS", "runs as whoever deploys it (no run_as)")]


def test_a_suppression_for_a_rule_the_resource_does_not_break_is_stale_and_hides_nothing(tmp_path):
    owner = Suppression("dev/job", "CP-JOB-OWNER", REASON, "policy.suppressions[0]")
    build = job_with_access(OWNER_DEV, run_as=None)
    assert problems(tmp_path, build, suppressions=(owner,), rules=(run_as.RULE, job_owner.RULE)) == [
        line("databricks_job", "job", "CP-RUN-AS", "runs as whoever deploys it (no run_as)"),
        "policy.suppressions[0]: CP-JOB-OWNER on dev/job matches no violation of this synth; remove it (if the "
        "resource was renamed, the suppression names its new path)"]


# ----------------------------------------------------------------------------------------- the whole app


def test_every_stacks_violations_are_reported_at_once_and_no_manifest_is_written(tmp_path):
    unowned = adding(Job, "job", name="github", run_as=RUN_AS_DEV)
    leaked = adding(SecretAcl, "acl", scope=DEV.secret_scope, principal="users", permission="READ")
    app = app_of(tmp_path, (unowned, CONTEXT, ()), (leaked, PROD_CONTEXT, ()),
                 rules=(job_owner.RULE, cross_env.RULE))
    with pytest.raises(PolicyError) as raised:
        stacks.app.synth_checked(app)
    assert raised.value.problems == [
        line("databricks_job", "job", "CP-JOB-OWNER",
             "job 'github' has no databricks_permissions, so Databricks makes whoever deploys it its owner"),
        line("databricks_secret_acl", "acl", "CP-CROSS-ENV", "scope names dev's secret scope 'connectors-dev'",
             env="prod")]
    assert str(raised.value).splitlines()[0] == (
        "policy: 2 violations; nothing was synthesized. Fix each, or suppress one in connectors.yaml "
        "(policy.suppressions: rule, resource, reason) once it is reviewed.")
    assert not (tmp_path / "manifest.json").exists()


def test_the_sample_config_passes_every_rule(tmp_path):
    assert stacks.app.synth_checked(stacks.app.build_app(load_config(SAMPLE_CONFIG), str(tmp_path), SAMPLE_NOTEBOOKS)) == []
    assert (tmp_path / "manifest.json").exists()
