"""Memory of each container over a run, as an SVG picture (no plotting library needed): one
small chart per container, anonymous memory as a solid line, RSS (with mapped files) dashed,
the warm-up shaded. `soak.py` draws one for every soak; to draw one again from its samples:

    python scripts/memory_chart.py reports/locust/soak-<time>_memory.csv [--warmup MINUTES]
"""

import argparse
import csv
from html import escape
from pathlib import Path

from footprint import MIB, Memory

WIDTH, HEIGHT, COLUMNS = 300, 150, 3
# The saved samples' memory columns, one per field of footprint.Memory.
COLUMNS_MIB = [f"{part}_mib" for part in Memory._fields]
MARGIN = {"left": 44, "right": 10, "top": 24, "bottom": 22}


def _panel(service: str, points: list[tuple[float, Memory]], warmup_s: float, end_s: float) -> str:
    plot_w = WIDTH - MARGIN["left"] - MARGIN["right"]
    plot_h = HEIGHT - MARGIN["top"] - MARGIN["bottom"]
    top = max(m.rss for _, m in points) / MIB * 1.1 or 1.0

    def x(seconds: float) -> float:
        return MARGIN["left"] + plot_w * seconds / (end_s or 1)

    def y(mib: float) -> float:
        return MARGIN["top"] + plot_h * (1 - mib / top)

    def line(part: str) -> str:
        return " ".join(f"{x(t):.1f},{y(getattr(m, part) / MIB):.1f}" for t, m in points)

    bottom = MARGIN["top"] + plot_h
    return "\n".join([
        f'<rect x="{x(0):.1f}" y="{MARGIN["top"]}" width="{x(min(warmup_s, end_s)) - x(0):.1f}" '
        f'height="{plot_h}" fill="#eee"/>',
        f'<line x1="{x(0)}" y1="{bottom}" x2="{x(end_s):.1f}" y2="{bottom}" stroke="#999"/>',
        f'<text x="4" y="{MARGIN["top"] + 4}" font-size="10">{top:.0f}</text>',
        f'<text x="4" y="{bottom}" font-size="10">0 MiB</text>',
        f'<text x="{x(end_s):.1f}" y="{bottom + 14}" font-size="10" text-anchor="end">{end_s / 60:.0f} min</text>',
        f'<text x="{MARGIN["left"]}" y="14" font-size="12" font-weight="bold">{escape(service)}</text>',
        f'<polyline points="{line("rss")}" fill="none" stroke="#e07b39" stroke-dasharray="4 3"/>',
        f'<polyline points="{line("anon")}" fill="none" stroke="#1f5fa8" stroke-width="1.5"/>',
    ])  # fmt: skip


def svg(samples: list[tuple[float, dict[str, Memory]]], warmup_s: float) -> str:
    services = sorted({service for _, by_service in samples for service in by_service})
    end_s = samples[-1][0] if samples else 0.0
    rows = (len(services) + COLUMNS - 1) // COLUMNS
    legend_y = rows * HEIGHT + 16
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{COLUMNS * WIDTH}" height="{legend_y + 10}" '
        'font-family="sans-serif">',
        '<rect width="100%" height="100%" fill="white"/>',
    ]
    for index, service in enumerate(services):
        points = [(t, by_service[service]) for t, by_service in samples if service in by_service]
        column, row = index % COLUMNS, index // COLUMNS
        parts.append(f'<g transform="translate({column * WIDTH},{row * HEIGHT})">')
        parts.append(_panel(service, points, warmup_s, end_s))
        parts.append("</g>")
    parts.append(
        f'<text x="10" y="{legend_y}" font-size="11">solid: anonymous memory; dashed: RSS (with mapped files); '
        "shaded: warm-up</text>"
    )
    parts.append("</svg>")
    return "\n".join(parts)


def write(samples: list[tuple[float, dict[str, Memory]]], warmup_s: float, path: Path) -> None:
    path.write_text(svg(samples, warmup_s))


def write_samples(samples: list[tuple[float, dict[str, Memory]]], path: Path) -> None:
    """Samples as CSV, in MiB: what `read` reads back."""
    with open(path, "w", newline="") as file:
        out = csv.writer(file)
        out.writerow(["seconds", "container", *COLUMNS_MIB])
        for elapsed, by_service in samples:
            for service, parts in by_service.items():
                out.writerow([round(elapsed, 1), service, *(round(b / MIB, 1) for b in parts)])


def read(path: Path) -> list[tuple[float, dict[str, Memory]]]:
    """Samples from a soak's CSV (write_samples)."""
    by_time: dict[float, dict[str, Memory]] = {}
    with open(path, newline="") as file:
        for row in csv.DictReader(file):
            parts = (int(float(row[column]) * MIB) for column in COLUMNS_MIB)
            by_time.setdefault(float(row["seconds"]), {})[row["container"]] = Memory(*parts)
    return sorted(by_time.items())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("samples", type=Path)
    parser.add_argument("--warmup", type=float, default=10, help="minutes of warm-up to shade")
    args = parser.parse_args()
    out = args.samples.with_suffix(".svg")
    write(read(args.samples), args.warmup * 60, out)
    print(out)


if __name__ == "__main__":
    main()
