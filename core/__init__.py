"""The shared Databricks vocabulary every other package speaks: Quartz schedules, the Jobs API's settings and
their checks, the Jobs API <-> provider mapping and the provider loader, `{{...}}` and `${...}` references,
principals and permission levels, credential shapes, field paths and the command-line parser.

It imports no other package of the project (a test holds it to that), so any package may import it. Its
modules are cheap to import except `toolchain` (the CDK, the one module naming it), and `provider` and
`jobs_api`, which load the provider bindings (jsii); the config
reads the provider's job shape from `provider_job_shape`, vendored data, so reading it never loads them.
"""

import os

# jsii (the node process behind the CDK and the provider bindings) prints an eleven-line banner at every start on a
# Node past its end of life: 20, which cdktf runs on, and (from late 2027) 22, which CDK Terrain's CLI brings. Every
# entry point (main.py, python -m review, python -m operations, the scripts) imports this package before anything
# loads jsii, so silencing it here silences it everywhere; a value the caller set is kept.
# The scripts that run another commit's synth pass these on; the Makefile exports the same (a test holds it so).
JSII_SILENCING = {"JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20,22",
                  "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1"}
for _name, _value in JSII_SILENCING.items():
    os.environ.setdefault(_name, _value)
