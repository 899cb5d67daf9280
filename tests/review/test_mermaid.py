"""review.mermaid: exact Mermaid for hand-written stacks (dependencies, outcomes, run_if, for_each, what starts
each job, label escaping) and the docs block replacement."""

from __future__ import annotations

import pytest

from review.mermaid import doc_block, relations, replace_block, task_graph
from review.stack_jobs import ReviewError, parse_stack


def _stack(jobs: dict, **resources):
    return parse_stack("test", {"resource": {"databricks_job": jobs, **resources}})


def _notebook(key: str, *after: str, **fields) -> dict:
    return {"task_key": key, "notebook_task": {"notebook_path": f"/Workspace/nb/{key}_nb"},
            "depends_on": [{"task_key": dep} for dep in after], **fields}


def _graph(*tasks: dict) -> str:
    (job,) = _stack({"j": {"name": "job", "task": list(tasks)}}).jobs
    return task_graph(job)


def test_fan_out_then_fan_in():
    assert _graph(_notebook("d", "b", "c"), _notebook("c", "a"), _notebook("b", "a"), _notebook("a")) == """\
flowchart LR
  t0["a<br/>notebook a_nb"]
  t1["b<br/>notebook b_nb"]
  t2["c<br/>notebook c_nb"]
  t3["d<br/>notebook d_nb"]
  t0 --> t1
  t0 --> t2
  t1 --> t3
  t2 --> t3
"""


def test_condition_outcomes_label_edges_and_run_if_labels_the_task():
    assert _graph(
        {"task_key": "check", "condition_task": {"left": "{{job.parameters.full}}", "op": "EQUAL_TO",
                                                 "right": "true"}},
        {"task_key": "full", "depends_on": [{"task_key": "check", "outcome": "true"}],
         "run_job_task": {"job_id": 42}},
        {"task_key": "incremental", "depends_on": [{"task_key": "check", "outcome": "false"}],
         "pipeline_task": {"pipeline_id": "p-1"}},
        _notebook("report", "full", "incremental", run_if="AT_LEAST_ONE_SUCCESS"),
    ) == """\
flowchart LR
  t0{"check<br/>condition {{job.parameters.full}} EQUAL_TO true"}
  t1[["full<br/>run_job job 42"]]
  t2{{"incremental<br/>pipeline p-1"}}
  t3["report<br/>notebook report_nb<br/>run_if AT_LEAST_ONE_SUCCESS"]
  t0 -->|"true"| t1
  t0 -->|"false"| t2
  t1 --> t3
  t2 --> t3
"""


def test_for_each_points_to_its_nested_task():
    assert _graph(
        {"task_key": "list", "spark_python_task": {"python_file": "list.py"}},
        {"task_key": "each", "depends_on": [{"task_key": "list"}],
         "for_each_task": {"inputs": "{{tasks.list.values.files}}", "concurrency": 4,
                           "task": {"task_key": "one", "condition_task": {"left": "a", "op": "EQUAL_TO",
                                                                          "right": "b"}}}},
    ) == """\
flowchart LR
  t0[/"each<br/>for_each over {{tasks.list.values.files}}, 4 at a time"/]
  t0n{"one<br/>condition a EQUAL_TO b"}
  t0 -.->|"for each input"| t0n
  t1["list<br/>spark_python"]
  t1 --> t0
"""


def test_labels_escape_quotes_angle_brackets_and_hashes():
    assert _graph({"task_key": "k", "condition_task": {"left": 'say "hi" <now>', "op": "EQUAL_TO",
                                                      "right": "#1"}}) == """\
flowchart LR
  t0{"k<br/>condition say #quot;hi#quot; #lt;now#gt; EQUAL_TO #35;1"}
"""


def test_a_job_without_tasks_and_a_dependency_on_a_missing_task():
    assert _graph() == 'flowchart LR\n  empty["no tasks"]\n'
    assert _graph(_notebook("b", "ghost")) == """\
flowchart LR
  t0["b<br/>notebook b_nb"]
  t1["ghost<br/>not in this job"]
  t1 --> t0
"""


RELATED = {
    "daily": {"name": "daily", "tags": {"job_level": "orchestrator"},
              "schedule": {"quartz_cron_expression": "0 0 5 * * ?", "timezone_id": "UTC"},
              "task": [{"task_key": "refresh", "run_job_task": {"job_id": "${databricks_job.refresh.id}"}},
                       {"task_key": "legacy", "run_job_task": {"job_id": 123}}]},
    "refresh": {"name": 'refresh "all"', "tags": {"job_level": "composite"},
                "task": [{"task_key": "pipe", "pipeline_task": {"pipeline_id": "${databricks_pipeline.p.id}"}}]},
    "gold": {"name": "gold", "trigger": {"pause_status": "PAUSED", "table_update": {
        "table_names": ["c.s.a", "c.s.b"], "condition": "ANY_UPDATED", "min_time_between_triggers_seconds": 900}}},
    "files": {"name": "files", "trigger": {"file_arrival": {"url": "s3://in/"}}},
    "hourly": {"name": "hourly", "trigger": {"periodic": {"interval": 1, "unit": "HOURS"}}},
    "stream": {"name": "stream", "continuous": {"pause_status": "PAUSED"}},
}


