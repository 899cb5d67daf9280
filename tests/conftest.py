"""Shared fixtures. jsii (the node process behind cdktf) starts once per test session; the sample config's
stacks are synthesized once and shared by every test that reads them.

The platform's tests run on a fixture repository of their own, tests/fixtures/sample/ (a copy of the sample
connectors.yaml, its lock and jobs/, a notebooks/ folder naming the notebooks it uploads, and cdktf.json, which
makes it a project root of its own), so they never read the user's connectors.yaml, jobs/ or the set of
notebooks a user adds. Only tests/test_user_config.py (and the
README's generated blocks in test_readme.py) read the user's config: `user_config`, `user_synthesized`."""

from __future__ import annotations

import atexit
import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parent.parent  # on sys.path: pytest puts the root of the tests package there
import core  # noqa: E402,F401  (first: it silences jsii's Node banner before anything loads jsii)
# An engineer's `export CONNECTORS_DEV_USER=...` must not add personal targets to the synths the tests run.
os.environ.pop("CONNECTORS_DEV_USER", None)

# cdktf's Testing.app() makes an output folder in the node process's temporary folder at every call and never
# removes it: that process gets a temporary folder of its own, removed when the session ends.
_JSII_TMP = tempfile.mkdtemp(prefix="connector-tests-jsii-")
atexit.register(shutil.rmtree, _JSII_TMP, ignore_errors=True)
_TMPDIR = os.environ.get("TMPDIR")
os.environ["TMPDIR"] = _JSII_TMP
import core.toolchain  # noqa: E402,F401  (starts jsii's node process, which keeps this TMPDIR)

if _TMPDIR is None:
    del os.environ["TMPDIR"]
else:
    os.environ["TMPDIR"] = _TMPDIR

from connectors_config import PlatformConfig, load_config  # noqa: E402

# The platform tests' sample: their own copy of connectors.yaml, beside its lock, jobs/ and notebooks/.
SAMPLE_DIR = PROJECT_DIR / "tests" / "fixtures" / "sample"
SAMPLE_CONFIG = SAMPLE_DIR / "connectors.yaml"
SAMPLE_NOTEBOOKS = SAMPLE_DIR / "notebooks"
# The user's own config: read by tests/test_user_config.py only.
USER_CONFIG = PROJECT_DIR / "connectors.yaml"


def stack_documents(outdir: Path) -> dict[str, dict]:
    """Stack name -> its synthesized cdk.tf.json."""
    return {path.name: json.loads((path / "cdk.tf.json").read_text())
            for path in sorted((outdir / "stacks").iterdir())}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The files whose tests run on Spark (the longest by far) first, each file's tests in their own order:
    `make test` hands whole files to its processes in this order, so the long ones start early and the short
    ones even out the end, instead of one process running a Spark file alone at the end."""
    on_spark = {item.path for item in items if "spark" in getattr(item, "fixturenames", ())}
    items.sort(key=lambda item: item.path not in on_spark)


@pytest.fixture(scope="session")
def sample_config() -> PlatformConfig:
    return load_config(SAMPLE_CONFIG)


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory, sample_config) -> Path:
    """The sample config synthesized once, in process, exactly as main.py does it, uploading the sample's
    notebooks."""
    import stacks.app

    outdir = tmp_path_factory.mktemp("synth") / "cdktf.out"
    stacks.app.synth(sample_config, str(outdir), notebooks_dir=SAMPLE_NOTEBOOKS)
    return outdir


@pytest.fixture(scope="session")
def stacks(synthesized) -> dict[str, dict]:
    """Stack name -> its synthesized cdk.tf.json."""
    return stack_documents(synthesized)


@pytest.fixture(scope="session")
def user_config() -> PlatformConfig:
    return load_config(USER_CONFIG)


@pytest.fixture(scope="session")
def user_synth(tmp_path_factory, user_config) -> tuple[Path, list[str]]:
    """The user's connectors.yaml synthesized once, in process, exactly as `make synth` does it: the output
    folder, and the policy suppressions the synth applied."""
    import stacks.app

    outdir = tmp_path_factory.mktemp("user-synth") / "cdktf.out"
    return outdir, stacks.app.synth(user_config, str(outdir))


@pytest.fixture(scope="session")
def user_synthesized(user_synth) -> Path:
    return user_synth[0]


@pytest.fixture(scope="session")
def user_stacks(user_synthesized) -> dict[str, dict]:
    """The user's stack name -> its synthesized cdk.tf.json."""
    return stack_documents(user_synthesized)


@pytest.fixture(scope="session")
def spark(tmp_path_factory):
    """A real local Spark session (pyspark, Java 17), started once for every test that asks for it. Tables live
    in a temporary warehouse; each test uses catalogs of its own, so tests do not see each other's tables."""
    from pyspark.sql import SparkSession

    warehouse = tmp_path_factory.mktemp("spark-warehouse")
    session = (SparkSession.builder.master("local[2]").appName("connector-tests")
               .config("spark.sql.warehouse.dir", str(warehouse))
               .config("spark.sql.catalogImplementation", "in-memory")
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.sql.shuffle.partitions", "1")
               # One partition for a DataFrame made from rows or from a few small files: a write to a local Delta
               # table costs a Spark job per partition (tests/notebooks/test_connector_lakehouse.py keeps several
               # partitions under test).
               .config("spark.default.parallelism", "1")
               .config("spark.ui.enabled", "false")
               # Tiny tables: compiling code and re-planning cost more than they save.
               .config("spark.sql.codegen.wholeStage", "false")
               .config("spark.sql.adaptive.enabled", "false")
               .config("spark.driver.memory", "1g")
               # A short run of many small queries: the JVM's optimizing compiler (C2) and parallel collector cost
               # more CPU than they give back; the first-tier compiler and the serial collector run the same Spark.
               .config("spark.driver.extraJavaOptions",
                       "-Duser.timezone=UTC -XX:TieredStopAtLevel=1 -XX:+UseSerialGC")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture
def server():
    """A LoopbackServer (tests/loopback.py) on 127.0.0.1 for one test: a source's API or the workspace edge."""
    from tests.loopback import LoopbackServer

    with LoopbackServer() as running:
        yield running
