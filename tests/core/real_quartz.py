"""The real Quartz scheduler as an oracle: Debian's libquartz2-java (Quartz 2.3.2, the `org.quartz.CronExpression`
that Databricks' scheduler evaluates), driven by RealQuartz.java, compiled once per test session.

`make install` installs the package (see the Makefile); without it `available()` says what to run."""
from __future__ import annotations

import random
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from core import quartz
from tests.core import quartz_corpus as corpus

QUARTZ_JAR = Path("/usr/share/java/quartz2.jar")
DRIVER = Path(__file__).with_name("RealQuartz.java")
INSTALL_HINT = "apt-get install libquartz2-java (as root; `make install` does it), and a JDK for javac"


def missing() -> str | None:
    """Why the oracle cannot run here, or None."""
    if not QUARTZ_JAR.exists():
        return f"{QUARTZ_JAR} is not installed: {INSTALL_HINT}"
    for tool in ("java", "javac"):
        if shutil.which(tool) is None:
            return f"no {tool} on PATH: {INSTALL_HINT}"
    return None


@dataclass(frozen=True)
class Answer:
    """Quartz's answer to one request: `fires` (epoch seconds) when it accepts the expression, `invalid` (its
    message) when it refuses it, `hangs` when it did not answer within the driver's time limit, `crash` when it
    accepted the expression and then failed evaluating it."""
    fires: tuple[int, ...] = ()
    invalid: str | None = None  # Quartz's message
    hangs: bool = False
    crash: str | None = None

    @property
    def valid(self) -> bool:
        return self.invalid is None


@dataclass(frozen=True)
class Request:
    expression: str
    zone: str
    after: int  # epoch seconds
    count: int


def compile_driver(folder: Path) -> Path:
    """RealQuartz.class in `folder`; returns the class path to run it with."""
    subprocess.run(["javac", "-Xlint:none", "-nowarn", "-cp", str(QUARTZ_JAR), "-d", str(folder), str(DRIVER)],
                   check=True, capture_output=True, text=True)
    return folder


def ask(classes: Path, requests: list[Request]) -> list[Answer]:
    """Quartz's answers, in the order of `requests`, from one JVM."""
    for request in requests:
        if "\t" in request.expression or "\n" in request.expression:
            raise ValueError(f"the driver reads one request per line of tab-separated fields: {request!r}")
    lines = "".join(f"{i}\t{r.expression}\t{r.zone}\t{r.after}\t{r.count}\n" for i, r in enumerate(requests))
    result = subprocess.run(["java", "-Xss8m", "-cp", f"{QUARTZ_JAR}:{classes}", "RealQuartz"], input=lines,
                            capture_output=True, text=True, check=True)
    answers: list[Answer] = []
    for i, line in enumerate(result.stdout.splitlines()):
        number, verdict, detail = line.split("\t", 2)
        assert int(number) == i, line
        if verdict == "OK":
            answers.append(Answer(fires=tuple(int(t) for t in detail.split(",") if t)))
        elif verdict == "INVALID":
            answers.append(Answer(invalid=detail))
        elif verdict == "CRASH":
            answers.append(Answer(crash=detail))
        else:
            assert verdict == "HANG", line
            answers.append(Answer(hangs=True))
    assert len(answers) == len(requests), result.stderr
    return answers


# ------------------------------------------------------------------------------------------ the comparison

@dataclass
class Differential:
    """The project's parser and fire times held against the real Quartz on a corpus (tests/core/quartz_corpus.py).

    `stricter`: how many requests Quartz accepts and we refuse, by our STRICTER_THAN_QUARTZ key; `failures`: every
    other disagreement, as text; `near_changes`: fire-time comparisons with a fire within a day of a clock change,
    by the change's size in minutes."""
    expressions: int = 0
    requests: int = 0
    both_refuse: int = 0
    fire_comparisons: int = 0
    stricter: dict[str, int] = field(default_factory=dict)
    near_changes: dict[int, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)  # javac, quartz, ours


def run_differential(classes_dir: Path, count: int = corpus.COUNT, seed: int = corpus.SEED) -> Differential:
    """Quartz's answers and ours to the same requests: `count` expressions, each from 3 (zone, start) pairs."""
    report = Differential()
    started = time.perf_counter()
    classes = compile_driver(classes_dir)
    report.seconds["javac"] = time.perf_counter() - started
    rng = random.Random(seed)
    changes = {zone: corpus.clock_changes(zone) for zone in corpus.ZONES}
    requests = []
    expressions = corpus.expressions(count, seed)
    for expression in expressions:
        for _ in range(corpus.STARTS_PER_EXPRESSION):
            zone = rng.choice(corpus.ZONES)
            start = corpus.start(rng, zone, changes[zone])
            requests.append(Request(expression, zone, int(start.timestamp()), corpus.FIRES))
    report.expressions, report.requests = len(expressions), len(requests)
    started = time.perf_counter()
    answers = ask(classes, requests)
    report.seconds["quartz"] = time.perf_counter() - started
    started = time.perf_counter()
    for request, answer in zip(requests, answers, strict=True):
        _compare(request, answer, changes, report)
    report.seconds["ours"] = time.perf_counter() - started
    return report


def _compare(request: Request, answer: Answer, changes: dict[str, list[datetime]], report: Differential) -> None:
    try:
        schedule, refusal = quartz.parse_quartz(request.expression, corpus.CHANGES_FROM), None
    except quartz.QuartzError as error:
        schedule, refusal = None, error
    quartz_accepts = answer.valid or answer.hangs or answer.crash is not None
    what = f"{request.expression!r} in {request.zone} after {request.after}"
    if refusal is not None:
        if not quartz_accepts:
            report.both_refuse += 1
        elif refusal.stricter in quartz.STRICTER_THAN_QUARTZ:
            report.stricter[refusal.stricter] = report.stricter.get(refusal.stricter, 0) + 1
        else:
            state = "hangs on" if answer.hangs else f"crashes ({answer.crash}) on" if answer.crash else "accepts"
            report.failures.append(f"Quartz {state} {what}; we refuse it, not as a listed strictness: "
                                   f"{refusal.reason}")
        return
    if not answer.valid:
        state = "hangs on" if answer.hangs else f"crashes ({answer.crash}) on" if answer.crash else "refuses"
        report.failures.append(f"Quartz {state} {what} ({answer.invalid}); we accept it")
        return
    assert schedule is not None
    zone = ZoneInfo(request.zone)
    ours = tuple(int(t.timestamp()) for t in quartz.fire_times(
        schedule, datetime.fromtimestamp(request.after, timezone.utc), zone, request.count))
    report.fire_comparisons += 1
    if ours != answer.fires:
        def shown(fires: tuple[int, ...]) -> str:
            return ", ".join(datetime.fromtimestamp(t, zone).isoformat() for t in fires) or "none"
        report.failures.append(f"{what}: Quartz fires at {shown(answer.fires)}; we say {shown(ours)}")
    for change in changes[request.zone]:
        if any(abs(t - change.timestamp()) <= 86_400 for t in answer.fires):
            before = (change - timedelta(seconds=1)).astimezone(zone).utcoffset()
            after = change.astimezone(zone).utcoffset()
            assert before is not None and after is not None
            size = abs(int((after - before).total_seconds())) // 60
            report.near_changes[size] = report.near_changes.get(size, 0) + 1
            break
