"""What the Databricks provider of CDK Terrain's bindings (cdktn-provider-databricks 18.11.0: provider 1.138.0) has
that cdktf's (cdktf-cdktf-provider-databricks 15.16.1: provider 1.99.0) has not, where the platform's tests hold
the code against the bindings. The tests that would differ read this (`newer(...)`), so they run unchanged and
exact under either toolchain (`make check-cdk-terrain` runs them under cdktn) instead of being skipped.

Plain data: the toolchain in use is core.toolchain.TOOLCHAIN, which the tests pass in.
"""

from __future__ import annotations

# grant / grants: securables the newer provider can grant on. The policy pack's privilege matrix
# (policy/privileges.py GRANT_SECURABLE_FIELDS) maps them under either toolchain, so a grant on one is checked
# privilege by privilege; under cdktf the matrix knows exactly these more than the bindings do.
GRANT_SECURABLES = frozenset({"mcp_service", "model_provider_service", "model_service", "secret"})
# grant / grants: an argument that is not a securable (the provider's per-resource provider configuration).
GRANT_META_ARGUMENTS = frozenset({"provider_config"})

# The provider version each toolchain's bindings declare in `required_providers`.
PROVIDER_VERSIONS = {"cdktf": "1.99.0", "cdktn": "1.138.0"}
# How each toolchain's App writes manifest.json (stacks/processes.py writes the merged one in the same style).
MANIFEST_STYLES = {"cdktf": "json-stable-stringify", "cdktn": "safe-stable-stringify"}

# databricks_job: the fields each of the provider's job structs gains (the blocks under them are new structs too).
# The config keeps refusing them under either toolchain: it reads the vendored 1.99.0 shape
# (core/schema/databricks-provider-job.json), so they become usable only when that shape is regenerated.
JOB_FIELDS: dict[str, frozenset[str]] = {struct: frozenset(names.split()) for struct, names in {
    "Job": "environment_variables parent_path triggers",
    "JobContinuous": "maintenance_window",
    "JobDeployment": "deployment_id version_id",
    "JobEmailNotifications": "on_maintenance_complete on_maintenance_start",
    "JobEnvironmentSpec": "base_environment project_environment",
    "JobGitSource": "sparse_checkout",
    "JobJobCluster": "serverless_compute_id",
    "JobJobClusterNewCluster": "dependency_mode driver_node_type_flexibility worker_node_type_flexibility",
    "JobJobClusterNewClusterAzureAttributes": "capacity_reservation_group",
    "JobJobClusterNewClusterGcpAttributes": "confidential_compute_type",
    "JobRunAs": "group_name",
    "JobSchedule": "sql_condition",
    "JobTask": "ai_runtime_task alert_task compute environment_variables_key python_operator_task",
    "JobTaskDashboardTask": "filters",
    "JobTaskEmailNotifications": "on_maintenance_complete on_maintenance_start",
    "JobTaskForEachTaskTask": "ai_runtime_task alert_task compute environment_variables_key python_operator_task",
    "JobTaskForEachTaskTaskDashboardTask": "filters",
    "JobTaskForEachTaskTaskEmailNotifications": "on_maintenance_complete on_maintenance_start",
    "JobTaskForEachTaskTaskNewCluster": "dependency_mode driver_node_type_flexibility worker_node_type_flexibility",
    "JobTaskForEachTaskTaskNewClusterAzureAttributes": "capacity_reservation_group",
    "JobTaskForEachTaskTaskNewClusterGcpAttributes": "confidential_compute_type",
    "JobTaskForEachTaskTaskPipelineTask": "full_refresh_selection parameters "
        "refresh_flow_selection refresh_selection reset_checkpoint_selection",
    "JobTaskForEachTaskTaskRunJobTaskPipelineParams": "full_refresh_selection refresh_flow_selection "
        "refresh_selection reset_checkpoint_selection",
    "JobTaskForEachTaskTaskWebhookNotifications": "on_maintenance_complete on_maintenance_start",
    "JobTaskNewCluster": "dependency_mode driver_node_type_flexibility worker_node_type_flexibility",
    "JobTaskNewClusterAzureAttributes": "capacity_reservation_group",
    "JobTaskNewClusterGcpAttributes": "confidential_compute_type",
    "JobTaskPipelineTask": "full_refresh_selection parameters "
        "refresh_flow_selection refresh_selection reset_checkpoint_selection",
    "JobTaskRunJobTaskPipelineParams": "full_refresh_selection refresh_flow_selection "
        "refresh_selection reset_checkpoint_selection",
    "JobTaskWebhookNotifications": "on_maintenance_complete on_maintenance_start",
    "JobTrigger": "sql_condition",
    "JobWebhookNotifications": "on_maintenance_complete on_maintenance_start",
}.items()}
# databricks_job: fields the newer provider no longer requires (a job cluster may be serverless; the provider
# configuration's workspace_id defaults to the provider's own).
JOB_FIELDS_OPTIONAL: dict[str, frozenset[str]] = {"JobJobCluster": frozenset({"new_cluster"})} | {
    f"{struct}ProviderConfig": frozenset({"workspace_id"}) for struct in (
        "JobJobClusterNewClusterLibrary", "JobJobClusterNewCluster", "JobTaskForEachTaskTaskLibrary",
        "JobTaskForEachTaskTaskNewClusterLibrary", "JobTaskForEachTaskTaskNewCluster", "JobTaskLibrary",
        "JobTaskNewClusterLibrary", "JobTaskNewCluster")}

NEWER: dict[str, frozenset[str]] = {"grant_securables": GRANT_SECURABLES, "grant_meta_arguments": GRANT_META_ARGUMENTS}


def newer(kind: str, toolchain: str) -> frozenset[str]:
    """The `kind` of NEWER under `toolchain` ('cdktn'), nothing under 'cdktf'."""
    return NEWER[kind] if toolchain == "cdktn" else frozenset()


def newer_job_fields(toolchain: str) -> tuple[dict[str, frozenset[str]], dict[str, frozenset[str]]]:
    """(JOB_FIELDS, JOB_FIELDS_OPTIONAL) under `toolchain` ('cdktn'), nothing under 'cdktf'."""
    return (JOB_FIELDS, JOB_FIELDS_OPTIONAL) if toolchain == "cdktn" else ({}, {})
