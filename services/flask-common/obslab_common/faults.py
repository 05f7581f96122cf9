"""Fault knobs, HotROD-style: added latency and an error rate per route, to make slow and
failing traces on purpose. Off by default.

At start they come from the FAULTS environment variable, entries separated by ';':

    FAULTS="/api/activities/home delay_ms=300 error_rate=0.2; * delay_ms=50"
    FAULTS="/users/@<handle>?handle=garek delay_ms=200"

The route is the Flask rule as written in the code (e.g. /api/activities/@<handle>), or * for
every route. After a '?', the values the route's parameters must have: then only those requests
are touched (one user's lookups, say), so that a cause hides in an attribute as in real
incidents (such a knob leaves no app.fault.* mark on the span). A request takes the knob of its
route that names the most of its parameters, else the route's own, else *. At run time,
/admin/faults shows (GET), sets (PUT, one knob per call: {"route", "params", "delay_ms",
"error_rate"}) and clears (DELETE) them; GET names each knob as FAULTS does. The state lives
in the process; the lab runs one gunicorn worker per service.
"""

import random
import threading
import time
from dataclasses import asdict, dataclass

from flask import Blueprint, Flask, jsonify, request
from opentelemetry import trace

from obslab_common.errors import ApiError, invalid, json_body

MAX_DELAY_MS = 30_000
MAX_KNOBS = 100  # knobs set at once: each request scans them all
MAX_PARAMS = 10  # parameters a knob names
MAX_PARAM_CHARS = 200
# Never slowed down or failed: the knobs themselves and the container health check.
EXEMPT_ROUTES = ("/admin/faults", "/health")


@dataclass(frozen=True)
class Fault:
    delay_ms: int = 0
    error_rate: float = 0.0


def _in_range(value, kind, low, high):
    """value converted with kind if it lies in [low, high], else None (booleans are not numbers)."""
    if isinstance(value, bool):
        return None
    try:
        number = kind(value)
    except (TypeError, ValueError):
        return None
    return number if low <= number <= high else None


def parse_fault(fields: dict) -> Fault:
    """A Fault from untrusted values; raises ApiError(422) naming the bad fields."""
    delay = _in_range(fields.get("delay_ms", 0), int, 0, MAX_DELAY_MS)
    rate = _in_range(fields.get("error_rate", 0.0), float, 0.0, 1.0)
    errors = [code for code, value in (("delay_ms_invalid", delay), ("error_rate_invalid", rate)) if value is None]
    if errors:
        raise invalid(*errors)
    return Fault(delay_ms=delay, error_rate=rate)


Params = tuple[tuple[str, str], ...]  # (name, value) pairs, sorted


def knob_name(route: str, params: Params) -> str:
    """A knob as FAULTS and GET /admin/faults write it: the route, then ?name=value&... ."""
    return route + ("?" + "&".join(f"{name}={value}" for name, value in params) if params else "")


def parse_params(value, allowed: set[str] | None = None) -> Params:
    """Route parameters a knob matches, from untrusted input; raises ApiError(422)."""
    if value is None:
        return ()
    if not isinstance(value, dict) or len(value) > MAX_PARAMS:
        raise invalid("params_invalid")
    for name, text in value.items():
        if not isinstance(text, str) or not text or len(text) > MAX_PARAM_CHARS or any(c in text for c in "&;= "):
            raise invalid("params_invalid")
        if allowed is not None and name not in allowed:
            raise ApiError(422, "params_unknown", message=f"The route's parameters: {sorted(allowed)}")
    return tuple(sorted(value.items()))


def parse_spec(spec: str) -> dict[tuple[str, Params], Fault]:
    """Faults from the FAULTS syntax; raises ValueError with the offending entry."""
    faults = {}
    for entry in filter(None, (part.strip() for part in spec.split(";"))):
        target, *settings = entry.split()
        route, _, query = target.partition("?")
        try:
            pairs = [pair.split("=", 1) for pair in query.split("&")] if query else []
            if any(len(pair) != 2 for pair in pairs):
                raise ValueError(f"parameters {query!r}: name=value&...")
            params = parse_params(dict(pairs)) if pairs else ()
            fields = dict(setting.split("=", 1) for setting in settings)
            unknown = set(fields) - {"delay_ms", "error_rate"}
            if unknown:
                raise ValueError(f"unknown setting {sorted(unknown)}")
            faults[(route, params)] = parse_fault(fields)
        except (ValueError, ApiError) as error:
            detail = ", ".join(error.codes) if isinstance(error, ApiError) else str(error)
            raise ValueError(f"FAULTS entry {entry!r}: {detail}") from None
    if len(faults) > MAX_KNOBS:
        raise ValueError(f"FAULTS: more than {MAX_KNOBS} knobs")
    return faults