def test_relations_show_what_starts_every_job():
    assert relations(_stack(RELATED, databricks_pipeline={"p": {"name": "ingest"}})) == """\
flowchart LR
  j0["daily<br/>orchestrator"]
  j1["files"]
  j2["gold"]
  j3["hourly"]
  j4["refresh #quot;all#quot;<br/>composite"]
  j5["stream"]
  p0{{"pipeline<br/>ingest"}}
  e0["job 123<br/>outside this stack"]
  j0s(["schedule 0 0 5 * * ? UTC"]) --> j0
  j1t0[/"when files arrive in s3://in/"/] --> j1
  j2t0[("on update of 2 tables<br/>ANY_UPDATED; at most every 900 s<br/>c.s.a<br/>c.s.b<br/>PAUSED")] --> j2
  j3t0(["every 1 HOURS"]) --> j3
  j5c(("continuous<br/>PAUSED")) --> j5
  j0 -->|"legacy"| e0
  j0 -->|"refresh"| j4
  j4 -->|"pipe"| p0
"""


def test_doc_block_pictures_relations_then_each_job():
    stack = _stack({"b": {"name": "b-job", "task": [_notebook("x")]},
                    "a": {"name": "a-job", "schedule": {"quartz_cron_expression": "0 0 1 * * ?",
                                                        "timezone_id": "UTC", "pause_status": "PAUSED"},
                          "task": [{"task_key": "run_b", "run_job_task": {"job_id": "${databricks_job.b.id}"}}]}})
    assert doc_block(stack) == """\
Jobs of the `test` stack as synthesized; regenerate with `python -m review graph --env test --doc docs/review.md`.

#### Jobs and what starts them

```mermaid
flowchart LR
  j0["a-job"]
  j1["b-job"]
  j0s(["schedule 0 0 1 * * ? UTC<br/>PAUSED"]) --> j0
  j0 -->|"run_b"| j1
```

#### a-job

```mermaid
flowchart LR
  t0[["run_b<br/>run_job b-job"]]
```

#### b-job

```mermaid
flowchart LR
  t0["x<br/>notebook x_nb"]
```
"""
    assert "--doc docs/review.md`" not in doc_block(stack, doc="docs/jobs.md")
    assert "--env test --doc docs/jobs.md`." in doc_block(stack, doc="docs/jobs.md")


def test_jobs_with_the_same_tasks_share_one_picture():
    stack = _stack({"a": {"name": "a-job", "task": [_notebook("x")]}, "c": {"name": "c-job", "task": [_notebook("y")]},
                    "b": {"name": "b-job", "task": [_notebook("x")]}})
    block = doc_block(stack)
    assert [line for line in block.splitlines() if line.startswith("####")] == [
        "#### Jobs and what starts them", "#### a-job, b-job", "#### c-job"]


DOC = """\
# Title

<!-- job-pictures:begin -->
old picture
<!-- job-pictures:end -->

After.
"""


def test_replace_block_keeps_the_markers_and_everything_around():
    updated = replace_block(DOC, "new\npicture\n")
    assert updated == DOC.replace("old picture\n", "new\npicture\n")
    assert replace_block(updated, "new\npicture\n") == updated
    assert replace_block(DOC, "no newline") == DOC.replace("old picture\n", "no newline\n")
    assert replace_block(DOC, "") == DOC.replace("old picture\n", "")


@pytest.mark.parametrize("text, message", [
    ("# Title\n<!-- job-pictures:end -->\n",
     "no line <!-- job-pictures:begin --> to mark where the block goes "
     "(add <!-- job-pictures:begin --> and <!-- job-pictures:end --> on lines of their own)"),
    ("# Title\n<!-- job-pictures:begin -->\n",
     "no line <!-- job-pictures:end --> to mark where the block goes "
     "(add <!-- job-pictures:begin --> and <!-- job-pictures:end --> on lines of their own)"),
    ("<!-- job-pictures:end -->\n<!-- job-pictures:begin -->\n",
     "<!-- job-pictures:end --> comes before <!-- job-pictures:begin -->"),
    ("<!-- job-pictures:begin -->\n<!-- job-pictures:end -->\n<!-- job-pictures:begin -->\n",
     "<!-- job-pictures:begin --> is on more than one line (1, 3)"),
])
def test_replace_block_names_the_marker_it_misses(text, message):
    with pytest.raises(ReviewError) as error:
        replace_block(text, "x\n")
    assert str(error.value) == message
