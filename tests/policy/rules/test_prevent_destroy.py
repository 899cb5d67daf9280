"""CP-PREVENT-DESTROY alone: where protect_data is on, what holds data carries lifecycle.prevent_destroy; catalogs
and schemas never force_destroy."""

from __future__ import annotations

from core.toolchain import TerraformResourceLifecycle
from core.provider import Schema
from core.provider import SecretScope

from policy import PolicyContext
from policy.rules.prevent_destroy import RULE
from tests.policy.helpers import DEV, KEEP, PROD, Build, adding, findings_of, line, pipeline

FIX = "set lifecycle.prevent_destroy and drop force_destroy (a deliberate deletion is a reviewed suppression)"
UNPROTECTED = PolicyContext(environment=DEV, others=(PROD,), protect_data=False)


def findings(outdir, build, **kwargs) -> list[str]:
    return findings_of(RULE, outdir, build, **kwargs)


def finding(kind: str, id: str, message: str) -> str:
    return line(kind, id, "CP-PREVENT-DESTROY", message, FIX)


def data_bearing(lifecycle: TerraformResourceLifecycle | None, **schema_settings) -> Build:
    def build(stack):
        Schema(stack, "schema", catalog_name="appsec_dev", name="bronze", lifecycle=lifecycle, **schema_settings)
        pipeline(stack, lifecycle=lifecycle)
        SecretScope(stack, "scope", name=DEV.secret_scope, lifecycle=lifecycle)

    return build


def test_data_bearing_resources_with_prevent_destroy_pass(tmp_path):
    assert findings(tmp_path, data_bearing(KEEP)) == []


def test_without_protect_data_prevent_destroy_is_not_required(tmp_path):
    assert findings(tmp_path, data_bearing(None), context=UNPROTECTED) == []


def test_with_protect_data_each_data_bearing_resource_needs_prevent_destroy(tmp_path):
    assert findings(tmp_path, data_bearing(None)) == [
        finding("databricks_pipeline", "pipeline",
                "pipeline holds data and has no lifecycle.prevent_destroy in environment 'dev' (protect_data)"),
        finding("databricks_schema", "schema",
                "schema holds data and has no lifecycle.prevent_destroy in environment 'dev' (protect_data)"),
        finding("databricks_secret_scope", "scope",
                "secret scope holds data and has no lifecycle.prevent_destroy in environment 'dev' (protect_data)")]


def test_a_prevent_destroy_set_to_false_is_no_protection(tmp_path):
    build = adding(Schema, "schema", catalog_name="appsec_dev", name="bronze",
                   lifecycle=TerraformResourceLifecycle(prevent_destroy=False))
    assert findings(tmp_path, build) == [
        finding("databricks_schema", "schema",
                "schema holds data and has no lifecycle.prevent_destroy in environment 'dev' (protect_data)")]


def test_a_protected_schema_with_force_destroy_is_a_finding(tmp_path):
    build = adding(Schema, "schema", catalog_name="appsec_dev", name="bronze", lifecycle=KEEP, force_destroy=True)
    assert findings(tmp_path, build) == [
        finding("databricks_schema", "schema", "schema has force_destroy: destroying it drops every table")]


def test_force_destroy_is_a_finding_even_without_protect_data(tmp_path):
    build = adding(Schema, "schema", catalog_name="appsec_dev", name="bronze", force_destroy=True)
    assert findings(tmp_path, build, context=UNPROTECTED) == [
        finding("databricks_schema", "schema", "schema has force_destroy: destroying it drops every table")]
