"""CloudWatch Logs with Logs Insights that answers right: LocalStack's own logs provider, plus
StartQuery, GetQueryResults, StopQuery, DescribeQueries and GetLogRecord answered by our engine
(obslab_insights.engine) over moto's log events. LocalStack picks it with
PROVIDER_OVERRIDE_LOGS=obslab (compose.yaml); every other operation is LocalStack's."""

import base64
import json
import logging
import os
import threading
import time
import uuid
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from localstack.aws.api import RequestContext, handler
from localstack.aws.api.logs import (
    InvalidParameterException,
    LimitExceededException,
    MalformedQueryException,
    ResourceNotFoundException,
)
from localstack.services.logs.provider import LogsProvider
from obslab_insights import engine, functions
from obslab_insights.language import QueryError, parse
from obslab_insights.records import FieldCache, record

LOG = logging.getLogger(__name__)
MAX_LOG_GROUPS = 50  # StartQuery's own limit
MAX_RUNNING = 30  # concurrent queries per account, as CloudWatch allows
KEPT_QUERIES = 100  # per account and region: DescribeQueries and GetQueryResults see these
# What the parsed lines kept for queries may hold (records.FieldCache): slots of about 8 bytes,
# plus the values: the lab's request lines take 12 slots each, about 420 bytes in all (make
# bench-insights), so the default keeps a million of them in about 420 MiB.
CACHE_CELLS = int(os.environ.get("OBSLAB_INSIGHTS_CACHE_CELLS", "12000000"))


@dataclass
class InsightsQuery:
    query_id: str
    text: str
    groups: list[str]
    start_ms: int
    end_ms: int
    limit: int
    created_ms: int = field(default_factory=lambda: int(time.time() * 1000))
    status: str = "Scheduled"
    result: engine.Result | None = None
    error: str | None = None
    cancelled: threading.Event = field(default_factory=threading.Event)

    def info(self) -> dict:
        """As DescribeQueries lists it."""
        return {"queryId": self.query_id, "queryString": self.text, "status": self.status, "queryLanguage": "CWLI",
                "createTime": self.created_ms, "logGroupName": self.groups[0]}  # fmt: skip


class Cancelled(Exception):
    pass


def pointer(account: str, region: str, group: str, stream: str, event) -> str:
    """An opaque @ptr, as CloudWatch gives one: where the event is and which it is."""
    where = json.dumps([account, region, group, stream, event.event_id, event.timestamp], separators=(",", ":"))
    return base64.urlsafe_b64encode(where.encode()).decode().rstrip("=")


def unpack_pointer(text: str) -> list:
    try:
        where = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        if isinstance(where, list) and len(where) == 6 and all(isinstance(w, str) for w in where[:4]):
            return where
    except (ValueError, TypeError):
        pass
    raise InvalidParameterException("The log record pointer is not one a query returned")


def _malformed(error: QueryError) -> MalformedQueryException:
    exception = MalformedQueryException(error.message + f" at position {error.start}")
    exception.queryCompileError = {
        "location": {"startCharOffset": error.start, "endCharOffset": error.end},
        "message": error.message,
    }
    return exception


def _group_name(identifier: str) -> str:
    # An ARN (arn:aws:logs:region:account:log-group:name[:*]) names the group after "log-group:".
    if identifier.startswith("arn:") and ":log-group:" in identifier:
        name = identifier.split(":log-group:", 1)[1]
        return name[:-2] if name.endswith(":*") else name
    return identifier


