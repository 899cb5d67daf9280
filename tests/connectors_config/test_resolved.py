"""The sample connectors.yaml loads, and resolving an environment applies defaults and overrides."""

from __future__ import annotations

import pytest

from connectors_config import CONFIG_ENV_VAR, config_path_from_env, parse_config, resolve
from tests.connectors_config.test_loader import VALID, replace


def test_sample_has_the_seed_connectors_servicenow_and_both_environments(sample_config):
    assert [(c.name, c.kind) for c in sample_config.connectors] == [
        ("github", "batch"), ("sonarqube", "batch"), ("cmdb", "batch"), ("servicenow", "lakeflow_connect")]
    assert sorted(sample_config.environments) == ["dev", "prod"]
    assert {c.name: c.schedule for c in sample_config.connectors} == {
        "github": "0 */15 * * * ?", "sonarqube": "0 0 */3 * * ?", "cmdb": "0 0 2 * * ?",
        "servicenow": "0 30 */6 * * ?"}


def test_config_path_defaults_to_connectors_yaml_and_can_be_overridden(monkeypatch):
    monkeypatch.delenv(CONFIG_ENV_VAR, raising=False)
    assert config_path_from_env() == "connectors.yaml"
    monkeypatch.setenv(CONFIG_ENV_VAR, "review/other.yaml")
    assert config_path_from_env() == "review/other.yaml"


def test_omitted_defaults_are_the_connector_job_template():
    env = resolve(parse_config(VALID), "dev")
    github = next(c for c in env.connectors if c.name == "github")
    assert github.retries.model_dump() == {"max_retries": 3, "min_retry_interval_millis": 2000,
                                           "retry_on_timeout": True}
    assert github.compute.model_dump() == {"spark_version": "14.3.x-scala2.12", "node_type_id": "Standard_DS3_v2",
                                           "num_workers": 1, "data_security_mode": "SINGLE_USER"}
    assert (github.timezone, env.secret_scope, github.timeout_seconds) == ("UTC", "mvp-connectors", None)
    assert (env.bronze_schema, env.silver_schema) == ("bronze", "silver")


def test_schedules_are_paused_unless_the_environment_says_otherwise():
    config = parse_config(replace("      on_failure: [oncall@example.com]\n",
                                  "      on_failure: [oncall@example.com]\n    schedules_paused: false\n"))
    assert {name: resolve(config, name).connectors[0].schedule_paused for name in ("dev", "prod")} == {
        "dev": True, "prod": False}


def test_connector_overrides_merge_over_defaults_and_add_recipients():
    config = parse_config(replace(
        '    schedule: "0 0 2 * * ?"\n',
        '    schedule: "0 0 2 * * ?"\n'
        "    retries: {max_retries: 5}\n"
        "    compute: {num_workers: 4}\n"
        "    notifications: {on_failure: [cmdb-owner@example.com, dev@example.com]}\n"
        "    owners: [cmdb-team]\n"
        "    tags: {cost_center: '42', source: ignored}\n"))
    cmdb = next(c for c in resolve(config, "dev").connectors if c.name == "cmdb")
    assert (cmdb.retries.max_retries, cmdb.retries.min_retry_interval_millis) == (5, 2000)
    assert (cmdb.compute.num_workers, cmdb.compute.node_type_id) == (4, "Standard_DS3_v2")
    assert cmdb.notify_on_failure == ("cmdb-owner@example.com", "dev@example.com")
    assert cmdb.operator_groups == ("appsec-data-engineers", "cmdb-team")
    # The platform's own tags win: a connector cannot relabel its source or environment.
    assert cmdb.tags == (("cost_center", "42"), ("environment", "dev"), ("managed_by", "connector-platform"),
                         ("source", "cmdb"))


def test_run_as_override_is_per_environment_and_principals_are_listed_once():
    other = "11111111-2222-4333-8444-555555555555"
    config = parse_config(replace('    schedule: "0 0 2 * * ?"\n',
                                  f'    schedule: "0 0 2 * * ?"\n    run_as: {{prod: {other}}}\n'))
    dev, prod = resolve(config, "dev"), resolve(config, "prod")
    assert dev.run_as_principals == ("3b0a7c52-6d1e-4f8a-9c2b-5e7d1f0a4b61",)
    assert prod.run_as_principals == (other, "9e4d2b17-0c5f-4a3e-8b6d-7f1c2a9e5d03")
    assert [c.run_as for c in prod.connectors] == [other, "9e4d2b17-0c5f-4a3e-8b6d-7f1c2a9e5d03"]


def test_connectors_resolve_sorted_by_name():
    assert [c.name for c in resolve(parse_config(VALID), "dev").connectors] == ["cmdb", "github"]


def test_config_is_frozen():
    config = parse_config(VALID)
    with pytest.raises(Exception, match="frozen"):
        config.connectors[0].name = "x"  # type: ignore[misc]
