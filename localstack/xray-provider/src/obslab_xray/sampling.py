"""Sampling rules and targets, so the X-Ray SDKs' centralized sampling (through the daemon)
follows rules created with the API. Plain Python, no LocalStack imports.

Semantics, as X-Ray documents them: a matching request is sampled while the rule's reservoir
(ReservoirSize requests per second) lasts, then with probability FixedRate. The reservoir is
shared by the clients (SDK instances) using the rule: GetSamplingTargets gives each client that
reported in the last interval an equal share as its ReservoirQuota, valid for one interval.
(AWS also lends an unused share; this lab does not.) LastRuleModification tells the SDKs to
fetch the rules again, so a change takes effect within one target interval.
"""

import re
import time

TARGET_INTERVAL_SECONDS = 10
# A client that has not reported for this long no longer shares the reservoir.
CLIENT_EXPIRY_SECONDS = 2 * TARGET_INTERVAL_SECONDS
MAX_RULES = 25
DEFAULT_RULE_NAME = "Default"
RULE_NAME = re.compile(r"[A-Za-z0-9_-]{1,32}")
_WILDCARD_FIELDS = {  # field -> maximum length
    "ServiceName": 64,
    "ServiceType": 64,
    "Host": 64,
    "HTTPMethod": 10,
    "URLPath": 128,
    "ResourceARN": 500,
}


class RuleError(ValueError):
    def __init__(self, message: str, code: str = "InvalidRequestException"):
        super().__init__(message)
        self.code = code
        self.message = message


def rule_arn(region: str, account: str, name: str) -> str:
    return f"arn:aws:xray:{region}:{account}:sampling-rule/{name}"


def default_rule(region: str, account: str) -> dict:
    rule = {
        "RuleName": DEFAULT_RULE_NAME,
        "Priority": 10000,
        "FixedRate": 0.05,
        "ReservoirSize": 1,
        "Version": 1,
        "Attributes": {},
        **{field: "*" for field in _WILDCARD_FIELDS},
    }
    rule["RuleARN"] = rule_arn(region, account, DEFAULT_RULE_NAME)
    return rule


def validate_rule(rule: dict) -> dict:
    """A complete rule for CreateSamplingRule, or RuleError naming what is wrong."""
    name = rule.get("RuleName")
    if not isinstance(name, str) or not RULE_NAME.fullmatch(name):
        raise RuleError("RuleName must be 1 to 32 letters, digits, '-' or '_'")
    if name == DEFAULT_RULE_NAME:
        raise RuleError("The Default rule exists already; update it instead")
    if rule.get("Version") != 1:
        raise RuleError("Version must be 1")
    for field, max_length in _WILDCARD_FIELDS.items():
        value = rule.get(field)
        if not isinstance(value, str) or not 1 <= len(value) <= max_length:
            raise RuleError(f"{field} must be a string of 1 to {max_length} characters (* matches everything)")
    _check_numbers(rule, required=True)
    return {**rule, "Attributes": dict(rule.get("Attributes") or {})}


def apply_update(rule: dict, update: dict) -> dict:
    """The rule after an UpdateSamplingRule (fields not given stay as they are)."""
    changed = {key: value for key, value in update.items() if key not in ("RuleName", "RuleARN") and value is not None}
    for field, max_length in _WILDCARD_FIELDS.items():
        if field in changed and (not isinstance(changed[field], str) or not 1 <= len(changed[field]) <= max_length):
            raise RuleError(f"{field} must be a string of 1 to {max_length} characters")
    _check_numbers(changed, required=False)
    if rule["RuleName"] == DEFAULT_RULE_NAME and set(changed) - {"FixedRate", "ReservoirSize"}:
        raise RuleError("Only FixedRate and ReservoirSize of the Default rule can change")
    return {**rule, **changed}


def _check_numbers(rule: dict, required: bool) -> None:
    checks = (
        ("Priority", lambda v: isinstance(v, int) and 1 <= v <= 9999, "Priority must be an integer from 1 to 9999"),
        ("FixedRate", lambda v: isinstance(v, (int, float)) and 0 <= v <= 1, "FixedRate must be from 0 to 1"),
        ("ReservoirSize", lambda v: isinstance(v, int) and v >= 0, "ReservoirSize must be an integer of at least 0"),
    )
    for field, valid, message in checks:
        if field in rule or required:
            value = rule.get(field)
            if isinstance(value, bool) or not valid(value):
                raise RuleError(message)


def share(reservoir: int, clients: list[str], client: str) -> int:
    """client's part of the reservoir: equal parts, the remainder going to the first clients,
    so that the parts add up to the reservoir exactly."""
    base, remainder = divmod(reservoir, len(clients))
    return base + (1 if clients.index(client) < remainder else 0)


class Targets:
    """Per-rule client registry and statistics, for GetSamplingTargets and
    GetSamplingStatisticSummaries."""

    def __init__(self):
        self.clients: dict[str, dict[str, float]] = {}  # rule -> client id -> last report
        self.statistics: dict[str, dict] = {}  # rule -> totals of the current window

    def report(self, documents: list[dict], rules: dict[str, dict], now: float | None = None):
        """Record the clients' statistics; return (targets, unprocessed)."""
        now = time.time() if now is None else now
        targets, unprocessed = [], []
        for document in documents:
            name, client = document.get("RuleName"), document.get("ClientID")
            if name not in rules:
                unprocessed.append({"RuleName": name, "ErrorCode": "400", "Message": "Unknown rule"})
                continue
            seen = self.clients.setdefault(name, {})
            seen[client] = now
            for other, last in list(seen.items()):
                if now - last > CLIENT_EXPIRY_SECONDS:
                    del seen[other]
            totals = self.statistics.setdefault(
                name, {"RequestCount": 0, "SampledCount": 0, "BorrowCount": 0, "Timestamp": now}
            )
            for key in ("RequestCount", "SampledCount", "BorrowCount"):
                totals[key] += int(document.get(key) or 0)
            rule = rules[name]
            targets.append(
                {
                    "RuleName": name,
                    "FixedRate": rule["FixedRate"],
                    "ReservoirQuota": share(rule["ReservoirSize"], sorted(seen), client),
                    "ReservoirQuotaTTL": now + TARGET_INTERVAL_SECONDS,
                    "Interval": TARGET_INTERVAL_SECONDS,
                }
            )
        return targets, unprocessed

    def forget(self, rule_name: str) -> None:
        self.clients.pop(rule_name, None)
        self.statistics.pop(rule_name, None)
