"""Loading the `jobs` section: each entry's settings, written inline or read from the file it imports (a Jobs
API JSON or a bundle YAML), with where each is written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ruamel.yaml.error import YAMLError

from connectors_config.errors import ConfigProblem, Path as FieldPath, format_path, line_of
from connectors_config.repository import is_inside, relative_to_root, repository_of
from connectors_config.jobs_types import JOBS_GET_FIELDS, PLATFORM_KEYS, LoadedJob, Origin
from connectors_config.yaml_lines import TextProblem, ambiguous_numbers, decode, read, version_problem


def load_jobs(raw: Any, lines: dict, config_file: str,
              base_dir: Path) -> tuple[dict[str, LoadedJob], list[ConfigProblem]]:
    """Each entry of the `jobs` section with its settings (inline, or read from its file)."""
    if not isinstance(raw, dict):
        return {}, []  # the model reports a `jobs` that is not a mapping
    jobs, problems = {}, []
    for key, entry in raw.items():
        here = Origin(Path(config_file).name, lines, ("jobs", key), base_dir, is_config=True)
        if not isinstance(entry, dict):
            continue  # the model reports it
        level = entry.get("job_level")
        if "file" in entry:
            others = sorted(set(entry) - set(PLATFORM_KEYS))
            if others:
                problems.append(here.problem((others[0],), "an imported job is changed in its file, not here; "
                                             "keep only file, job, job_level, deploy_group and "
                                             f"renamed_from (found: {', '.join(others)})"))
                continue
            loaded, file_problems = _read_job_file(entry.get("file"), entry.get("job"), here, base_dir)
            problems += file_problems
            if loaded is not None:
                settings, origin = loaded
                jobs[key] = LoadedJob(key, level, settings, origin, here, entry.get("deploy_group"),
                                      entry.get("renamed_from"))
            continue
        if "job" in entry:
            problems.append(here.problem(("job",), "'job' picks a job of an imported bundle file; add `file:` "
                                         "or remove it"))
        settings = plain_lists({k: v for k, v in entry.items() if k not in PLATFORM_KEYS})
        jobs[key] = LoadedJob(key, level, settings, here, group=entry.get("deploy_group"),
                              renamed_from=entry.get("renamed_from"))
    return jobs, problems


def _read_job_file(file: Any, pick: Any, here: Origin, base_dir: Path) -> tuple[tuple | None, list[ConfigProblem]]:
    if not isinstance(file, str) or not file:
        return None, [here.problem(("file",), "must name a Jobs API JSON or bundle YAML file, e.g. jobs/x.json")]
    if Path(file).is_absolute():
        return None, [here.problem(("file",), f"{file} is an absolute path, which names a file of one machine only; "
                                   f"write it relative to {relative_to_root(base_dir, here.file)} (e.g. jobs/x.json)")]
    path = (base_dir / file)
    if not is_inside(path, repository_of(base_dir)):
        return None, [here.problem(("file",), f"{file} is outside the repository (symlinks followed): only files of "
                                   f"the repository that holds {here.file} are read, as review sees them; copy "
                                   "the job definition into its jobs/ folder and name that (e.g. jobs/x.json)")]
    try:
        text = decode(path.read_bytes())
    except TextProblem as refused:
        return None, [ConfigProblem(refused.line, "(file)", refused.message, file)]
    except FileNotFoundError:
        return None, [here.problem(("file",), f"{file} does not exist; `file:` is relative to "
                                               f"{relative_to_root(base_dir, here.file)}")]
    except OSError as error:
        return None, [here.problem(("file",), f"{file} cannot be read: {error}")]
    version = version_problem(text)
    if version is not None:
        return None, [ConfigProblem(version[0], "(file)", version[1], file)]
    try:
        document, file_lines = read(text)
    except TextProblem as refused:
        return None, [ConfigProblem(refused.line, "(file)", refused.message, file)]
    except YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        position = getattr(error, "position", None)  # a character YAML does not allow: only its position is known
        line = mark.line + 1 if mark else text.count("\n", 0, position) + 1 if isinstance(position, int) else 0
        character = getattr(error, "character", None)
        problem = getattr(error, "problem", None) or (
            f"unacceptable character #x{character:04x} ({getattr(error, 'reason', None)}); remove it"
            if isinstance(character, int) else str(error).splitlines()[0])
        return None, [ConfigProblem(line, "(file)", f"is neither JSON nor YAML: {problem}", file)]
    directory = path.parent

    def origin(prefix: FieldPath) -> Origin:
        return Origin(file, file_lines, prefix, directory)

    if not isinstance(document, dict):
        return None, [ConfigProblem(1, "(file)", "expected a job definition (a mapping)", file)]
    numbers = [ConfigProblem(line_of(path, file_lines), format_path(path), message, file)
               for path, message in ambiguous_numbers(document)]
    if numbers:
        return None, numbers
    bundle_jobs = (document.get("resources") or {}).get("jobs") if isinstance(document.get("resources"), dict) else None
    if isinstance(bundle_jobs, dict):
        keys = sorted(bundle_jobs)
        if pick is None and len(keys) == 1:
            pick = keys[0]
        if pick not in bundle_jobs:
            reason = (f"has no job '{pick}'" if pick is not None else "holds several jobs")
            return None, [here.problem(("job" if pick is not None else "file",),
                                       f"{file} {reason}; set `job:` to one of: {', '.join(keys)}")]
        settings = bundle_jobs[pick]
        if not isinstance(settings, dict):
            return None, [origin(("resources", "jobs", pick)).problem((), "expected a job definition (a mapping)")]
        return (settings, origin(("resources", "jobs", pick))), []
    if pick is not None:
        return None, [here.problem(("job",), f"{file} is not a bundle file with resources.jobs; remove `job:`")]
    if isinstance(document.get("settings"), dict) and set(document) <= JOBS_GET_FIELDS:
        return (document["settings"], origin(("settings",))), []
    return (document, origin(())), []


def plain_lists(value: Any) -> Any:
    """The config loader's tuples -> lists, as JSON has them."""
    if isinstance(value, dict):
        return {k: plain_lists(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain_lists(v) for v in value]
    return value