class InsightsLogsProvider(LogsProvider):
    def __init__(self):
        super().__init__()
        self._queries: dict[tuple, OrderedDict[str, InsightsQuery]] = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="insights")
        self._cache = FieldCache(CACHE_CELLS)

    @staticmethod
    def _backend(context: RequestContext):
        from moto.logs.models import logs_backends

        return logs_backends[context.account_id][context.region]

    @handler("StartQuery", expand=False)
    def start_query(self, context: RequestContext, request: dict) -> dict:
        names = [*(request.get("logGroupNames") or []), *(request.get("logGroupIdentifiers") or [])]
        if request.get("logGroupName"):
            names.insert(0, request["logGroupName"])
        names = list(dict.fromkeys(_group_name(n) for n in names))
        if not names:
            raise InvalidParameterException("Specify logGroupName, logGroupNames or logGroupIdentifiers")
        if len(names) > MAX_LOG_GROUPS:
            raise InvalidParameterException(f"A query reads at most {MAX_LOG_GROUPS} log groups")
        start, end = int(request["startTime"]), int(request["endTime"])
        if end < start:
            raise InvalidParameterException("endTime is before startTime")
        limit = request.get("limit") or engine.DEFAULT_LIMIT
        if not 1 <= limit <= engine.DEFAULT_LIMIT:
            raise InvalidParameterException(f"limit is from 1 to {engine.DEFAULT_LIMIT:,}")
        if request.get("queryLanguage", "CWLI") != "CWLI":
            raise InvalidParameterException("Only the Logs Insights language (CWLI) is served here, not SQL or PPL")
        text = request["queryString"]
        try:
            engine.check(parse(text))
        except QueryError as error:
            raise _malformed(error) from None
        backend = self._backend(context)
        for name in names:
            if name not in backend.groups:
                raise ResourceNotFoundException(f"Log group '{name}' does not exist")
        query = InsightsQuery(str(uuid.uuid4()), text, names, start * 1000, end * 1000 + 999, limit)
        with self._lock:
            kept = self._queries.setdefault((context.account_id, context.region), OrderedDict())
            running = sum(q.status in ("Scheduled", "Running") for q in kept.values())
            if running >= MAX_RUNNING:
                raise LimitExceededException(f"At most {MAX_RUNNING} queries run at once")
            kept[query.query_id] = query
            while len(kept) > KEPT_QUERIES:
                kept.popitem(last=False)
        self._pool.submit(self._run, query, context.account_id, context.region, backend)
        return {"queryId": query.query_id}

    def _run(self, query: InsightsQuery, account: str, region: str, backend) -> None:
        if query.cancelled.is_set():
            return
        query.status = "Running"
        sources = []
        for name in query.groups:
            group = backend.groups.get(name)
            for stream_name, stream in list(group.streams.items()) if group else []:
                sources.append((f"{account}:{name}", stream_name, (account, region, name, stream_name, id(stream)),
                                stream.events))  # fmt: skip

        def checked(streams):  # a stopped query stops between streams
            for stream in streams:
                if query.cancelled.is_set():
                    raise Cancelled
                yield stream

        try:
            result = engine.run(query.text, checked(sources), query.start_ms, query.end_ms, self._cache, query.limit)
        except Cancelled:
            return
        except Exception as error:  # noqa: BLE001 - a query's failure is its status, not LocalStack's
            LOG.warning("Logs Insights query %s failed: %r", query.query_id, error)
            query.error, query.status = str(error), "Failed"
            return
        query.result = result
        query.status = "Complete" if not query.cancelled.is_set() else "Cancelled"

    def _query(self, context: RequestContext, query_id: str) -> InsightsQuery:
        with self._lock:
            query = self._queries.get((context.account_id, context.region), {}).get(query_id)
        if query is None:
            raise ResourceNotFoundException(f"Query {query_id} does not exist")
        return query

    @handler("GetQueryResults", expand=False)
    def get_query_results(self, context: RequestContext, request: dict) -> dict:
        query = self._query(context, request["queryId"])
        answer = {"status": query.status, "results": [], "queryLanguage": "CWLI",
                  "statistics": {"recordsMatched": 0.0, "recordsScanned": 0.0, "bytesScanned": 0.0}}  # fmt: skip
        result = query.result
        if result is None:
            return answer
        answer["statistics"] = {"recordsMatched": float(result.records_matched),
                                "recordsScanned": float(result.records_scanned),
                                "bytesScanned": float(result.bytes_scanned),
                                "logGroupsScanned": float(len(query.groups))}  # fmt: skip
        account, region = context.account_id, context.region
        for index, row in enumerate(result.rows):
            fields = [
                {"field": name, "value": functions.text(value)} for name, value in row.items() if value is not None
            ]
            if result.pointers:
                event, (group, stream) = result.pointers[index]
                fields.append({"field": "@ptr", "value": pointer(account, region, group, stream, event)})
            answer["results"].append(fields)
        return answer

    @handler("StopQuery", expand=False)
    def stop_query(self, context: RequestContext, request: dict) -> dict:
        query = self._query(context, request["queryId"])
        if query.status not in ("Scheduled", "Running"):
            return {"success": False}
        query.cancelled.set()
        query.status = "Cancelled"
        return {"success": True}

    @handler("DescribeQueries", expand=False)
    def describe_queries(self, context: RequestContext, request: dict) -> dict:
        with self._lock:
            queries = list(self._queries.get((context.account_id, context.region), {}).values())
        group, status = request.get("logGroupName"), request.get("status")
        found = [
            q for q in reversed(queries) if (not group or group in q.groups) and (not status or q.status == status)
        ]
        size = request.get("maxResults") or 1000
        token = str(request.get("nextToken") or "0")
        if not token.isdigit():
            raise InvalidParameterException("The nextToken is not one DescribeQueries gave")
        start = int(token)
        page = found[start : start + size]
        answer = {"queries": [q.info() for q in page]}
        if start + size < len(found):
            answer["nextToken"] = str(start + size)
        return answer

    @handler("GetLogRecord", expand=False)
    def get_log_record(self, context: RequestContext, request: dict) -> dict:
        account, region, group, stream_name, event_id, timestamp = unpack_pointer(request["logRecordPointer"])
        if (account, region) != (context.account_id, context.region):
            raise InvalidParameterException("The log record pointer is for another account or region")
        group_model = self._backend(context).groups.get(group.split(":", 1)[-1])
        stream = group_model.streams.get(stream_name) if group_model else None
        event = next(
            (e for e in (stream.events if stream else []) if e.event_id == event_id and e.timestamp == timestamp), None
        )
        if event is None:
            raise ResourceNotFoundException("The log record is no longer stored")
        fields = record(event, group, stream_name)
        for name in ("@timestamp", "@ingestionTime"):
            fields[name] = functions.Time(fields[name])
        return {"logRecord": {name: functions.text(value) for name, value in fields.items() if value is not None}}
