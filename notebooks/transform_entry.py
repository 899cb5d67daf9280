# Databricks notebook source
# MAGIC %md
# MAGIC # Connector transform: bronze -> silver
# MAGIC Task `transform` of the `<source>-connector` job; runs only after `ingest` succeeded.

# COMMAND ----------

from connector_runtime import declare_widgets, read_parameters, transform_plan

declare_widgets(dbutils.widgets)  # noqa: F821 - dbutils is provided by the Databricks runtime
params = read_parameters(dbutils.widgets)  # noqa: F821

# COMMAND ----------

print(transform_plan(params))
