"""Log events as Logs Insights sees them: the fields it discovers by itself (@timestamp,
@message, @logStream, @log, @ingestionTime) and the keys of JSON log lines, nested ones dotted
(`a.b`, arrays as `a.0`).

Queries read columns, not events: each stream's lines are parsed once into one list per field
(FieldCache), since parsing JSON is most of a query's time otherwise. Text values that repeat
(service, route, method) are stored once. The cache is bounded by a number of events."""

import bisect
import json
import threading

MAX_DEPTH = 16  # deeper JSON is kept as its text
DISCOVERED = ("@timestamp", "@message", "@logStream", "@log", "@ingestionTime")
DEFAULT_FIELDS = ("@timestamp", "@message", "@logStream", "@log")
MAX_INTERNED = 10_000  # distinct values of one field stored once; past that, as they come
# CloudWatch extracts at most 200 fields from a JSON log event; here, from a stream's events, so
# that lines with ever new keys cannot make columns without end (a key past those reads as null).
MAX_FIELDS = 200
EMPTY: dict = {}


def flatten(message: str) -> dict:
    """The fields of a JSON object line (nested keys dotted); {} for anything else."""
    if not message or message[0] != "{":
        return EMPTY
    try:
        value = json.loads(message)
    except (ValueError, RecursionError):
        return EMPTY
    if not isinstance(value, dict):
        return EMPTY
    if all(not isinstance(v, dict | list) for v in value.values()):
        return value  # the usual flat line: as parsed
    out: dict = {}
    _flatten_into(out, "", value, 0)
    return out


def _flatten_into(out: dict, prefix: str, value, depth: int) -> None:
    if isinstance(value, dict) and depth < MAX_DEPTH:
        for key, inner in value.items():
            _flatten_into(out, f"{prefix}.{key}" if prefix else str(key), inner, depth + 1)
    elif isinstance(value, list) and depth < MAX_DEPTH:
        for index, inner in enumerate(value):
            _flatten_into(out, f"{prefix}.{index}" if prefix else str(index), inner, depth + 1)
    elif isinstance(value, dict | list):
        out[prefix] = json.dumps(value)
    else:
        out[prefix] = value


def record(event, log: str, stream: str) -> dict:
    """Every field of one event, as GetLogRecord gives it."""
    return {"@timestamp": event.timestamp, "@message": event.message, "@logStream": stream, "@log": log,
            "@ingestionTime": event.ingestion_time, **flatten(event.message)}  # fmt: skip


class StreamColumns:
    """One stream's events as columns: events (the objects, for @ptr), their timestamps, and a
    list per field of the JSON lines, None where a line lacks the field."""

    def __init__(self, first_event):
        self.first = first_event
        self.events: list = []
        self.timestamps: list[int] = []
        self.fields: dict[str, list] = {}
        self.interned: dict[str, dict] = {}
        self.ordered = True  # timestamps never go down: a time range is two bisections

    def extend(self, events: list) -> None:
        fields, interned, count = self.fields, self.interned, len(self.events)
        for offset, event in enumerate(events):
            for name, value in flatten(event.message).items():
                column = fields.get(name)
                if column is None:
                    if len(fields) >= MAX_FIELDS:
                        continue
                    column = fields[name] = [None] * (count + offset)
                    interned[name] = {}
                elif len(column) < count + offset:
                    column.extend([None] * (count + offset - len(column)))
                if value.__class__ is str:
                    seen = interned[name]
                    value = seen.setdefault(value, value) if len(seen) < MAX_INTERNED else value
                column.append(value)
        self.events.extend(events)
        stamps = [e.timestamp for e in events]
        if self.ordered and (self.timestamps and stamps and stamps[0] < self.timestamps[-1]
                             or any(b < a for a, b in zip(stamps, stamps[1:], strict=False))):  # fmt: skip
            self.ordered = False
        self.timestamps.extend(stamps)
        total = len(self.events)
        for column in fields.values():
            if len(column) < total:
                column.extend([None] * (total - len(column)))

    @property
    def cells(self) -> int:
        """What the stream's columns hold: a slot per event in each field, its event and timestamp."""
        return len(self.events) * (len(self.fields) + 2)

    def window(self, start_ms: int, end_ms: int) -> tuple[int, int] | list[int]:
        """The events from start_ms to end_ms: a slice (lo, hi) when ordered, else their positions."""
        if self.ordered:
            return bisect.bisect_left(self.timestamps, start_ms), bisect.bisect_right(self.timestamps, end_ms)
        return [i for i, t in enumerate(self.timestamps) if start_ms <= t <= end_ms]


class FieldCache:
    """Each stream's columns. Events are only appended, or dropped from the front by retention:
    a stream whose first event changed is read again. At most max_cells slots are kept (see
    StreamColumns.cells; about 8 bytes each, plus the values); when a stream grows past what is
    left, the others are dropped, and a stream too big alone is read for its query only."""

    def __init__(self, max_cells: int):
        self.max_cells = max_cells
        self.streams: dict[tuple, StreamColumns] = {}
        self.lock = threading.Lock()

    @property
    def size(self) -> int:
        return sum(stream.cells for stream in self.streams.values())

    def columns(self, key: tuple, events: list) -> StreamColumns:
        with self.lock:
            kept = self.streams.pop(key, None)
            if kept is not None and (not events or events[0] is not kept.first or len(events) < len(kept.events)):
                kept = None
            if kept is None:
                kept = StreamColumns(events[0] if events else None)
            if len(events) > len(kept.events):
                kept.extend(events[len(kept.events) :])
            if self.size + kept.cells > self.max_cells:
                self.streams.clear()
            if kept.cells <= self.max_cells:
                self.streams[key] = kept
            return kept
