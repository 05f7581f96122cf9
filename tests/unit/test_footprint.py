"""Reading a container's CPU time from its cgroup, in both cgroup layouts."""

import pytest

import footprint

CONTAINER = "f" * 64


@pytest.fixture
def cgroups(tmp_path, monkeypatch):
    monkeypatch.setattr(footprint, "CGROUPS", tmp_path)
    return tmp_path


def test_cgroup_v2_reads_usage_usec(cgroups):
    folder = cgroups / "system.slice" / f"docker-{CONTAINER}.scope"
    folder.mkdir(parents=True)
    (folder / "cpu.stat").write_text("usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\n")
    assert footprint.cpu_seconds(CONTAINER) == 2.5


def test_cgroup_v1_reads_cpuacct_usage_although_it_has_a_cpu_stat(cgroups):
    folder = cgroups / "cpu,cpuacct" / "docker" / CONTAINER
    folder.mkdir(parents=True)
    (folder / "cpu.stat").write_text("nr_periods 0\nnr_throttled 0\nthrottled_time 0\n")
    (folder / "cpuacct.usage").write_text("1500000000\n")
    assert footprint.cpu_seconds(CONTAINER) == 1.5


def test_an_unknown_container_is_an_error(cgroups):
    with pytest.raises(FileNotFoundError, match="ffffffffffff"):
        footprint.cpu_seconds(CONTAINER)
