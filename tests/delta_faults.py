"""Fault injection for the local Delta tables (notebooks/connector_lakehouse.py, LocalDeltaTables): a write that
dies while delta-rs is consuming its rows, after it has taken the first batch and before it can commit, as when
a cluster is lost mid-write."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import connector_lakehouse
from arro3.core import RecordBatchReader
from pyspark.sql import DataFrame
from pyspark.sql import types as T


def crash_mid_write(monkeypatch: Any, message: str,
                    where: Callable[[T.StructType], bool] = lambda schema: True) -> None:
    """Every later write of rows in a schema for which `where` holds fails with RuntimeError(`message`) after
    delta-rs has read its first batch (one row: batches are made one row long)."""
    real = connector_lakehouse.arrow_batches
    monkeypatch.setattr(connector_lakehouse, "ARROW_BATCH_ROWS", 1)

    def failing(rows: DataFrame, schema: T.StructType) -> Any:
        stream = real(rows, schema)
        if not where(schema):
            return stream

        def batches() -> Iterator[Any]:
            yield stream.read_next_batch()
            raise RuntimeError(message)

        return RecordBatchReader.from_batches(stream.schema, batches())

    monkeypatch.setattr(connector_lakehouse, "arrow_batches", failing)
