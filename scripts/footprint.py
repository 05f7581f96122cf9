"""Memory of the lab's containers: `python3 scripts/footprint.py [compose project]` prints the
resident memory (RSS, from /proc) of every process in each running container of the project
(default: the lab's), in MiB, and their sum. `make bench` uses the same functions.

RSS rather than `docker stats`: the latter reports cgroup memory, which also counts the page
cache (Prometheus's and Jaeger's storage files). RSS is split as the kernel does: anonymous
memory (heaps, stacks: what the processes allocated) and file-backed pages (the program's own
files, and storage files mapped into memory, as Badger and Prometheus do, which the kernel can
drop and read again when memory runs short)."""

import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import lab_env

MIB = 1024 * 1024
CGROUPS = Path("/sys/fs/cgroup")


def containers(project: str) -> dict[str, str]:
    """Running containers of a compose project: service name -> container id."""
    ids = subprocess.run(
        ["docker", "ps", "-q", "--filter", f"label=com.docker.compose.project={project}"],
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    if not ids:
        return {}
    inspect = subprocess.run(
        ["docker", "inspect", "-f", '{{.Id}} {{index .Config.Labels "com.docker.compose.service"}}', *ids],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return {service: cid for cid, service in (line.split() for line in inspect.splitlines())}


def _cgroup_file(container_id: str, name: str) -> Path:
    # cgroup v2 (systemd or cgroupfs driver) or v1: the container's folder carries its full id.
    for path in CGROUPS.rglob(name):
        if container_id in str(path.parent):
            return path
    raise FileNotFoundError(f"no {name} for container {container_id[:12]}")


class Memory(NamedTuple):
    """Bytes resident in memory: all of them (VmRSS), anonymous, file-backed (and shared memory)."""

    rss: int
    anon: int
    file: int


def memory(container_id: str) -> Memory:
    """Resident memory summed over the container's processes."""
    totals = dict.fromkeys(("VmRSS", "RssAnon", "RssFile", "RssShmem"), 0)
    for pid in _cgroup_file(container_id, "cgroup.procs").read_text().split():
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue  # the process ended meanwhile
        for line in status.splitlines():
            key, _, value = line.partition(":")
            if key in totals:
                totals[key] += int(value.split()[0]) * 1024
    return Memory(totals["VmRSS"], totals["RssAnon"], totals["RssFile"] + totals["RssShmem"])


def cpu_seconds(container_id: str) -> float:
    """CPU time the container's processes have used (cgroup v2 cpu.stat, or v1 cpuacct.usage)."""
    try:
        stat = _cgroup_file(container_id, "cpu.stat").read_text()
    except FileNotFoundError:
        stat = ""
    # v1 has a cpu.stat too, without usage_usec (throttling figures only).
    for line in stat.splitlines():
        if line.startswith("usage_usec "):
            return int(line.split()[1]) / 1e6
    return int(_cgroup_file(container_id, "cpuacct.usage").read_text()) / 1e9


def rss_by_service(project: str) -> dict[str, int]:
    return {service: rss for service, (rss, _, _) in memory_by_service(project).items()}


def memory_by_service(project: str) -> dict[str, Memory]:
    return {service: memory(cid) for service, cid in sorted(containers(project).items())}


def main() -> int:
    project = sys.argv[1] if len(sys.argv) > 1 else lab_env.setting("COMPOSE_PROJECT_NAME")
    found = memory_by_service(project)
    if not found:
        print(f"No running container in project {project}. Is the lab up? (make up)", file=sys.stderr)
        return 1
    print(f"{'service':<16} {'RSS MiB':>8} {'anon':>8} {'file':>8}")
    for service, parts in [*found.items(), ("total", Memory(*map(sum, zip(*found.values(), strict=True))))]:
        print(f"{service:<16} {parts.rss / MIB:>8.1f} {parts.anon / MIB:>8.1f} {parts.file / MIB:>8.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
