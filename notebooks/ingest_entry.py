# Databricks notebook source
# MAGIC %md
# MAGIC # Connector ingest: source -> bronze
# MAGIC Task `ingest` of the `<source>-connector` job. Parameters come from the job (`source_name`,
# MAGIC `target_catalog`, `hwm_reset`) and its task (source, settings, secret scope and names, schemas, initial
# MAGIC mark, run id), read through widgets. Fetches every record changed since each entity's high water mark,
# MAGIC appends it to `<catalog>.bronze.<source>_<entity>`, and only then advances the mark.

# COMMAND ----------

from connector_lakehouse import run_ingest, table_store
from connector_runtime import declare_widgets, read_credentials, read_parameters
from connector_source import load_spec

declare_widgets(dbutils.widgets)  # noqa: F821 - dbutils and spark are provided by the Databricks runtime
params = read_parameters(dbutils.widgets)  # noqa: F821
spec = load_spec(params.source)

# COMMAND ----------

# Credentials stay in memory, by role; the source sends them in request headers only.
source = spec.open(params.settings, read_credentials(dbutils.secrets, params, spec))  # noqa: F821
if params.hwm_reset:
    print(f"hwm_reset=true: backfill from {params.initial_mark or 'the beginning'}, not from the stored marks")
result = run_ingest(spark, table_store(spark), source, params)  # noqa: F821

# COMMAND ----------

for key, value in result.task_values().items():
    dbutils.jobs.taskValues.set(key=key, value=value)  # noqa: F821
