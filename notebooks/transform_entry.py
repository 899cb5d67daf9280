# Databricks notebook source
# MAGIC %md
# MAGIC # Connector transform: bronze -> silver
# MAGIC Task `transform` of the `<source>-connector` job; runs only after `ingest` succeeded. Merges the bronze
# MAGIC batches it has not processed yet into `<catalog>.silver.<source>_<entity>`, one row per record in its
# MAGIC latest version: a retry or repair run re-merges the same versions and changes nothing.

# COMMAND ----------

from connector_lakehouse import run_transform, table_store
from connector_runtime import declare_widgets, read_parameters
from connector_source import load_spec

declare_widgets(dbutils.widgets)  # noqa: F821 - dbutils and spark are provided by the Databricks runtime
params = read_parameters(dbutils.widgets)  # noqa: F821
spec = load_spec(params.source)

# COMMAND ----------

# What ingest reported (a repair run of this task alone still sees the values of the run it repairs).
ingested = dbutils.jobs.taskValues.get(taskKey="ingest", key="records_ingested", default={}, debugValue={})  # noqa: F821
print(f"ingest reported: {ingested}")
result = run_transform(spark, table_store(spark), spec.silver(spec.with_defaults(params.settings)), params)  # noqa: F821

# COMMAND ----------

for key, value in result.task_values().items():
    dbutils.jobs.taskValues.set(key=key, value=value)  # noqa: F821
