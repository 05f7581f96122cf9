"""The console's span store: one DuckDB table, `spans`, on the console's volume. Typed columns
for the fields every span has (otlp.FIXED_FIELDS) and four typed maps for its attributes
(strings, integers, floats, booleans), as the collector's ClickHouse exporter keeps them: a key
is whatever the sender wrote (any case, any script, any punctuation, a derived field's name), and
a span with a new key costs no ALTER TABLE. The keys seen, with their type (widened across spans:
BIGINT and DOUBLE to DOUBLE, anything else to VARCHAR), are kept in `attribute_keys`: they are
the queryable fields. What the store cannot keep whole it caps, and counts (`capped`): strings
past MAX_TEXT_CHARS, attributes past MAX_ATTRIBUTES a span, keys past max_fields. Spans older
than the retention, and the oldest beyond the size cap, are deleted. Age is measured on the
store's clock (`SpanStore.now`), which tests set, so that their spans never age out on a later
day."""

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb
import numpy as np

from console.otlp import FIXED_FIELDS

log = logging.getLogger(__name__)
# The map each type of attribute value is kept in.
MAPS = {"VARCHAR": "attrs_str", "BIGINT": "attrs_int", "DOUBLE": "attrs_float", "BOOLEAN": "attrs_bool"}
INT64 = range(-(2**63), 2**63)
MAX_TEXT_CHARS = 64 * 1024  # a string value, a key or a span's name; longer ones are cut
MAX_ATTRIBUTES = 1000  # attributes kept per span (resource and span attributes together)
TEXT_FIELDS = ("name", "service.name", "span.kind", "status_message")  # fixed fields with text from the sender
PRUNE_EVERY_SECONDS = 60
# New spans wait in memory (and the write-ahead log) until a checkpoint writes them to the table;
# DuckDB's default of 16 MB made the console's memory swing by ~25 MB under steady load.
CHECKPOINT_THRESHOLD = "4MB"
# DuckDB errors that pass (a full disk, memory, a closed store): the sender should try again.
PASSING_ERRORS = (duckdb.IOException, duckdb.OutOfMemoryException, duckdb.ConnectionException,
                  duckdb.InterruptException)  # fmt: skip


def utc_now() -> datetime:
    """The current time as the store keeps timestamps: UTC, without a time zone."""
    return datetime.now(UTC).replace(tzinfo=None)


def quote(field: str) -> str:
    """A field as a SQL identifier. Fields come from the store's own catalogue, never raw input."""
    return '"' + field.replace('"', '""') + '"'


def _literal(text: str) -> str:
    # Keys reach SQL text only from the catalogue, where NUL was replaced on the way in.
    if "\x00" in text:
        raise ValueError("a NUL character in a key")
    return "'" + text.replace("'", "''") + "'"


def field_sql(name: str, kind: str) -> str:
    """The SQL expression of a queryable field of type `kind` (as fields() gives it): a column, or
    its key in the maps its values may be in (a key widened to DOUBLE or VARCHAR may have older
    values in a narrower map)."""
    if name in FIXED_FIELDS:
        return quote(name)
    key = _literal(name)
    if kind == "DOUBLE":
        return f"coalesce(attrs_float[{key}], CAST(attrs_int[{key}] AS DOUBLE))"
    if kind == "VARCHAR":
        casts = ", ".join(f"CAST({MAPS[k]}[{key}] AS VARCHAR)" for k in ("BIGINT", "DOUBLE", "BOOLEAN"))
        return f"coalesce(attrs_str[{key}], {casts})"
    return f"{MAPS[kind]}[{key}]"


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "BOOLEAN"
    if isinstance(value, int):
        return "BIGINT" if value in INT64 else "VARCHAR"
    if isinstance(value, float):
        return "DOUBLE"
    return "VARCHAR"


def _widen(current: str, new: str) -> str:
    if current == new:
        return current
    if {current, new} == {"BIGINT", "DOUBLE"}:
        return "DOUBLE"
    return "VARCHAR"


