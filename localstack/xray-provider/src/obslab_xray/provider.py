"""The X-Ray API, served from LocalStack's store (obslab_xray.store): segments and traces,
trace summaries with filter expressions, service and trace graphs, groups, sampling rules and
targets. Errors use X-Ray's codes and shapes. Operations without a handler here go to moto
through the dispatch table (obslab_xray.dispatch) and answer 501 where moto has none either."""

import re
import time
import uuid
from datetime import UTC, datetime

from localstack.aws.api import CommonServiceException, RequestContext, handler
from localstack.services.plugins import ServiceLifecycleHook
from localstack.state import StateVisitor

from obslab_xray import filters, graph, paging, sampling
from obslab_xray.bad_requests import invalid_request
from obslab_xray.segments import SegmentError, Trace, parse_document
from obslab_xray.store import MAX_TRACES, STATE_LOCK, XRayStore, changed, xray_stores

MAX_BATCH_TRACE_IDS = 5
MAX_TELEMETRY_RECORDS = 1000
DEFAULT_GROUP = "Default"
GROUP_NAME = re.compile(r"[A-Za-z0-9_-]{1,32}")


def _epoch(value) -> float:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()
    return float(value)


def _time(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _paged(pager, *args):
    """A pager's answer, its InvalidToken answered as X-Ray answers a bad NextToken."""
    try:
        return pager(*args)
    except paging.InvalidToken as error:
        raise invalid_request(str(error)) from None


def _page(items: list, token: str | None) -> tuple[list, str | None]:
    return _paged(paging.page, items, token)


def _with_token(response: dict, token: str | None) -> dict:
    if token:
        response["NextToken"] = token
    return response


class XRayProvider(ServiceLifecycleHook):
    service = "xray"

    def __init__(self):
        # LocalStack serves requests on several threads; traces change while being read.
        self._lock = STATE_LOCK

    def accept_state_visitor(self, visitor: StateVisitor):
        visitor.visit(xray_stores)

    def _store(self, context: RequestContext) -> XRayStore:
        store = xray_stores[context.account_id][context.region]
        if sampling.DEFAULT_RULE_NAME not in store.sampling_rules:
            now = time.time()
            store.sampling_rules[sampling.DEFAULT_RULE_NAME] = {
                "SamplingRule": sampling.default_rule(context.region, context.account_id),
                "CreatedAt": now,
                "ModifiedAt": now,
            }
        return store

    # --- Segments and traces ---

    @handler("PutTraceSegments", expand=False)
    def put_trace_segments(self, context: RequestContext, request: dict):
        store, unprocessed = self._store(context), []
        with self._lock:
            for document in request.get("TraceSegmentDocuments") or []:
                try:
                    segment = parse_document(document)
                except SegmentError as error:
                    unprocessed.append(error.unprocessed())
                    continue
                trace = store.traces.get(segment["trace_id"])
                if trace is None:
                    trace = store.traces[segment["trace_id"]] = Trace(segment["trace_id"])
                    while len(store.traces) > MAX_TRACES:
                        del store.traces[next(iter(store.traces))]
                trace.add(segment, document)
                changed()
        return {"UnprocessedTraceSegments": unprocessed}

    @handler("BatchGetTraces", expand=False)
    def batch_get_traces(self, context: RequestContext, request: dict):
        trace_ids = request.get("TraceIds") or []
        if len(trace_ids) > MAX_BATCH_TRACE_IDS:
            raise invalid_request(f"At most {MAX_BATCH_TRACE_IDS} trace IDs per request")
        store, traces, missing = self._store(context), [], []
        with self._lock:
            for trace_id in trace_ids:
                trace = store.traces.get(trace_id)
                if trace is None:
                    missing.append(trace_id)
                else:
                    traces.append(
                        {
                            "Id": trace.id,
                            "Duration": round(trace.duration, 6),
                            "LimitExceeded": False,
                            "Segments": trace.documents(),
                        }
                    )
        return {"Traces": traces, "UnprocessedTraceIds": missing}

    @handler("GetTraceSummaries", expand=False)
    def get_trace_summaries(self, context: RequestContext, request: dict):
        start, end = self._time_range(request)
        by_trace_id = (request.get("TimeRangeType") or "TraceId") == "TraceId"
        store = self._store(context)
        with self._lock:
            if request.get("NextToken"):
                traces, processed, token = _paged(store.summary_selections.next_page, request["NextToken"])
            else:
                matches = self._predicate(context, store, request.get("FilterExpression"))
                in_range = [
                    trace
                    for trace in store.traces.values()
                    if (start <= trace.id_time <= end if by_trace_id else trace.start <= end and trace.end >= start)
                ]
                selected = sorted((t for t in in_range if matches(t)), key=lambda t: t.start, reverse=True)
                traces, processed, token = store.summary_selections.first_page(selected, len(in_range))
            summaries = [trace.summary() for trace in traces]
        response = {
            "TraceSummaries": summaries,
            "ApproximateTime": _time(time.time()),
            "TracesProcessedCount": processed,
        }
        return _with_token(response, token)

    @handler("GetServiceGraph", expand=False)
    def get_service_graph(self, context: RequestContext, request: dict):
        start, end = self._time_range(request)
        store = self._store(context)
        with self._lock:
            group = None
            if request.get("GroupName") or request.get("GroupARN"):
                group = self._find_group(context, store, request.get("GroupName"), request.get("GroupARN"))
            matches = self._predicate(context, store, group.get("FilterExpression") if group else None)
            traces = [t for t in store.traces.values() if t.start <= end and t.end >= start and matches(t)]
            services = graph.service_graph(traces)
        return {
            "StartTime": _time(start),
            "EndTime": _time(end),
            "Services": services,
            "ContainsOldGroupVersions": False,
        }

    @handler("GetTraceGraph", expand=False)
    def get_trace_graph(self, context: RequestContext, request: dict):
        store = self._store(context)
        with self._lock:
            traces = [store.traces[i] for i in request.get("TraceIds") or [] if i in store.traces]
            return {"Services": graph.service_graph(traces)}

    @handler("PutTelemetryRecords", expand=False)
    def put_telemetry_records(self, context: RequestContext, request: dict):
        # The daemon reports its own health here; kept (briefly) for the curious.
        store = self._store(context)
        with self._lock:
            store.telemetry_records.extend(request.get("TelemetryRecords") or [])
            del store.telemetry_records[:-MAX_TELEMETRY_RECORDS]
        return {}

    def _time_range(self, request: dict) -> tuple[float, float]:
        start, end = _epoch(request["StartTime"]), _epoch(request["EndTime"])
        if start >= end:
            raise invalid_request("StartTime must be before EndTime")
        return start, end

    def _predicate(self, context: RequestContext, store: XRayStore, expression: str | None):
        """Whether a trace matches a filter expression (every trace, without one: no need to
        work out its view then)."""
        if not expression:
            return lambda trace: True

        def resolve_group(kind: str, value: str) -> str | None:
            try:
                group = self._find_group(
                    context, store, value if kind == "name" else None, value if kind == "arn" else None
                )
            except CommonServiceException:
                raise filters.FilterError(f"There is no group {value!r}") from None
            return group.get("FilterExpression")

        try:
            matches_view = filters.parse(expression, resolve_group)
        except filters.FilterError as error:
            raise invalid_request(f"Invalid filter expression: {error}") from None
        return lambda trace: matches_view(trace.view())

    # --- Groups ---

    def _default_group(self, context: RequestContext) -> dict:
        return {
            "GroupName": DEFAULT_GROUP,
            "GroupARN": f"arn:aws:xray:{context.region}:{context.account_id}:group/{DEFAULT_GROUP}",
            "InsightsConfiguration": {"InsightsEnabled": False, "NotificationsEnabled": False},
        }

    def _find_group(self, context, store: XRayStore, name: str | None, arn: str | None) -> dict:
        if not name and not arn:
            raise invalid_request("Give GroupName or GroupARN")
        for group in [self._default_group(context), *store.groups.values()]:
            if (name and group["GroupName"] == name) or (arn and group["GroupARN"] == arn):
                return group
        raise invalid_request("Group not found")

    def _checked_expression(self, context, store, expression: str | None) -> str | None:
        if expression is not None:
            self._predicate(context, store, expression)
        return expression

    @handler("CreateGroup", expand=False)
    def create_group(self, context: RequestContext, request: dict):
        name = request.get("GroupName")
        if not isinstance(name, str) or not GROUP_NAME.fullmatch(name) or name == DEFAULT_GROUP:
            raise invalid_request("GroupName must be 1 to 32 letters, digits, '-' or '_', and not Default")
        store = self._store(context)
        with self._lock:
            if name in store.groups:
                raise invalid_request(f"Group {name} already exists")
            group = {
                "GroupName": name,
                "GroupARN": f"arn:aws:xray:{context.region}:{context.account_id}:group/{name}/{uuid.uuid4().hex}",
                "InsightsConfiguration": {
                    "InsightsEnabled": False,
                    "NotificationsEnabled": False,
                    **(request.get("InsightsConfiguration") or {}),
                },
            }
            expression = self._checked_expression(context, store, request.get("FilterExpression"))
            if expression:
                group["FilterExpression"] = expression
            store.groups[name] = group
            changed()
            return {"Group": dict(group)}

    @handler("GetGroup", expand=False)
    def get_group(self, context: RequestContext, request: dict):
        with self._lock:
            group = self._find_group(context, self._store(context), request.get("GroupName"), request.get("GroupARN"))
            return {"Group": dict(group)}

    @handler("GetGroups", expand=False)
    def get_groups(self, context: RequestContext, request: dict):
        store = self._store(context)
        with self._lock:
            groups = [self._default_group(context), *(store.groups[name] for name in sorted(store.groups))]
            page, token = _page([dict(group) for group in groups], request.get("NextToken"))
        return _with_token({"Groups": page}, token)

    @handler("UpdateGroup", expand=False)
    def update_group(self, context: RequestContext, request: dict):
        store = self._store(context)
        with self._lock:
            group = self._find_group(context, store, request.get("GroupName"), request.get("GroupARN"))
            if group["GroupName"] == DEFAULT_GROUP:
                raise invalid_request("The Default group cannot change")
            expression = self._checked_expression(context, store, request.get("FilterExpression"))
            if expression is not None:
                group["FilterExpression"] = expression
            if request.get("InsightsConfiguration"):
                group["InsightsConfiguration"].update(request["InsightsConfiguration"])
            changed()
            return {"Group": dict(group)}

    @handler("DeleteGroup", expand=False)
    def delete_group(self, context: RequestContext, request: dict):
        store = self._store(context)
        with self._lock:
            group = self._find_group(context, store, request.get("GroupName"), request.get("GroupARN"))
            if group["GroupName"] == DEFAULT_GROUP:
                raise invalid_request("The Default group cannot be deleted")
            del store.groups[group["GroupName"]]
            changed()
        return {}

    # --- Sampling ---

    @staticmethod
    def _rule_record(record: dict) -> dict:
        return {
            "SamplingRule": dict(record["SamplingRule"]),
            "CreatedAt": _time(record["CreatedAt"]),
            "ModifiedAt": _time(record["ModifiedAt"]),
        }

    def _find_rule(self, store: XRayStore, name: str | None, arn: str | None) -> dict:
        for record in store.sampling_rules.values():
            rule = record["SamplingRule"]
            if (name and rule["RuleName"] == name) or (arn and rule["RuleARN"] == arn):
                return record
        raise invalid_request("Sampling rule not found" if name or arn else "Give RuleName or RuleARN")

    @handler("CreateSamplingRule", expand=False)
    def create_sampling_rule(self, context: RequestContext, request: dict):
        try:
            rule = sampling.validate_rule(request.get("SamplingRule") or {})
        except sampling.RuleError as error:
            raise invalid_request(error.message) from None
        store = self._store(context)
        with self._lock:
            if rule["RuleName"] in store.sampling_rules:
                raise invalid_request(f"Sampling rule {rule['RuleName']} already exists")
            if len(store.sampling_rules) > sampling.MAX_RULES:
                raise CommonServiceException(
                    "RuleLimitExceededException",
                    f"At most {sampling.MAX_RULES} sampling rules besides Default",
                    status_code=400,
                    sender_fault=True,
                )
            rule["RuleARN"] = sampling.rule_arn(context.region, context.account_id, rule["RuleName"])
            now = time.time()
            record = store.sampling_rules[rule["RuleName"]] = {
                "SamplingRule": rule,
                "CreatedAt": now,
                "ModifiedAt": now,
            }
            store.last_rule_modification = now
            changed()
            return {"SamplingRuleRecord": self._rule_record(record)}

    @handler("GetSamplingRules", expand=False)
    def get_sampling_rules(self, context: RequestContext, request: dict):
        store = self._store(context)
        with self._lock:
            records = sorted(
                store.sampling_rules.values(),
                key=lambda r: (r["SamplingRule"]["Priority"], r["SamplingRule"]["RuleName"]),
            )
            page, token = _page([self._rule_record(r) for r in records], request.get("NextToken"))
        return _with_token({"SamplingRuleRecords": page}, token)

    @handler("UpdateSamplingRule", expand=False)
    def update_sampling_rule(self, context: RequestContext, request: dict):
        update = request.get("SamplingRuleUpdate") or {}
        store = self._store(context)
        with self._lock:
            record = self._find_rule(store, update.get("RuleName"), update.get("RuleARN"))
            try:
                record["SamplingRule"] = sampling.apply_update(record["SamplingRule"], update)
            except sampling.RuleError as error:
                raise invalid_request(error.message) from None
            record["ModifiedAt"] = store.last_rule_modification = time.time()
            changed()
            return {"SamplingRuleRecord": self._rule_record(record)}

    @handler("DeleteSamplingRule", expand=False)
    def delete_sampling_rule(self, context: RequestContext, request: dict):
        store = self._store(context)
        with self._lock:
            record = self._find_rule(store, request.get("RuleName"), request.get("RuleARN"))
            name = record["SamplingRule"]["RuleName"]
            if name == sampling.DEFAULT_RULE_NAME:
                raise invalid_request("The Default rule cannot be deleted")
            del store.sampling_rules[name]
            store.sampling_targets.forget(name)
            store.last_rule_modification = time.time()
            changed()
            return {"SamplingRuleRecord": self._rule_record(record)}

    @handler("GetSamplingTargets", expand=False)
    def get_sampling_targets(self, context: RequestContext, request: dict):
        store = self._store(context)
        with self._lock:
            rules = {name: record["SamplingRule"] for name, record in store.sampling_rules.items()}
            targets, unprocessed = store.sampling_targets.report(
                request.get("SamplingStatisticsDocuments") or [], rules
            )
            last_modification = store.last_rule_modification
        for target in targets:
            target["ReservoirQuotaTTL"] = _time(target["ReservoirQuotaTTL"])
        return {
            "SamplingTargetDocuments": targets,
            "LastRuleModification": _time(last_modification),
            "UnprocessedStatistics": unprocessed,
        }

    @handler("GetSamplingStatisticSummaries", expand=False)
    def get_sampling_statistic_summaries(self, context: RequestContext, request: dict):
        store = self._store(context)
        with self._lock:
            summaries = [
                {
                    "RuleName": name,
                    **{k: v for k, v in totals.items() if k != "Timestamp"},
                    "Timestamp": _time(totals["Timestamp"]),
                }
                for name, totals in sorted(store.sampling_targets.statistics.items())
            ]
        return {"SamplingStatisticSummaries": summaries}
