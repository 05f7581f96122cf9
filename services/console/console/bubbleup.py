"""BubbleUp, as Honeycomb has it: which field values set a selection of spans apart.

The query's spans (its WHERE and time range) are split in two: the selection (what a span list
narrows to: a range of a numeric field, optionally within a time window, as a heatmap region
gives it; or a group of the results table) and the baseline (the query's other spans). For every
field, the distribution of its values in each is compared:

- text and boolean fields, and numbers with few distinct values: the share of each of the
  field's top values (the rest as "(other)", spans without the field as "(none)");
- other numbers: the share of each of a histogram's bins, the same bins for both sides.

A field's score is the total variation distance between the two distributions (half the sum of
the differences of the shares: 0 when they are alike, 1 when no value is shared), and fields come
ranked by it. Ids and times are left out (every span differs there), and so are the fields that
make the selection (they differ by construction).

Each typed column is read by a statement of its own, and the attribute maps by three statements
for all their keys (text values, the numbers' ranges, their counts).
When the query covers more spans than SAMPLE_ABOVE, the baseline is a sample of them (by a hash
of the span id; the selection is always read whole), as Honeycomb samples: shares do not need
every span.
"""

import math
from typing import Any

from console import query as q
from console.otlp import FIXED_FIELDS
from console.store import MAPS, SpanStore, quote

SKIPPED = {"timestamp", "trace.trace_id", "trace.span_id", "trace.parent_id"}
TOP_VALUES = 10
BINS = 16
FEW_DISTINCT = 12  # numbers with at most this many values are compared value by value
SAMPLE_ABOVE = 400_000
MAX_FIELDS = 200  # attribute keys compared of each kind (text, number), in the catalogue's order
MAX_VALUE_CHARS = 200  # values are shown, not stored: cut long ones
# How many of a group's spans are in the selection, and how many in the baseline.
SIDES = "count(*) FILTER (WHERE _selected), count(*) FILTER (WHERE NOT _selected)"


def _selection(plan: q.Plan, selection: Any) -> tuple[str, list, set[str]]:
    """The selection as a SQL condition (with its parameters) and the fields that make it: what
    narrows a span list (query.narrowing), with a group or a field's range at least."""
    if not isinstance(selection, dict) or (selection.get("group") is None and selection.get("field") is None):
        raise q.QueryError('selection: {"field": ..., "range": [low, high]} or {"group": {...}}')
    conditions, making = q.narrowing(plan, selection, "selection")
    return " AND ".join(f"({sql})" for sql, _ in conditions), [v for _, params in conditions for v in params], making


def _tvd(selection: dict, baseline: dict, totals: tuple[int, int]) -> float:
    if not totals[0] or not totals[1]:
        return 0.0
    keys = set(selection) | set(baseline)
    return 0.5 * sum(abs(selection.get(k, 0) / totals[0] - baseline.get(k, 0) / totals[1]) for k in keys)


def _shares(counts: dict, total: int, order: list) -> list[dict]:
    return [{"value": value, "fraction": (counts.get(value, 0) / total) if total else 0.0} for value in order]


def _text(value: Any) -> Any:
    if isinstance(value, str) and len(value) > MAX_VALUE_CHARS:
        return value[:MAX_VALUE_CHARS] + "…"
    return value


def _categorical(name: str, rows: list[tuple], totals: tuple[int, int]) -> dict:
    """rows: (value, in selection, in baseline); spans without the field are "(none)"."""
    # The values common on either side, then shown the selection's most common first.
    share = [(r[1] / totals[0] if totals[0] else 0.0, r[2] / totals[1] if totals[1] else 0.0) for r in rows]
    ranked = sorted(range(len(rows)), key=lambda i: (-max(share[i]), str(rows[i][0])))
    kept = sorted(ranked[:TOP_VALUES], key=lambda i: (-share[i][0], -share[i][1], str(rows[i][0])))
    top, rest = [rows[i] for i in kept], [rows[i] for i in ranked[TOP_VALUES:]]
    selection = {_text(v): s for v, s, _ in top}
    baseline = {_text(v): b for v, _, b in top}
    order = list(selection)
    if rest:
        selection["(other)"] = sum(r[1] for r in rest)
        baseline["(other)"] = sum(r[2] for r in rest)
        order.append("(other)")
    none = (totals[0] - sum(r[1] for r in rows), totals[1] - sum(r[2] for r in rows))
    if none[0] or none[1]:
        selection["(none)"], baseline["(none)"] = none
        order.append("(none)")
    return {"field": name, "kind": "values", "score": round(_tvd(selection, baseline, totals), 4),
            "selection": _shares(selection, totals[0], order),
            "baseline": _shares(baseline, totals[1], order)}  # fmt: skip


