"""Fault knobs, HotROD-style: added latency and an error rate per route, to make slow and
failing traces on purpose. Off by default.

At start they come from the FAULTS environment variable, entries separated by ';':

    FAULTS="/api/activities/home delay_ms=300 error_rate=0.2; * delay_ms=50"

The route is the Flask rule as written in the code (e.g. /api/activities/@<handle>), or * for
every route. At run time, /admin/faults shows (GET), sets (PUT, one route per call) and clears
(DELETE) them. The state lives in the process; the lab runs one gunicorn worker per service.
"""

import random
import threading
import time
from dataclasses import asdict, dataclass

from flask import Blueprint, Flask, jsonify, request
from opentelemetry import trace

from obslab_common.errors import ApiError, invalid, json_body

MAX_DELAY_MS = 30_000
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


def parse_spec(spec: str) -> dict[str, Fault]:
    """Faults from the FAULTS syntax; raises ValueError with the offending entry."""
    faults = {}
    for entry in filter(None, (part.strip() for part in spec.split(";"))):
        route, *settings = entry.split()
        try:
            fields = dict(setting.split("=", 1) for setting in settings)
            unknown = set(fields) - {"delay_ms", "error_rate"}
            if unknown:
                raise ValueError(f"unknown setting {sorted(unknown)}")
            faults[route] = parse_fault(fields)
        except (ValueError, ApiError) as error:
            detail = ", ".join(error.codes) if isinstance(error, ApiError) else str(error)
            raise ValueError(f"FAULTS entry {entry!r}: {detail}") from None
    return faults


class FaultKnobs:
    def __init__(self, spec: str = "", chance=random.random, sleep=time.sleep):
        self._faults = parse_spec(spec)
        self._lock = threading.Lock()
        self._chance = chance
        self._sleep = sleep

    def snapshot(self) -> dict[str, dict]:
        with self._lock:
            return {route: asdict(fault) for route, fault in sorted(self._faults.items())}

    def set(self, route: str, fault: Fault) -> None:
        with self._lock:
            if fault == Fault():
                self._faults.pop(route, None)
            else:
                self._faults[route] = fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def for_route(self, route: str) -> Fault | None:
        with self._lock:
            return self._faults.get(route) or self._faults.get("*")

    def apply(self, route: str) -> None:
        """Delay and maybe fail the current request, marking the server span with what was done."""
        if route in EXEMPT_ROUTES:
            return
        fault = self.for_route(route)
        if fault is None:
            return
        span = trace.get_current_span()
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
                self.apply(request.url_rule.rule)

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
            self.set(route, parse_fault(body))
            return jsonify(faults=self.snapshot())

        @admin.delete("/admin/faults")
        def clear():
            self.clear()
            return jsonify(faults=self.snapshot())

        app.register_blueprint(admin)
