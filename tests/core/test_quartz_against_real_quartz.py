"""core.quartz held against the real Quartz scheduler (Quartz 2.3.2, Debian's libquartz2-java; `make install`
installs it) on a generated corpus (tests/core/quartz_corpus.py): every expression Quartz accepts and we refuse
is one of the listed deliberate strictnesses, we accept nothing Quartz refuses, and where both accept, the next
five fire times agree, around 60- and 30-minute clock changes included.

`make bench-quartz` says how long this takes, and what it found."""
from __future__ import annotations

import pytest

from core.quartz import STRICTER_THAN_QUARTZ
from tests.core import quartz_corpus as corpus
from tests.core.real_quartz import Differential, missing, run_differential


@pytest.fixture(scope="module")
def differential(tmp_path_factory) -> Differential:
    if (why := missing()) is not None:
        pytest.fail(f"the real Quartz is needed for this test: {why}", pytrace=False)
    return run_differential(tmp_path_factory.mktemp("real-quartz"))


def test_the_corpus_is_large_and_reaches_every_feature():
    expressions = corpus.expressions()
    assert len(set(expressions)) == len(expressions) >= 2_000
    fields = [e.split() for e in expressions]
    day_of_month = {f[3].upper() for f in fields if len(f) > 3}
    day_of_week = {f[5].upper() for f in fields if len(f) > 5}
    features = {
        "L": "L" in day_of_month, "L-n": any(d.startswith("L-") and not d.endswith("W") for d in day_of_month),
        "nW": any(d[:-1].isdigit() and d.endswith("W") for d in day_of_month), "LW": "LW" in day_of_month,
        "L-nW": any(d.startswith("L-") and d.endswith("W") for d in day_of_month),
        "nL": any(len(d) > 1 and d.endswith("L") and "," not in d for d in day_of_week),
        "n#k": any("#" in d for d in day_of_week), "dow L": "L" in day_of_week,
        "month names": any(any(m in f[4].upper() for m in corpus.MONTHS) for f in fields if len(f) > 4),
        "lower-case names": any(any(m.lower() in " ".join(f) for m in corpus.DAYS) for f in fields),
        "steps": all(any("/" in f[i] for f in fields if len(f) > i) for i in range(7)),
        "ranges": all(any("-" in f[i] for f in fields if len(f) > i) for i in range(7)),
        "lists": all(any("," in f[i] for f in fields if len(f) > i) for i in range(7)),
        "years": sum(len(f) == 7 for f in fields) > 300,
    }
    assert [name for name, reached in features.items() if not reached] == []
    changes = {zone: len(corpus.clock_changes(zone)) for zone in corpus.ZONES}
    assert changes["Australia/Lord_Howe"] == changes["Europe/Berlin"] == 4  # two years, two changes each


def test_we_accept_nothing_quartz_refuses_and_refuse_only_on_purpose_and_fire_when_it_fires(differential):
    assert differential.failures == []


def test_every_deliberate_strictness_is_met_in_the_corpus(differential):
    assert set(differential.stricter) == set(STRICTER_THAN_QUARTZ)


def test_fire_times_are_compared_around_60_and_30_minute_clock_changes(differential):
    assert differential.fire_comparisons >= 3_000
    assert differential.near_changes[60] >= 500
    assert differential.near_changes[30] >= 100
