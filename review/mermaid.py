"""Mermaid pictures of a stack's jobs for Markdown docs on GitHub: which jobs exist and what starts each
(schedules, triggers, other jobs), and each job's tasks with their dependencies. Generated from the synthesized
stack, so the pictures in the docs cannot drift from what is deployed once regenerated in the same pull request.

Node ids are positions in sorted order (`j0`, `t0`, ...) so any name is safe; labels are double-quoted with
Mermaid's entity codes for the characters that would end or confuse them.
"""

from __future__ import annotations

from review.describe import tables_phrase, trigger_conditions, trigger_words
from review.stack_jobs import (
    FileArrivalTrigger,
    JobView,
    OtherTrigger,
    PeriodicTrigger,
    ReviewError,
    StackJobs,
    TableUpdateTrigger,
    TaskView,
    TriggerView,
)

BEGIN = "<!-- job-pictures:begin -->"
END = "<!-- job-pictures:end -->"
DOC = "docs/review.md"  # where this repository's pictures live: the file `doc_block`'s regenerate command names
_SHORT_KIND = {"run_job_task": "run_job"}


def _escape(text: str) -> str:
    # '#' first: it starts the entity codes used for the others.
    for char, code in (("#", "#35;"), ('"', "#quot;"), ("<", "#lt;"), (">", "#gt;")):
        text = text.replace(char, code)
    return text


def label(*lines: str) -> str:
    """A double-quoted Mermaid label of one or more lines."""
    return '"' + "<br/>".join(_escape(line) for line in lines) + '"'


def _edge_label(text: str) -> str:
    return f"|{label(text)}|"


def _paused(paused: bool) -> tuple[str, ...]:
    return ("PAUSED",) if paused else ()


def _trigger_node(node_id: str, trigger: TriggerView) -> str:
    if isinstance(trigger, TableUpdateTrigger):
        inside = trigger_conditions(trigger)
        lines = (tables_phrase(trigger), *([inside] if inside else []), *trigger.tables, *_paused(trigger.paused))
        return f"{node_id}[({label(*lines)})]"
    if isinstance(trigger, FileArrivalTrigger):
        return f"{node_id}[/{label(trigger_words(trigger), *_paused(trigger.paused))}/]"
    assert isinstance(trigger, PeriodicTrigger | OtherTrigger)
    return f"{node_id}([{label(trigger_words(trigger), *_paused(trigger.paused))}])"


def _with_nested(task: TaskView) -> list[TaskView]:
    return [task, *([task.nested] if task.nested else [])]


def relations(stack: StackJobs) -> str:
    """`flowchart LR`: every job, what starts it (schedule, trigger, continuous, another job's run_job task) and
    the pipelines it runs."""
    job_ids = {job.address: f"j{index}" for index, job in enumerate(stack.jobs)}
    calls = [(job, task.key, inner) for job in stack.jobs for task in job.tasks for inner in _with_nested(task)
             if inner.kind in ("run_job_task", "pipeline_task")]
    pipelines = sorted({(inner.detail, inner.target) for _, _, inner in calls
                        if inner.kind == "pipeline_task" and inner.target}, key=lambda p: (p[0], p[1] or ""))
    pipeline_ids = {target: f"p{index}" for index, (_, target) in enumerate(pipelines)}
    outside = sorted({inner.detail for _, _, inner in calls if inner.target is None})
    outside_ids = {detail: f"e{index}" for index, detail in enumerate(outside)}
    lines = ["flowchart LR"]
    lines += [f"  {job_ids[job.address]}[{label(job.name, *([job.level] if job.level else []))}]" for job in stack.jobs]
    lines += [f"  {pipeline_ids[target]}{{{{{label('pipeline', name)}}}}}" for name, target in pipelines]
    lines += [f"  {outside_ids[detail]}[{label(detail, 'outside this stack')}]" for detail in outside]
    for job in stack.jobs:
        job_id = job_ids[job.address]
        if job.schedule is not None:
            schedule = job.schedule
            text = label(f"schedule {schedule.cron} {schedule.timezone}", *_paused(schedule.paused))
            lines.append(f"  {job_id}s([{text}]) --> {job_id}")
        for index, trigger in enumerate(job.triggers):
            lines.append(f"  {_trigger_node(f'{job_id}t{index}', trigger)} --> {job_id}")
        if job.continuous is not None:
            lines.append(f"  {job_id}c(({label('continuous', *_paused(job.continuous))})) --> {job_id}")
    for job, key, inner in calls:
        target = inner.target
        callee = job_ids.get(target) or pipeline_ids.get(target) or outside_ids[inner.detail]  # type: ignore[arg-type]
        lines.append(f"  {job_ids[job.address]} -->{_edge_label(key)} {callee}")
    return "\n".join(lines) + "\n"


