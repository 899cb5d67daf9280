# Databricks notebook source
# MAGIC %md
# MAGIC # Table maintenance: OPTIMIZE and ANALYZE
# MAGIC Compacts every table of the given schemas of `catalog` and refreshes its statistics. Never VACUUM and
# MAGIC nothing else that deletes data (the project's data-safety rule; see lakehouse_maintenance.py). A schema
# MAGIC that does not exist is skipped; a table that fails is reported and fails the run after the others ran.

# COMMAND ----------

from lakehouse_maintenance import declare_widgets, read_parameters, run_maintenance

declare_widgets(dbutils.widgets)  # noqa: F821 - dbutils and spark are provided by the Databricks runtime
params = read_parameters(dbutils.widgets)  # noqa: F821

# COMMAND ----------

result = run_maintenance(spark, params)  # noqa: F821

# COMMAND ----------

for key, value in result.task_values().items():
    dbutils.jobs.taskValues.set(key=key, value=value)  # noqa: F821
result.raise_if_failed()  # after the task values, so a failed run still says what was maintained
