"""The reviewer's command line: `describe` (every job in words, with its next fire times) and `graph` (Mermaid
pictures for the docs), from a synth output folder or from the config, synthesized on the spot; and `diff`
(what a pull request changes between two synth output folders, as Markdown; see `review.diff`).

`main(argv)` never raises and never exits: it returns the exit code (0 done, 1 failed, 2 usage error,
130 interrupted; `diff` also 3 access changed, 4 a data-bearing resource deleted or replaced, 5 both), so tests
call it in process.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

from connectors_config import ConfigError, config_path_from_env, load_config
from core.cli import CommandParser, ParserExit
from review.describe import describe
from review.diff import EXIT_CODES_HELP, diff_synth
from review.mermaid import BEGIN, END, doc_block, replace_block
from review.stack_jobs import ReviewError, StackJobs, load_documents, load_synth

PROG = "python -m review"
DESCRIBE_MARKERS = ("<!-- describe:begin -->", "<!-- describe:end -->")
_FROM_HELP = ("a synth output folder (e.g. cdktf.out, with stacks/<env>/cdk.tf.json); default: synthesize "
              "$CONNECTORS_CONFIG, else connectors.yaml, into a temporary folder first")


def _aware_time(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not an ISO-8601 date and time: {text!r} (write e.g. 2026-11-21T12:00:00+00:00)") from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise argparse.ArgumentTypeError(f"{text!r} has no UTC offset (write e.g. {text}+00:00)")
    return moment


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"not a positive whole number: {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = CommandParser(prog=PROG, allow_abbrev=False,
                     description="Review the jobs of the synthesized stacks: what starts them, when, and in what "
                                 "order their tasks run (see docs/review.md).")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True, parser_class=CommandParser)
    words = commands.add_parser(
        "describe", allow_abbrev=False, help="every job in words: what starts it and when it fires next",
        description="Every job of each environment: its schedule with the next fire times in the schedule's "
                    "time zone, its triggers, and the jobs that start it.")
    words.add_argument("--from", dest="source", type=Path, metavar="DIR", help=_FROM_HELP)
    words.add_argument("--env", action="extend", nargs="+", metavar="ENV",
                       help="only these environments (default: all)")
    words.add_argument("--now", type=_aware_time, metavar="TIME",
                       help="count fire times from this ISO-8601 time with its offset (default: now)")
    words.add_argument("--count", type=_positive, default=3, metavar="N",
                       help="fire times per schedule (default: 3)")
    words.add_argument("--doc", metavar="FILE",
                       help=f"write the output, fenced, between {DESCRIBE_MARKERS[0]} and {DESCRIBE_MARKERS[1]} in "
                            "FILE (only when it changed) instead of printing it")
    words.set_defaults(run=_describe)
    graph = commands.add_parser(
        "graph", allow_abbrev=False, help="Mermaid pictures of one environment's jobs, for the docs",
        description="Mermaid pictures of one environment's jobs: what starts each, and each job's tasks. "
                    "Printed, or written between a doc's job-pictures markers.")
    graph.add_argument("--from", dest="source", type=Path, metavar="DIR", help=_FROM_HELP)
    graph.add_argument("--env", metavar="ENV", help="the environment (default: prod if present, else the first)")
    graph.add_argument("--doc", metavar="FILE",
                       help="rewrite the block between <!-- job-pictures:begin --> and <!-- job-pictures:end --> "
                            "in FILE (only when it changed) instead of printing it")
    graph.set_defaults(run=_graph)
    changes = commands.add_parser(
        "diff", allow_abbrev=False, formatter_class=argparse.RawDescriptionHelpFormatter,
        help="what a change does to the stacks, as Markdown: access and data first",
        description="Compares two synth output folders (e.g. the target branch's and the pull request's\n"
                    "cdktf.out) and prints, per environment, a Markdown summary: access changes, data-bearing\n"
                    "resources deleted or replaced, every other changed resource with its changed fields, and\n"
                    "schedule changes with the next fire times before and after.",
        epilog=EXIT_CODES_HELP)
    changes.add_argument("base", type=Path, metavar="BASE", help="the synth output folder before the change")
    changes.add_argument("head", type=Path, metavar="HEAD", help="the synth output folder after the change")
    changes.add_argument("--env", action="extend", nargs="+", metavar="ENV",
                         help="only these environments (default: every one of either side)")
    changes.add_argument("--now", type=_aware_time, metavar="TIME",
                         help="count fire times from this ISO-8601 time with its offset (default: now)")
    changes.add_argument("--count", type=_positive, default=3, metavar="N",
                         help="fire times per schedule (default: 3)")
    changes.set_defaults(run=_diff)
    return parser


def _check_envs(wanted: Sequence[str], available: Sequence[str]) -> None:
    unknown = [env for env in wanted if env not in available]
    if unknown:
        raise ReviewError(f"no environment {unknown[0]!r} in the stacks (environments: {', '.join(sorted(available))})")


def _stacks(source: Path | None, wanted: Sequence[str]) -> dict[str, StackJobs]:
    """The stacks of `source`, or of the config synthesized into a temporary folder; `wanted` checked first."""
    if source is not None:
        stacks = load_synth(source)
        _check_envs(wanted, list(stacks))
        return stacks
    config = load_config(config_path_from_env())
    _check_envs(wanted, list(config.environments))
    if os.environ.get("CDKTF_OUTDIR"):  # the synth would write there, for the cdktf CLI, not where we read
        raise ReviewError("CDKTF_OUTDIR is set (as under the cdktf CLI): pass --from the synthesized folder")
    from stacks.app import synth  # late: loading jsii is slow, and --from never needs it
    from stacks.processes import ProcessCountError

    with tempfile.TemporaryDirectory(prefix="review-synth-") as folder:
        outdir = Path(folder) / "cdktf.out"
        try:
            synth(config, str(outdir))
        except ProcessCountError as error:
            raise ReviewError(f"{error}; nothing was synthesized") from None
        return load_synth(outdir)


def _describe(args: argparse.Namespace) -> int:
    wanted = list(dict.fromkeys(args.env or []))
    stacks = _stacks(args.source, wanted)
    chosen = {env: stacks[env] for env in wanted} if wanted else stacks
    text = describe(chosen, args.now or datetime.now(timezone.utc), args.count)
    if args.doc:
        return _rewrite(args.doc, f"```\n{text}```\n", DESCRIBE_MARKERS)
    print(text, end="")
    return 0


def _graph(args: argparse.Namespace) -> int:
    stacks = _stacks(args.source, [args.env] if args.env else [])
    env = args.env or ("prod" if "prod" in stacks else sorted(stacks)[0])
    if not args.doc:
        print(doc_block(stacks[env]), end="")
        return 0
    return _rewrite(args.doc, doc_block(stacks[env], doc=_as_named(args.doc)), (BEGIN, END))


def _as_named(doc: str) -> str:
    """How the regenerate line names `doc`: relative to the working folder (the repository's root under
    `make graphs`), else its file name alone, so no machine's folder gets into the block."""
    try:
        return Path(doc).resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return Path(doc).name