def _task_label(task: TaskView) -> str:
    kind = _SHORT_KIND.get(task.kind, task.kind.removesuffix("_task"))
    # An id outside the stack already says what it is ("pipeline abc-1"): not "pipeline pipeline abc-1".
    what = task.detail if task.detail.startswith(f"{kind} ") else f"{kind} {task.detail}".strip()
    return label(task.key, *([what] if what else []), *([f"run_if {task.run_if}"] if task.run_if else []))


def _task_node(node_id: str, task: TaskView) -> str:
    text = _task_label(task)
    if task.kind == "condition_task":
        return f"{node_id}{{{text}}}"
    if task.kind == "run_job_task":
        return f"{node_id}[[{text}]]"
    if task.kind == "pipeline_task":
        return f"{node_id}{{{{{text}}}}}"
    if task.kind == "for_each_task":
        return f"{node_id}[/{text}/]"
    return f"{node_id}[{text}]"


def task_graph(job: JobView) -> str:
    """`flowchart LR` of one job's tasks: an edge per depends_on (labelled with its outcome, if any); a for_each
    task points to the task it runs for each input with a dotted edge."""
    keys = sorted({task.key for task in job.tasks} | {dep for task in job.tasks for dep, _ in task.depends_on})
    ids = {key: f"t{index}" for index, key in enumerate(keys)}
    tasks = {task.key: task for task in job.tasks}
    lines = ["flowchart LR"]
    for key in keys:
        task = tasks.get(key)
        lines.append(f"  {_task_node(ids[key], task)}" if task else f"  {ids[key]}[{label(key, 'not in this job')}]")
        if task and task.nested:
            lines.append(f"  {_task_node(ids[key] + 'n', task.nested)}")
            lines.append(f"  {ids[key]} -.->{_edge_label('for each input')} {ids[key]}n")
    for task in job.tasks:
        for dep, outcome in task.depends_on:
            lines.append(f"  {ids[dep]} -->{_edge_label(outcome) if outcome else ''} {ids[task.key]}")
    if not keys:
        lines.append(f"  empty[{label('no tasks')}]")
    return "\n".join(lines) + "\n"


def doc_block(stack: StackJobs, doc: str = DOC) -> str:
    """The markdown between a doc's job-pictures markers: the stack's relations, then each job's tasks. `doc` is
    the file the regenerating command names."""
    parts = [f"Jobs of the `{stack.env}` stack as synthesized; regenerate with "
             f"`python -m review graph --env {stack.env} --doc {doc}`.\n",
             "#### Jobs and what starts them\n", f"```mermaid\n{relations(stack)}```\n"]
    # Jobs with the same tasks (every batch connector's) share one picture under one heading.
    graphs: dict[str, list[str]] = {}
    for job in stack.jobs:
        graphs.setdefault(task_graph(job), []).append(job.name)
    for graph, names in graphs.items():
        parts += [f"#### {', '.join(names)}\n", f"```mermaid\n{graph}```\n"]
    return "\n".join(parts)


def replace_block(text: str, block: str, markers: tuple[str, str] = (BEGIN, END)) -> str:
    """`text` with everything between the marker lines replaced by `block`; the markers stay."""
    begin, end = markers
    lines = text.splitlines(keepends=True)
    found = {}
    for marker in (begin, end):
        at = [index for index, line in enumerate(lines) if line.strip() == marker]
        if not at:
            raise ReviewError(f"no line {marker} to mark where the block goes (add {begin} and {end} "
                              "on lines of their own)")
        if len(at) > 1:
            raise ReviewError(f"{marker} is on more than one line ({', '.join(str(i + 1) for i in at)})")
        found[marker] = at[0]
    if found[end] < found[begin]:
        raise ReviewError(f"{end} comes before {begin}")
    block = block if block.endswith("\n") or not block else block + "\n"
    begin_line = lines[found[begin]]
    begin_line = begin_line if begin_line.endswith("\n") else begin_line + "\n"
    return "".join(lines[:found[begin]]) + begin_line + block + "".join(lines[found[end]:])
