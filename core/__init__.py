"""The shared Databricks vocabulary every other package speaks: Quartz schedules, the Jobs API's settings and
their checks, the Jobs API <-> provider mapping and the provider loader, `{{...}}` and `${...}` references,
principals and permission levels, credential shapes, field paths and the command-line parser.

It imports no other package of the project (a test holds it to that), so any package may import it. Its
modules are cheap to import except `provider` and `jobs_api`, which load the provider bindings (jsii).
"""
