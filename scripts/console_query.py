"""`make query Q='VISUALIZE ...'`: ask the lab console's span store from the terminal and print
the table (and a text heatmap for HEATMAP), or the whole answer as JSON with FORMAT=json.

`make bubbleup Q='VISUALIZE HEATMAP(duration_ms) WHERE ...' SELECT='duration_ms >= 250'`: BubbleUp
from the terminal: the fields that set the selected spans apart from the query's other spans,
most different first, with their top values' shares on each side. SELECT is a range of a
numeric field: `<field> >= <low>`, `<field> <= <high>` or `<field> <low>..<high>`."""

import json
import os
import re
import sys
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from lab_env import setting  # noqa: E402

SHADES = " ░▒▓█"


class Refused(SystemExit):
    """The console's error answer: its message is what exits, its JSON (`answer`) what callers may read."""

    def __init__(self, message: str, answer: dict):
        super().__init__(message)
        self.answer = answer


def ask(url: str, path: str, body: dict) -> dict:
    request = urllib.request.Request(f"{url}{path}", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=90) as response:
            return json.load(response)
    except urllib.error.HTTPError as error:
        try:
            answer = json.load(error)
        except ValueError:
            answer = {}
        message = answer.get("message", error.reason) if isinstance(answer, dict) else error.reason
        raise Refused(f"The console refused the query: {message}", answer if isinstance(answer, dict) else {}) from None
    except OSError as error:
        raise SystemExit(f"Cannot reach the console at {url} ({error}). Is the lab up? (make up)") from None


def cell(value) -> str:
    if isinstance(value, float):
        return f"{value:.3f}"
    return "(none)" if value is None else str(value)


def table(answer: dict) -> str:
    columns = answer["table"]["columns"]
    numeric = [i >= len(answer["query"]["group_by"]) for i in range(len(columns))]
    return text_table(columns, answer["table"]["rows"], numeric)


def text_table(columns: list[str], rows: list[list], numeric: list[bool]) -> str:
    """Columns and rows as aligned text, the numeric columns right-aligned."""
    rows = [[cell(v) for v in row] for row in rows]
    if not columns:
        return ""
    widths = [max([len(c)] + [len(row[i]) for row in rows]) for i, c in enumerate(columns)]

    def line(values):
        return "  ".join(v.rjust(w) if n else v.ljust(w) for v, w, n in zip(values, widths, numeric, strict=True))

    return "\n".join([line(columns), line(["-" * w for w in widths])] + [line(row) for row in rows])


def heatmap(label: str, data: dict, width: int = 60) -> str:
    """Rows from the largest values down, columns merged to at most `width` time buckets."""
    if not data["total"]:
        return f"{label}: no span in this range has a value"
    counts, times = data["counts"], data["times"]
    per = max(1, -(-len(times) // width))
    merged = [[sum(row[i : i + per]) for i in range(0, len(row), per)] for row in counts]
    peak = max(max(row) for row in merged) or 1
    lines = [f"{label}  ({data['total']} spans; darker = more)"]
    for index in range(len(merged) - 1, -1, -1):
        shades = "".join(SHADES[min(4, -(-c * 4 // peak))] if c else " " for c in merged[index])
        lines.append(f"{data['edges'][index + 1]:>10.3g} |{shades}|")
    lines.append(f"{data['edges'][0]:>10.3g} +{'-' * len(merged[0])}+")
    lines.append(f"{'':>11}{times[0][11:19]}{'':>{max(1, len(merged[0]) - 16)}}{times[-1][11:19]} UTC")
    return "\n".join(lines)


def selection(text: str) -> dict:
    """SELECT='duration_ms >= 250' (or <= 900, or 250..900) as BubbleUp's selection."""
    match = re.fullmatch(r"\s*(\S+)\s*(?:(>=|<=)\s*([-\d.e+]+)|\s([-\d.e+]+)\s*\.\.\s*([-\d.e+]+))\s*", text)
    if not match:
        raise SystemExit(f"SELECT={text!r}: write <field> >= <low>, <field> <= <high> or <field> <low>..<high>")
    field, op, bound, low, high = match.groups()
    try:
        if op == ">=":
            return {"field": field, "range": [float(bound), 1e300]}
        if op == "<=":
            return {"field": field, "range": [-1e300, float(bound)]}
        return {"field": field, "range": [float(low), float(high)]}
    except ValueError:
        raise SystemExit(f"SELECT={text!r}: the bounds must be numbers") from None


def bubbleup_report(answer: dict, fields: int = 10, values: int = 3) -> str:
    sampled = f" (a sample of {answer['baseline_sampled']:,})" if answer.get("baseline_sampled") else ""
    lines = [f"{answer['selected']:,} spans selected, against {answer['baseline']:,} others{sampled}.", ""]
    if not answer["fields"]:
        return lines[0] + " Nothing to compare."
    lines.append(f"{'score':>5}  {'field':<32} top values: selection share / baseline share")
    for field in answer["fields"][:fields]:
        baseline = {v["value"]: v["fraction"] for v in field["baseline"]}
        tops = ", ".join(f"{cell(v['value'])} {v['fraction']:.0%}/{baseline.get(v['value'], 0):.0%}"
                         for v in field["selection"][:values])  # fmt: skip
        lines.append(f"{field['score']:5.2f}  {field['field']:<32} {tops}")
    return "\n".join(lines)


def main() -> int:
    text = os.environ.get("Q", "").strip() or " ".join(sys.argv[1:])
    chosen = os.environ.get("SELECT", "").strip()
    if not text:
        usage = (
            "make bubbleup Q='VISUALIZE HEATMAP(duration_ms) SINCE 15m' SELECT='duration_ms >= 250'"
            if chosen
            else "make query Q='VISUALIZE P90(duration_ms), COUNT GROUP BY name SINCE 15m' [FORMAT=json]"
        )
        print(f"Usage: {usage}", file=sys.stderr)
        return 2
    url = os.environ.get("CONSOLE_URL") or f"http://127.0.0.1:{setting('CONSOLE_PORT')}"
    as_json = os.environ.get("FORMAT", "").lower() == "json"
    if chosen:
        answer = ask(url, "/api/bubbleup", {"query": {"text": text}, "selection": selection(chosen)})
        print(json.dumps(answer, indent=2) if as_json else bubbleup_report(answer))
        return 0
    answer = ask(url, "/api/query", {"text": text})
    if as_json:
        print(json.dumps(answer, indent=2))
        return 0
    print(answer["text"])
    for warning in answer["warnings"]:
        print(f"note: {warning}")
    for label, data in answer["heatmaps"].items():
        print()
        print(heatmap(label, data))
    if answer["table"]["columns"]:
        print()
        print(table(answer))
    return 0


if __name__ == "__main__":
    sys.exit(main())
