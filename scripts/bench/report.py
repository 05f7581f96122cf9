"""The benchmark's results: one table on the terminal, the same as Markdown and JSON files."""

import json
import math
import os
import platform
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass
class Row:
    figure: str
    value: str
    target: str = ""
    ok: bool | None = None  # None: no target


@dataclass
class Section:
    title: str
    method: str  # the command or method behind every figure of the section
    rows: list[Row] = field(default_factory=list)

    def add(self, figure: str, value: str, target: str = "", ok: bool | None = None) -> None:
        self.rows.append(Row(figure, value, target, ok))


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def machine() -> dict[str, str]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor() or "unknown CPU",
    )
    memory_kib = int(
        next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal"))
    )
    engine = subprocess.run(
        ["docker", "version", "-f", "{{.Server.Version}}"], capture_output=True, text=True
    ).stdout.strip()
    return {
        "cores": str(os.cpu_count()),
        "memory": f"{memory_kib / 1024 / 1024:.0f} GiB",
        "cpu": cpu,
        "kernel": platform.release(),
        "docker engine": engine,
    }


def _verdict(row: Row) -> str:
    return {True: "ok", False: "MISSED", None: ""}[row.ok]


def text(sections: list[Section], about: dict) -> str:
    width = max(len(row.figure) for section in sections for row in section.rows)
    lines = [
        f"Lab benchmark, {about['finished']} — {about['machine']['cores']} cores, {about['machine']['memory']}, "
        f"{about['machine']['cpu']}"
    ]
    for section in sections:
        lines += ["", section.title.upper(), f"  how: {section.method}"]
        for row in section.rows:
            target = f"target {row.target}" if row.target else ""
            lines.append(f"  {row.figure:<{width}}  {row.value:>22}  {target:<18} {_verdict(row)}".rstrip())
    return "\n".join(lines) + "\n"


def markdown(sections: list[Section], about: dict) -> str:
    m = about["machine"]
    lines = [
        f"# Lab benchmark, {about['finished']}",
        "",
        f"Machine: {m['cores']} cores, {m['memory']}, {m['cpu']}; kernel {m['kernel']}, Docker engine "
        f"{m['docker engine']}. Command: `{about['command']}`.",
    ]
    for section in sections:
        lines += [
            "",
            f"## {section.title}",
            "",
            f"How: {section.method}",
            "",
            "| figure | value | target | |",
            "|---|---:|---|---|",
        ]
        lines += [f"| {row.figure} | {row.value} | {row.target} | {_verdict(row)} |" for row in section.rows]
    return "\n".join(lines) + "\n"


def write(folder: Path, stamp: str, sections: list[Section], about: dict, raw: dict) -> list[Path]:
    """reports/bench/<stamp>.{json,md}, and latest.{json,md} as copies of them."""
    folder.mkdir(parents=True, exist_ok=True)
    document = {**about, "sections": [asdict(section) for section in sections], "raw": raw}
    written = []
    for name in (stamp, "latest"):
        (folder / f"{name}.json").write_text(json.dumps(document, indent=2, default=str) + "\n")
        (folder / f"{name}.md").write_text(markdown(sections, about))
        written += [folder / f"{name}.json", folder / f"{name}.md"]
    return written
