# Databricks notebook source
# MAGIC %md
# MAGIC # Gold: open security findings
# MAGIC Rebuilds `<catalog>.<gold_schema>.open_findings` from the silver tables of the connectors named in
# MAGIC `connectors`: one row per open finding, severity normalised, written in one overwrite (readers never see
# MAGIC half a refresh). A silver table that does not exist yet is skipped and reported. See findings_gold.py.

# COMMAND ----------

from connector_lakehouse import table_store
from findings_gold import declare_widgets, read_parameters, refresh_open_findings

declare_widgets(dbutils.widgets)  # noqa: F821 - dbutils and spark are provided by the Databricks runtime
params = read_parameters(dbutils.widgets)  # noqa: F821

# COMMAND ----------

result = refresh_open_findings(spark, table_store(spark), params)  # noqa: F821 - logs each skipped table

# COMMAND ----------

for key, value in result.task_values().items():
    dbutils.jobs.taskValues.set(key=key, value=value)  # noqa: F821
