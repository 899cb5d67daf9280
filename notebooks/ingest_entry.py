# Databricks notebook source
# MAGIC %md
# MAGIC # Connector ingest: source -> bronze
# MAGIC Task `ingest` of the `<source>-connector` job. Parameters come from the job (`source_name`,
# MAGIC `target_catalog`, `hwm_reset`) and its task (`secret_scope`, `secret_names`), read through widgets.

# COMMAND ----------

from connector_runtime import declare_widgets, ingest_plan, read_parameters

declare_widgets(dbutils.widgets)  # noqa: F821 - dbutils is provided by the Databricks runtime
params = read_parameters(dbutils.widgets)  # noqa: F821

# COMMAND ----------

print(ingest_plan(params))
