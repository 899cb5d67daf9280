"""Shared fixtures. jsii (the node process behind cdktf) starts once per test session; the sample config's
stacks are synthesized once and shared by every test that reads them."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parent.parent  # on sys.path: pytest puts the root of the tests package there
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")

from connectors_config import PlatformConfig, load_config  # noqa: E402

SAMPLE_CONFIG = PROJECT_DIR / "connectors.yaml"


@pytest.fixture(scope="session")
def sample_config() -> PlatformConfig:
    return load_config(SAMPLE_CONFIG)


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory, sample_config) -> Path:
    """The sample config synthesized once, in process, exactly as main.py does it."""
    import main
    import stacks.app

    outdir = tmp_path_factory.mktemp("synth") / "cdktf.out"
    stacks.app.synth(sample_config, str(outdir))
    return outdir


@pytest.fixture(scope="session")
def stacks(synthesized) -> dict[str, dict]:
    """Stack name -> its synthesized cdk.tf.json."""
    return {path.name: json.loads((path / "cdk.tf.json").read_text())
            for path in sorted((synthesized / "stacks").iterdir())}


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
               .config("spark.default.parallelism", "2")
               .config("spark.ui.enabled", "false")
               # Tiny tables: compiling code and re-planning cost more than they save.
               .config("spark.sql.codegen.wholeStage", "false")
               .config("spark.sql.adaptive.enabled", "false")
               .config("spark.driver.memory", "1g")
               .config("spark.driver.extraJavaOptions", "-Duser.timezone=UTC")
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