def _save_keys(db: duckdb.DuckDBPyConnection, kinds: dict[str, str]) -> None:
    """Keys and their types into attribute_keys, in one statement (executemany takes a second
    per thousand)."""
    db.register("new_keys", {"key": np.array(list(kinds), dtype=object), "kind": np.array(list(kinds.values()))})
    try:
        db.execute("INSERT OR REPLACE INTO attribute_keys SELECT key, kind FROM new_keys")
    finally:
        db.unregister("new_keys")


def _from_a_column_per_key(db: duckdb.DuckDBPyConnection) -> None:
    """A store written by the console before the maps (a column per attribute key) is moved into
    them where it is, on open: every value stays, and its key keeps its type."""
    query = "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'spans'"
    columns = dict(db.execute(query).fetchall())
    old = {name: kind for name, kind in columns.items() if name not in FIXED_FIELDS and name not in MAPS.values()}
    if not old:
        return
    log.info("moving %d attribute columns into the attribute maps", len(old))
    for kind, column in MAPS.items():
        if column not in columns:
            db.execute(f"ALTER TABLE spans ADD COLUMN {column} MAP(VARCHAR, {kind})")
    by_kind: dict[str, list[str]] = {}
    for name, kind in old.items():
        by_kind.setdefault(kind if kind in MAPS else "VARCHAR", []).append(name)
    for kind, names in by_kind.items():
        entries = ", ".join(f"struct_pack(k := {_literal(n)}, v := CAST({quote(n)} AS {kind}))" for n in names)
        present = f"list_filter([{entries}], lambda e: e.v IS NOT NULL)"
        db.execute(f"UPDATE spans SET {MAPS[kind]} = map_from_entries({present})")
        _save_keys(db, {name: kind for name in names})
    for name in old:
        db.execute(f"ALTER TABLE spans DROP COLUMN {quote(name)}")


class QueryTimeout(RuntimeError):
    pass


