"""The console's span store: one DuckDB table, `spans`, on the console's volume. Fixed columns
for every span's own fields (otlp.FIXED_FIELDS) and one column per attribute key, added when a
key is first seen, typed by its values (BIGINT, DOUBLE, BOOLEAN, VARCHAR; a key seen with
several types widens: BIGINT to DOUBLE, anything else to VARCHAR). Spans older than the
retention, and the oldest beyond the size cap, are deleted. Age is measured on the store's clock
(`SpanStore.now`), which tests set, so that their spans never age out on a later day."""

import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb
import numpy as np

from console.otlp import FIXED_FIELDS

TYPES = {bool: "BOOLEAN", int: "BIGINT", float: "DOUBLE", str: "VARCHAR"}
PRUNE_EVERY_SECONDS = 60
# New spans wait in memory (and the write-ahead log) until a checkpoint writes them to the table;
# DuckDB's default of 16 MB made the console's memory swing by ~25 MB under steady load.
CHECKPOINT_THRESHOLD = "4MB"


def utc_now() -> datetime:
    """The current time as the store keeps timestamps: UTC, without a time zone."""
    return datetime.now(UTC).replace(tzinfo=None)


def quote(field: str) -> str:
    """A field as a SQL identifier. Fields come from the store's own catalogue, never raw input."""
    return '"' + field.replace('"', '""') + '"'


def _widen(current: str, new: str) -> str:
    if current == new:
        return current
    if {current, new} == {"BIGINT", "DOUBLE"}:
        return "DOUBLE"
    return "VARCHAR"


class QueryTimeout(RuntimeError):
    pass


class SpanStore:
    def __init__(self, path: str = ":memory:", retention: timedelta = timedelta(hours=48),
                 max_spans: int = 5_000_000, max_fields: int = 500, memory_limit: str = "256MB",
                 clock: Callable[[], datetime] = utc_now):  # fmt: skip
        self.retention, self.max_spans, self.max_fields = retention, max_spans, max_fields
        # What "now" is for retention and for queries' relative ranges (SINCE 1h).
        self.now = clock
        # DuckDB's default memory limit is 80% of the host's memory (a container sees all of it):
        # past the limit it evicts cached blocks and spills large queries to disk instead.
        self._db = duckdb.connect(path, config={"memory_limit": memory_limit,
                                                "checkpoint_threshold": CHECKPOINT_THRESHOLD})  # fmt: skip
        self._write = threading.Lock()
        self._last_prune = 0.0
        self.dropped_fields: set[str] = set()
        columns = ", ".join(f"{quote(name)} {kind}" for name, kind in FIXED_FIELDS.items())
        self._db.execute(f"CREATE TABLE IF NOT EXISTS spans ({columns})")
        self._fields = self._read_fields()

    def _read_fields(self) -> dict[str, str]:
        rows = self._db.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = 'spans' ORDER BY ordinal_position"
        ).fetchall()
        return dict(rows)

    def fields(self) -> dict[str, str]:
        """Every queryable field and its SQL type."""
        return dict(self._fields)

    def ingest(self, rows: Sequence[dict[str, Any]]) -> int:
        """Store span rows; returns how many. New attribute keys become columns."""
        if not rows:
            return 0
        with self._write:
            wanted: dict[str, str] = {}
            for row in rows:
                for key, value in row.items():
                    if key not in FIXED_FIELDS and value is not None:
                        kind = TYPES.get(type(value), "VARCHAR")
                        wanted[key] = _widen(wanted.get(key, kind), kind)
            self._adapt_columns(wanted)
            present = [field for field in self._fields if field in FIXED_FIELDS or field in wanted]
            batch = {
                f"c{i}": np.array([row.get(field) for row in rows], dtype=object) for i, field in enumerate(present)
            }
            selected = ", ".join(
                f"CAST(c{i} AS {self._fields[field]}) AS {quote(field)}" for i, field in enumerate(present)
            )
            self._db.register("batch", batch)
            try:
                self._db.execute(f"INSERT INTO spans BY NAME SELECT {selected} FROM batch")
            finally:
                self._db.unregister("batch")
            if time.monotonic() - self._last_prune > PRUNE_EVERY_SECONDS:
                self._prune()
        return len(rows)

    def _adapt_columns(self, wanted: dict[str, str]) -> None:
        for field, kind in wanted.items():
            current = self._fields.get(field)
            if current is None:
                if len(self._fields) >= self.max_fields:
                    self.dropped_fields.add(field)
                    continue
                self._db.execute(f"ALTER TABLE spans ADD COLUMN {quote(field)} {kind}")
                self._fields[field] = kind
            elif _widen(current, kind) != current:
                widened = _widen(current, kind)
                self._db.execute(f"ALTER TABLE spans ALTER COLUMN {quote(field)} TYPE {widened}")
                self._fields[field] = widened

    def _prune(self) -> None:
        self._last_prune = time.monotonic()
        cutoff = self.now() - self.retention
        self._db.execute("DELETE FROM spans WHERE timestamp < ?", [cutoff])
        [(count,)] = self._db.execute("SELECT count(*) FROM spans").fetchall()
        if count > self.max_spans:
            self._db.execute(
                "DELETE FROM spans WHERE timestamp < "
                "(SELECT timestamp FROM spans ORDER BY timestamp DESC LIMIT 1 OFFSET ?)",
                [self.max_spans - 1],
            )

    def prune(self) -> None:
        with self._write:
            self._prune()

    def query(self, sql: str, params: Sequence[Any] = (), timeout: float = 15.0) -> tuple[list[str], list[tuple]]:
        """Run a read query on a cursor of its own; interrupted after `timeout` seconds."""
        cursor = self._db.cursor()
        timer = threading.Timer(timeout, cursor.interrupt)
        timer.start()
        try:
            result = cursor.execute(sql, list(params))
            columns = [d[0] for d in result.description]
            return columns, result.fetchall()
        except duckdb.InterruptException:
            raise QueryTimeout(f"The query took longer than {timeout:g} s and was stopped") from None
        finally:
            timer.cancel()
            cursor.close()

    def count(self) -> int:
        return self.query("SELECT count(*) FROM spans")[1][0][0]

    def close(self) -> None:
        with self._write:
            self._db.close()