def _diff(args: argparse.Namespace) -> int:
    base, head = load_documents(args.base), load_documents(args.head)
    wanted = list(dict.fromkeys(args.env or []))
    _check_envs(wanted, sorted(set(base) | set(head)))
    report = diff_synth(base, head, args.now or datetime.now(timezone.utc), args.count, wanted or None)
    print(report.markdown(), end="")
    return report.exit_code


def _rewrite(doc: str, block: str, markers: tuple[str, str]) -> int:
    """Puts `block` between the `markers` of the file `doc`, writing it only when that changes it."""
    try:
        with open(doc, encoding="utf-8", newline="") as file:  # newline="": keep its line endings
            text = file.read()
    except FileNotFoundError:
        raise ReviewError(f"{doc}: no such file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ReviewError(f"{doc}: cannot be read ({error})") from None
    try:
        updated = replace_block(text, block, markers)
    except ReviewError as error:
        raise ReviewError(f"{doc}: {error}") from None
    if updated == text:
        print(f"{doc} is up to date")
        return 0
    with open(doc, "w", encoding="utf-8", newline="") as file:
        file.write(updated)
    print(f"updated {doc}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except ParserExit as done:
        return done.status
    try:
        return args.run(args)
    except ReviewError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except ConfigError as error:
        print(error.render(), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