def _edges(low: float, high: float) -> tuple[list[float], bool]:
    """BINS bins from low to high: log-spaced when the values spread over orders of magnitude."""
    if high <= low:
        return [low, low + 1], False
    if low > 0 and high / low > 50:
        step = math.log(high / low) / BINS
        return [low * math.exp(step * i) for i in range(BINS + 1)], True
    step = (high - low) / BINS
    return [low + step * i for i in range(BINS + 1)], False


def _bucket_sql(value: str, low: str, step: str, logarithmic: str) -> str:
    """The bin of a value as SQL, from its bins' first edge, step and scale (SQL expressions)."""
    raw = (f"CASE WHEN {logarithmic} THEN floor(ln(greatest({value}, {low}) / {low}) / {step}) "
           f"ELSE floor(({value} - {low}) / {step}) END")  # fmt: skip
    return f"least({BINS - 1}, greatest(0, CAST({raw} AS INTEGER)))"


def _step(edges: list[float], logarithmic: bool) -> float:
    return math.log(edges[1] / edges[0]) if logarithmic else edges[1] - edges[0]


def _histogram(name: str, bins: list[tuple], edges: list[float], totals: tuple[int, int]) -> dict:
    """bins: (bin index, in selection, in baseline); spans without the field are "(none)"."""
    selection = {b: s for b, s, _ in bins}
    baseline = {b: n for b, _, n in bins}
    labels = [f"{edges[i]:.4g} – {edges[i + 1]:.4g}" for i in range(len(edges) - 1)]
    keyed_selection = {labels[b]: c for b, c in selection.items() if 0 <= b < len(labels)}
    keyed_baseline = {labels[b]: c for b, c in baseline.items() if 0 <= b < len(labels)}
    none = (totals[0] - sum(selection.values()), totals[1] - sum(baseline.values()))
    order = list(labels)
    if none[0] or none[1]:
        keyed_selection["(none)"], keyed_baseline["(none)"] = none
        order.append("(none)")
    return {"field": name, "kind": "histogram", "edges": edges,
            "score": round(_tvd(keyed_selection, keyed_baseline, totals), 4),
            "selection": _shares(keyed_selection, totals[0], order),
            "baseline": _shares(keyed_baseline, totals[1], order)}  # fmt: skip


def bubbleup(store: SpanStore, query: q.Query, selection: Any) -> dict:
    plan = q.plan(query, store.fields(), store.now(), store.retention)
    chosen, chosen_params, making = _selection(plan, selection)
    where, params = q._where(plan)
    [(total, selected)] = store.query(f"SELECT count(*), count(*) FILTER (WHERE {chosen}) FROM spans WHERE {where}",
                                      chosen_params + params)[1]  # fmt: skip
    baseline_total = total - selected
    # The baseline sampled when large: each of its spans kept with the same chance.
    keep = min(1.0, SAMPLE_ABOVE / baseline_total) if baseline_total else 1.0
    # Sampled by a hash of the span id, not at random: every statement below sees the same spans.
    population = (f"SELECT *, coalesce(({chosen}), false) AS _selected FROM spans WHERE {where} "
                  f"AND (coalesce(({chosen}), false) OR hash({quote('trace.span_id')}) % 1000000 < ?)")  # fmt: skip
    population_params = chosen_params + params + chosen_params + [int(keep * 1_000_000)]
    [(sampled_selected, sampled_baseline)] = store.query(
        f"SELECT count(*) FILTER (WHERE _selected), count(*) FILTER (WHERE NOT _selected) FROM ({population})",
        population_params,
    )[1]
    totals = (sampled_selected, sampled_baseline)
    fields = []
    if totals[0] and totals[1]:
        fields = _fixed_fields(store, plan, population, population_params, totals, making)
        fields += _attribute_fields(store, plan, population, population_params, totals, making)
    fields.sort(key=lambda f: (-f["score"], f["field"]))
    return {
        "query": query.to_json(),
        "selected": selected,
        "baseline": baseline_total,
        "baseline_sampled": sampled_baseline if keep < 1 else None,
        "warnings": plan.warnings,
        "fields": fields,
    }


def _fixed_fields(store, plan, population, params, totals, making) -> list[dict]:
    found = []
    for name, kind in FIXED_FIELDS.items():
        if name in SKIPPED or name in making:
            continue
        column = quote(name)
        if kind in q.NUMERIC_TYPES and kind != "INTEGER":
            found.append(_numeric(store, name, column, population, params, totals))
            continue
        rows = store.query(f"SELECT {column}, {SIDES} FROM ({population}) WHERE {column} IS NOT NULL GROUP BY 1",
                           params)[1]  # fmt: skip
        found.append(_categorical(name, rows, totals))
    return found


