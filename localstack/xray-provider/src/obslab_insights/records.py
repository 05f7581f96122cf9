"""Log events as Logs Insights sees them: the fields it discovers by itself (@timestamp,
@message, @logStream, @log, @ingestionTime) and the keys of JSON log lines, nested ones dotted
(`a.b`, arrays as `a.0`). A line's JSON is parsed once and kept (FieldCache), since parsing is
most of a query's time; the cache is bounded."""

import json
import threading

from obslab_insights.functions import Time

DEFAULT_FIELDS = ("@timestamp", "@message", "@logStream", "@log")
MAX_DEPTH = 16  # deeper JSON is kept as its text
BUILTIN = {
    "@timestamp": lambda row: Time(row.event.timestamp) if row.event is not None else None,
    "@message": lambda row: row.event.message if row.event is not None else None,
    "@logStream": lambda row: row.source[1] if row.source else None,
    "@log": lambda row: row.source[0] if row.source else None,
    "@ingestionTime": lambda row: Time(row.event.ingestion_time) if row.event is not None else None,
}
NO_FIELDS: dict = {}


def flatten(message: str) -> dict:
    """The fields of a JSON object line (nested keys dotted); {} for anything else."""
    if not message or message[0] != "{":
        return NO_FIELDS
    try:
        value = json.loads(message)
    except (ValueError, RecursionError):
        return NO_FIELDS
    if not isinstance(value, dict):
        return NO_FIELDS
    if all(not isinstance(v, dict | list) for v in value.values()):
        return value  # the usual flat line: as parsed
    out: dict = {}
    _flatten_into(out, "", value, 0)
    return out


def _flatten_into(out: dict, prefix: str, value, depth: int) -> None:
    if isinstance(value, dict) and depth < MAX_DEPTH:
        for key, inner in value.items():
            _flatten_into(out, f"{prefix}{key}" if not prefix else f"{prefix}.{key}", inner, depth + 1)
    elif isinstance(value, list) and depth < MAX_DEPTH:
        for index, inner in enumerate(value):
            _flatten_into(out, f"{prefix}.{index}" if prefix else str(index), inner, depth + 1)
    elif isinstance(value, dict | list):
        out[prefix] = json.dumps(value)
    else:
        out[prefix] = value


class Row:
    """One record: the event's discovered fields, and what fields and parse set on it."""

    __slots__ = ("fields", "event", "source", "extra")

    def __init__(self, fields: dict, event=None, source: tuple | None = None):
        self.fields, self.event, self.source, self.extra = fields, event, source, None

    @classmethod
    def of(cls, values: dict) -> "Row":
        return cls(values)

    def get(self, name: str):
        extra = self.extra
        if extra is not None and name in extra:
            return extra[name]
        builtin = BUILTIN.get(name)
        return builtin(self) if builtin is not None and self.event is not None else self.fields.get(name)

    def set(self, name: str, value) -> None:
        if self.extra is None:
            self.extra = {}
        self.extra[name] = value

    def size(self) -> int:
        return len(self.event.message) if self.event is not None else 0

    @staticmethod
    def getter(name: str):
        builtin = BUILTIN.get(name)
        if builtin is not None:

            def get_builtin(row):
                extra = row.extra
                return extra[name] if extra is not None and name in extra else builtin(row)

            return get_builtin

        def get_field(row):
            extra = row.extra
            if extra is not None and name in extra:
                return extra[name]
            return row.fields.get(name)

        return get_field

    def record(self) -> dict:
        """Every field of the record, as GetLogRecord gives it."""
        out = {name: get(self) for name, get in BUILTIN.items()}
        out.update(self.fields)
        return out


class FieldCache:
    """Each stream's parsed lines, in the order of its events. Events are only appended, or
    dropped from the front by retention: a stream whose first event changed is parsed again."""

    def __init__(self, max_events: int):
        self.max_events = max_events
        self.streams: dict[tuple, tuple[object, list]] = {}
        self.size = 0
        self.lock = threading.Lock()

    def fields(self, key: tuple, events: list) -> list:
        with self.lock:
            first, parsed = self.streams.get(key, (None, []))
            if not events or events[0] is not first:
                self.size -= len(parsed)
                parsed = []
            missing = len(events) - len(parsed)
            if missing > 0 and self.size + missing > self.max_events:
                self._evict(exclude=key)
            if missing > 0 and self.size + missing <= self.max_events:
                parsed = parsed + [flatten(e.message) for e in events[len(parsed) :]]
                self.size += missing
                self.streams[key] = (events[0], parsed)
            elif missing > 0:  # over the cap: parsed for this query only
                return parsed + [flatten(e.message) for e in events[len(parsed) :]]
            elif events:
                self.streams[key] = (events[0], parsed)
            return parsed

    def _evict(self, exclude: tuple) -> None:
        for key in [k for k in self.streams if k != exclude]:
            self.size -= len(self.streams.pop(key)[1])


def rows(sources, start_ms: int, end_ms: int, cache: FieldCache | None):
    """The rows of every event from start_ms to end_ms inclusive. sources: (group name, stream
    name, key, events) for each stream."""
    for group, stream, key, events in sources:
        events = list(events)  # a snapshot: moto appends while we read
        parsed = cache.fields(key, events) if cache is not None else [flatten(e.message) for e in events]
        source = (group, stream)
        for event, fields in zip(events, parsed, strict=False):
            if start_ms <= event.timestamp <= end_ms:
                yield Row(fields, event, source)