class SpanStore:
    def __init__(self, path: str = ":memory:", retention: timedelta = timedelta(hours=48),
                 max_spans: int = 5_000_000, max_fields: int = 100_000, memory_limit: str = "256MB",
                 clock: Callable[[], datetime] = utc_now):  # fmt: skip
        self.retention, self.max_spans, self.max_fields = retention, max_spans, max_fields
        # What "now" is for retention and for queries' relative ranges (SINCE 1h).
        self.now = clock
        # What could not be kept whole since the store opened, by what: {"strings cut": n, ...}.
        self.capped: Counter[str] = Counter()
        # DuckDB's default memory limit is 80% of the host's memory (a container sees all of it):
        # past the limit it evicts cached blocks and spills large queries to disk instead.
        self._db = duckdb.connect(path, config={"memory_limit": memory_limit,
                                                "checkpoint_threshold": CHECKPOINT_THRESHOLD})  # fmt: skip
        self._write = threading.Lock()
        self._last_prune = 0.0
        columns = [f"{quote(name)} {kind}" for name, kind in FIXED_FIELDS.items()]
        columns += [f"{column} MAP(VARCHAR, {kind})" for kind, column in MAPS.items()]
        self._db.execute(f"CREATE TABLE IF NOT EXISTS spans ({', '.join(columns)})")
        self._db.execute("CREATE TABLE IF NOT EXISTS attribute_keys (key VARCHAR PRIMARY KEY, kind VARCHAR)")
        _from_a_column_per_key(self._db)
        self._attributes = dict(self._db.execute("SELECT key, kind FROM attribute_keys").fetchall())

    def fields(self) -> dict[str, str]:
        """Every queryable field and its SQL type: the fixed ones, then the attribute keys (a key
        named like a fixed field is kept in the span, and shown with it, but asked as the field)."""
        return {**FIXED_FIELDS, **{k: v for k, v in self._attributes.items() if k not in FIXED_FIELDS}}

    def ingest(self, rows: Sequence[dict[str, Any]]) -> tuple[int, list[str]]:
        """Store span rows (the fixed fields, and `attributes`: {key: value}). Returns how many
        were stored and why the others were refused: a span the store cannot take never costs
        the rest of its batch. An error that passes (a full disk, say) is raised."""
        if not rows:
            return 0, []
        with self._write:
            batch = [self._prepared(row) for row in rows]
            self._catalogue(batch)
            try:
                self._insert(batch)
                stored, refused = len(batch), []
            except PASSING_ERRORS:
                raise
            except duckdb.Error:
                # One span spoils the batch: store the others one by one.
                stored, refused = 0, []
                for one in batch:
                    try:
                        self._insert([one])
                        stored += 1
                    except PASSING_ERRORS:
                        raise
                    except duckdb.Error as error:
                        refused.append(f"span {one['trace.span_id']}: {error}")
                log.warning("refused %d of %d spans: %s", len(refused), len(batch), refused[:3])
            if time.monotonic() - self._last_prune > PRUNE_EVERY_SECONDS:
                self._prune()
        return stored, refused

    def _text(self, value: str) -> str:
        if len(value) > MAX_TEXT_CHARS:
            self.capped["strings cut to 64 KiB"] += 1
            return value[:MAX_TEXT_CHARS]
        return value

    def _prepared(self, row: dict[str, Any]) -> dict[str, Any]:
        """The row as the table takes it: long strings cut, attributes split by type, each type
        as its keys and its values (the map's two lists)."""
        prepared = {name: row.get(name) for name in FIXED_FIELDS}
        for name in TEXT_FIELDS:
            if isinstance(prepared[name], str):
                prepared[name] = self._text(prepared[name])
        attributes = row.get("attributes") or {}
        if len(attributes) > MAX_ATTRIBUTES:
            self.capped[f"attributes past {MAX_ATTRIBUTES} a span"] += len(attributes) - MAX_ATTRIBUTES
            attributes = dict(list(attributes.items())[:MAX_ATTRIBUTES])
        split: dict[str, dict[str, Any]] = {}
        for key, value in attributes.items():
            if value is None:
                continue
            kind = _kind(value)
            if kind == "VARCHAR":
                value = self._text(str(value))
            if len(key) > MAX_TEXT_CHARS or "\x00" in key:
                key = self._text(key.replace("\x00", "\ufffd"))
            # A dict: two keys cut to one prefix would give a map one key twice; the last wins.
            split.setdefault(kind, {})[key] = value
        for kind in MAPS:
            found = split.get(kind)
            prepared[kind] = (list(found), list(found.values())) if found else (None, None)
        return prepared

    def _catalogue(self, batch: list[dict[str, Any]]) -> None:
        """New keys, and keys whose type widened, into attribute_keys (up to max_fields keys)."""
        changed: dict[str, str] = {}
        for row in batch:
            for kind in MAPS:
                for key in row[kind][0] or ():
                    current = changed.get(key) or self._attributes.get(key)
                    if current is None:
                        if len(self._attributes) + len(changed) >= self.max_fields:
                            self.capped[f"keys past the {self.max_fields:,} the field list holds"] += 1
                            continue
                        changed[key] = kind
                    elif _widen(current, kind) != current:
                        changed[key] = _widen(current, kind)
        if changed:
            _save_keys(self._db, changed)
            self._attributes.update(changed)

    def _insert(self, batch: list[dict[str, Any]]) -> None:
        columns = {f"c{i}": np.array([row[name] for row in batch], dtype=object) for i, name in enumerate(FIXED_FIELDS)}
        selected = [f"CAST(c{i} AS {kind}) AS {quote(name)}" for i, (name, kind) in enumerate(FIXED_FIELDS.items())]
        for kind, column in MAPS.items():
            # Keys and values as two list columns: DuckDB builds maps from them 4x faster than
            # from Python dicts. (np.empty: a list of equal-length lists would become a 2-D array.)
            keys, values = np.empty(len(batch), dtype=object), np.empty(len(batch), dtype=object)
            keys[:] = [row[kind][0] for row in batch]
            values[:] = [row[kind][1] for row in batch]
            columns[f"{column}_k"], columns[f"{column}_v"] = keys, values
            selected.append(f"map(CAST({column}_k AS VARCHAR[]), CAST({column}_v AS {kind}[])) AS {column}")
        self._db.register("batch", columns)
        try:
            self._db.execute(f"INSERT INTO spans BY NAME SELECT {', '.join(selected)} FROM batch")
        finally:
            self._db.unregister("batch")

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