def _numeric(store, name, column, population, params, totals) -> dict:
    [(low, high, distinct)] = store.query(
        f"SELECT min({column}), max({column}), approx_count_distinct({column}) FROM ({population})", params
    )[1]
    if low is None:
        return _categorical(name, [], totals)
    if distinct <= FEW_DISTINCT:
        rows = store.query(f"SELECT {column}, {SIDES} FROM ({population}) WHERE {column} IS NOT NULL GROUP BY 1",
                           params)[1]  # fmt: skip
        return _categorical(name, rows, totals)
    edges, logarithmic = _edges(float(low), float(high))
    bucket = _bucket_sql(column, "?", "?", "?")
    bins = store.query(f"SELECT {bucket} AS b, {SIDES} FROM ({population}) WHERE {column} IS NOT NULL GROUP BY b",
                       [logarithmic, edges[0], edges[0], _step(edges, logarithmic), edges[0], _step(edges, logarithmic)]
                       + params)[1]  # fmt: skip
    return _histogram(name, bins, edges, totals)


def _attribute_fields(store, plan, population, params, totals, making) -> list[dict]:
    """Every attribute key the query's spans have, by its catalogue type: text and booleans value by
    value (one statement for all keys), numbers as histograms (two statements for all keys)."""
    text_keys = [k for k, kind in plan.fields.items() if k not in FIXED_FIELDS and kind in ("VARCHAR", "BOOLEAN")]
    number_keys = [k for k, kind in plan.fields.items() if k not in FIXED_FIELDS and kind in q.NUMERIC_TYPES]
    text_keys = [k for k in text_keys if k not in making][:MAX_FIELDS]
    number_keys = [k for k in number_keys if k not in making][:MAX_FIELDS]
    found = []
    if text_keys:
        pairs = " UNION ALL ".join(
            f"SELECT _selected, unnest(map_keys({column})) AS k, CAST(unnest(map_values({column})) AS VARCHAR) AS v "
            f"FROM population" for column in (MAPS["VARCHAR"], MAPS["BOOLEAN"], MAPS["BIGINT"], MAPS["DOUBLE"])
        )  # fmt: skip
        rows = store.query(
            f"WITH population AS ({population}), kv AS ({pairs}) "
            f"SELECT k, v, {SIDES} FROM kv WHERE k IN (SELECT unnest(?)) GROUP BY k, v",
            params + [text_keys],
        )[1]
        by_key: dict[str, list] = {k: [] for k in text_keys}
        for key, value, s, b in rows:
            by_key[key].append((value, s, b))
        found += [_categorical(key, values, totals) for key, values in by_key.items() if values]
    if number_keys:
        numbers = " UNION ALL ".join(
            f"SELECT _selected, unnest(map_keys({column})) AS k, CAST(unnest(map_values({column})) AS DOUBLE) AS x "
            f"FROM population" for column in (MAPS["BIGINT"], MAPS["DOUBLE"])
        )  # fmt: skip
        base = f"WITH population AS ({population}), kx AS ({numbers}) "
        ranges = store.query(
            base
            + "SELECT k, min(x), max(x), approx_count_distinct(x) FROM kx WHERE k IN (SELECT unnest(?)) GROUP BY k",
            params + [number_keys],
        )[1]
        few = [key for key, _, _, distinct in ranges if distinct <= FEW_DISTINCT]
        spread = {
            key: _edges(float(low), float(high)) for key, low, high, distinct in ranges if distinct > FEW_DISTINCT
        }
        if few:
            rows = store.query(base + f"SELECT k, x, {SIDES} FROM kx WHERE k IN (SELECT unnest(?)) GROUP BY k, x",
                               params + [few])[1]  # fmt: skip
            values: dict[str, list] = {key: [] for key in few}
            for key, x, s, b in rows:
                values[key].append((_plain(x), s, b))
            found += [_categorical(key, counted, totals) for key, counted in values.items()]
        if spread:
            keys = list(spread)
            bins_of = "SELECT unnest(?) AS k, unnest(?) AS lo, unnest(?) AS step, unnest(?) AS logarithmic"
            rows = store.query(
                base + f", bins AS ({bins_of}) SELECT k, {_bucket_sql('x', 'lo', 'step', 'logarithmic')} AS b, "
                f"{SIDES} FROM kx JOIN bins USING (k) GROUP BY k, b",
                params + [keys, [spread[k][0][0] for k in keys], [_step(*spread[k]) for k in keys],
                          [spread[k][1] for k in keys]],
            )[1]  # fmt: skip
            bins: dict[str, list] = {key: [] for key in keys}
            for key, b, s, n in rows:
                bins[key].append((b, s, n))
            found += [_histogram(key, counted, spread[key][0], totals) for key, counted in bins.items()]
    return found


def _plain(number: float) -> float | int:
    return int(number) if float(number).is_integer() else number
