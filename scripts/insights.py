"""`make insights Q='stats count(*) by bin(5m)'`: ask CloudWatch Logs Insights (LocalStack, through
the lab console) from the terminal and print the table.

    GROUP=<log group>   another group than CLOUDWATCH_LOG_GROUP (several: comma-separated)
    SINCE=15m           how far back: 30s, 15m, 2h, 1d (at most a day)
    FORMAT=json         the console's whole answer

A malformed query is printed back with a caret under what CloudWatch could not read."""

import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(__file__))
from console_query import Refused, ask, text_table  # noqa: E402

from lab_env import setting  # noqa: E402

UNITS = {"s": 1 / 60, "m": 1, "h": 60, "d": 1440}
NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?")


def minutes(since: str) -> float:
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd])\s*", since)
    if not match:
        raise SystemExit(f"SINCE={since!r}: a number and a unit, such as 30s, 15m, 2h or 1d")
    return float(match.group(1)) * UNITS[match.group(2)]


def caret(query: str, location: dict) -> str:
    """The query's line that holds the error, and a caret under it."""
    start = location.get("startCharOffset", 0)
    line_start = query.rfind("\n", 0, start) + 1
    line_end = query.find("\n", start)
    line = query[line_start : line_end if line_end >= 0 else len(query)]
    width = max(1, location.get("endCharOffset", start + 1) - start)
    return f"  {line}\n  {' ' * (start - line_start)}{'^' * width}"


def main() -> int:
    query = os.environ.get("Q", "").strip() or " ".join(sys.argv[1:])
    if not query:
        print("Usage: make insights Q='filter status >= 500 | stats count(*) by route' [GROUP=...] [SINCE=1h]",
              file=sys.stderr)  # fmt: skip
        return 2
    groups = [g.strip() for g in (os.environ.get("GROUP") or setting("CLOUDWATCH_LOG_GROUP")).split(",") if g.strip()]
    url = os.environ.get("CONSOLE_URL") or f"http://127.0.0.1:{setting('CONSOLE_PORT')}"
    since = minutes(os.environ.get("SINCE") or "15m")
    try:
        answer = ask(url, f"/api/logs/insights?minutes={since:g}", {"query": query, "groups": groups})
    except Refused as refused:
        if refused.answer.get("location"):
            print(f"{refused}\n{caret(query, refused.answer['location'])}", file=sys.stderr)
            return 1
        raise
    if os.environ.get("FORMAT", "").lower() == "json":
        print(json.dumps(answer, indent=2))
        return 0
    columns, rows = answer["columns"], answer["rows"]
    numeric = [all(NUMBER.fullmatch(r[c]) for r in rows if c in r) and any(c in r for r in rows) for c in columns]
    print(text_table(columns, [[row.get(c) for c in columns] for row in rows], numeric) or "(no rows)")
    stats = answer["statistics"]
    plural = "" if len(rows) == 1 else "s"
    print(f"\n{answer['status']}: {len(rows)} row{plural}; {stats.get('recordsMatched', 0):,.0f} records matched of "
          f"{stats.get('recordsScanned', 0):,.0f} scanned ({stats.get('bytesScanned', 0) / 1024:,.1f} KiB) "
          f"in {', '.join(groups)}, the last {os.environ.get('SINCE') or '15m'}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