class FaultKnobs:
    def __init__(self, spec: str = "", chance=random.random, sleep=time.sleep):
        self._faults = parse_spec(spec)
        self._lock = threading.Lock()
        self._chance = chance
        self._sleep = sleep

    def snapshot(self) -> dict[str, dict]:
        with self._lock:
            return {
                knob_name(route, params): {**asdict(fault), **({"params": dict(params)} if params else {})}
                for (route, params), fault in sorted(self._faults.items())
            }

    def set(self, route: str, fault: Fault, params: Params = ()) -> None:
        with self._lock:
            if fault == Fault():
                self._faults.pop((route, params), None)
            elif (route, params) not in self._faults and len(self._faults) >= MAX_KNOBS:
                raise ApiError(422, "too_many_knobs", message=f"At most {MAX_KNOBS} knobs: DELETE clears them")
            else:
                self._faults[(route, params)] = fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def for_request(self, route: str, args: dict | None = None) -> tuple[Fault, Params] | None:
        """The knob of a request and the parameters it names: its route's that names the most of
        the request's parameters, else the route's own, else *."""
        given = {name: str(value) for name, value in (args or {}).items()}
        with self._lock:
            matching = [(fault, params) for (knob_route, params), fault in self._faults.items()
                        if knob_route == route and all(given.get(n) == v for n, v in params)]  # fmt: skip
            if matching:
                return max(matching, key=lambda pair: len(pair[1]))
            wildcard = self._faults.get(("*", ()))
            return (wildcard, ()) if wildcard else None

    def apply(self, route: str, args: dict | None = None) -> None:
        """Delay and maybe fail the current request. A route's knob marks the server span with
        what it did (app.fault.*); a knob that picks requests by their parameters does not: its
        cause is to be found in the spans' attributes, as in a real incident."""
        if route in EXEMPT_ROUTES:
            return
        found = self.for_request(route, args)
        if found is None:
            return
        fault, params = found
        span = trace.get_current_span() if not params else trace.INVALID_SPAN
        if fault.delay_ms:
            span.set_attribute("app.fault.delay_ms", fault.delay_ms)
            self._sleep(fault.delay_ms / 1000)
        if fault.error_rate and self._chance() < fault.error_rate:
            span.set_attribute("app.fault.injected_error", True)
            raise ApiError(503, "injected_fault", message=f"Fault knob on {route}: error rate {fault.error_rate}.")

    def init_app(self, app: Flask) -> None:
        @app.before_request
        def inject_faults():
            if request.url_rule is not None:
                self.apply(request.url_rule.rule, request.view_args)

        admin = Blueprint("faults_admin", __name__)

        @admin.get("/admin/faults")
        def show():
            return jsonify(faults=self.snapshot())

        @admin.put("/admin/faults")
        def set_fault():
            body = json_body()
            route = body.get("route")
            known = {rule.rule for rule in app.url_map.iter_rules()} | {"*"}
            if not isinstance(route, str) or not route.strip():
                raise invalid("route_blank")
            if route not in known or route in EXEMPT_ROUTES:
                raise ApiError(422, "route_unknown", message=f"Routes with knobs: {sorted(known - set(EXEMPT_ROUTES))}")
            arguments = {a for rule in app.url_map.iter_rules() if rule.rule == route for a in rule.arguments}
            params = parse_params(body.get("params"), arguments)
            self.set(route, parse_fault(body), params)
            return jsonify(faults=self.snapshot())

        @admin.delete("/admin/faults")
        def clear():
            self.clear()
            return jsonify(faults=self.snapshot())

        app.register_blueprint(admin)
