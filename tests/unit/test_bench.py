"""The benchmark's own logic (scripts/bench): reading wrk, percentiles, what counts as lost, the
report. The measurements themselves need the running lab: `make bench`."""

import json

import pytest

from bench import capacity, overhead, report

WRK_OUTPUT = """Running 10s test @ http://127.0.0.1:4567/api/activities/home
  1 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    21.50ms   15.20ms 180.30ms   90.12%
    Req/Sec   380.12     40.10   450.00     70.00%
  Latency Distribution
     50%   19.66ms
     75%   25.01ms
     90%   35.40ms
     99%    1.20s
  3801 requests in 10.01s, 5.12MB read
  Non-2xx or 3xx responses: 12
  Socket errors: connect 0, read 2, write 0, timeout 1
Requests/sec:    379.72
Transfer/sec:    523.70KB
"""


def test_wrk_figures_are_read_in_milliseconds_with_errors_counted():
    result = overhead.parse_wrk(WRK_OUTPUT)
    assert (result.requests, result.rps) == (3801, 379.72)
    assert result.seconds == pytest.approx(10.01)
    assert result.p50_ms == pytest.approx(19.66)
    assert result.p99_ms == pytest.approx(1200.0)
    assert result.errors == 12 + 2 + 1


def test_wrk_microseconds_and_a_clean_run():
    clean = WRK_OUTPUT.replace("19.66ms", "850.00us").replace("  Non-2xx or 3xx responses: 12\n", "")
    clean = clean.replace("read 2, write 0, timeout 1", "read 0, write 0, timeout 0")
    result = overhead.parse_wrk(clean)
    assert result.p50_ms == pytest.approx(0.85)
    assert result.errors == 0


def test_output_that_is_not_wrk_is_refused():
    with pytest.raises(ValueError, match="not wrk"):
        overhead.parse_wrk("wrk: command not found")


@pytest.mark.parametrize(("p", "expected"), [(50, 3.0), (95, 5.0), (100, 5.0), (1, 1.0)])
def test_nearest_rank_percentile(p, expected):
    assert report.percentile([5.0, 1.0, 4.0, 2.0, 3.0], p) == expected


def _step(rate: int, received: int, **arrived: int) -> capacity.Step:
    step = capacity.Step(rate=rate, seconds=10, service=f"bench-{rate}", received=received)
    step.arrived.update({path.replace("_", "-"): count for path, count in arrived.items()})
    return step


def test_capacity_is_the_fastest_step_that_lost_nothing_on_that_path():
    steps = [
        _step(1000, 10_000, Jaeger=10_000, X_Ray=10_000),
        _step(5000, 50_000, Jaeger=50_000, X_Ray=20_000),
        _step(10000, 80_000, Jaeger=79_999, X_Ray=0),
    ]
    assert capacity.capacity(steps, "Jaeger") == 5000  # achieved 50,000 spans in 10 s
    assert capacity.capacity(steps, "X-Ray") == 1000
    assert steps[2].lost("Jaeger") == 1
    assert capacity.capacity(steps[1:], "X-Ray") is None


def test_a_step_counts_what_telemetrygen_managed_not_what_was_asked():
    assert _step(20000, 117_000, Jaeger=117_000).achieved_rate == 11_700


def _sections() -> list[report.Section]:
    section = report.Section("Start and stop", "`make up`, timed")
    section.add("make up, warm, to healthy", "9.1 s", "≤ 20 s", True)
    section.add("idle RSS", "900 MiB", "≤ 800 MiB", False)
    section.add("make down", "3.9 s")
    return [section]


ABOUT = {
    "finished": "2026-11-22 04:00 UTC",
    "command": "make bench",
    "machine": {"cores": "2", "memory": "24 GiB", "cpu": "test CPU", "kernel": "6.1", "docker engine": "20.10"},
}


def test_the_report_states_the_machine_the_method_and_each_verdict():
    text = report.text(_sections(), ABOUT)
    assert "2 cores, 24 GiB, test CPU" in text
    assert "how: `make up`, timed" in text
    lines = {
        line.split()[0] + line.split()[1]: line
        for line in text.splitlines()
        if line.startswith("  make") or "idle" in line
    }
    assert lines["makeup,"].endswith("ok")
    assert lines["idleRSS"].endswith("MISSED")
    assert lines["makedown"].endswith("3.9 s")
    markdown = report.markdown(_sections(), ABOUT)
    assert "| make up, warm, to healthy | 9.1 s | ≤ 20 s | ok |" in markdown
    assert "Command: `make bench`" in markdown


def test_the_report_files_hold_the_table_and_the_raw_figures(tmp_path):
    written = report.write(tmp_path, "20261122-040000", _sections(), ABOUT, raw={"start": {"make up": 9.1}})
    assert sorted(p.name for p in written) == ["20261122-040000.json", "20261122-040000.md", "latest.json", "latest.md"]
    document = json.loads((tmp_path / "latest.json").read_text())
    assert document["raw"] == {"start": {"make up": 9.1}}
    assert document["sections"][0]["rows"][1] == {
        "figure": "idle RSS",
        "value": "900 MiB",
        "target": "≤ 800 MiB",
        "ok": False,
    }
    assert (tmp_path / "latest.md").read_text() == (tmp_path / "20261122-040000.md").read_text()


def _run(requests: int, p99: float, cpu: float) -> overhead.LoadResult:
    return overhead.LoadResult(requests=requests, seconds=10, rps=requests / 10, p50_ms=1.0, p99_ms=p99, errors=0,
                               cpu_us_per_request=cpu)  # fmt: skip


def test_rounds_combine_into_one_figure_per_mode_and_a_ratio_per_round():
    on = [_run(4000, 80.0, 2000), _run(6000, 60.0, 1500)]
    off = [_run(8000, 20.0, 1000), _run(8000, 30.0, 1000)]
    together = overhead.combined(on)
    assert together.rps == 500  # 10,000 requests in 20 s
    assert together.p99_ms == 70.0  # the median of the rounds'
    assert together.cpu_us_per_request == 1700  # weighted by requests
    assert overhead.round_ratios({"on": on, "off": off}) == [0.5, 0.75]


def test_a_scale_step_counts_as_lossless_only_when_kafka_got_every_accepted_span():
    from bench import scale

    step = scale.Burst(rate=10_000, seconds=10, accepted=100_000, to_kafka=100_000, load_seconds=10.0)
    assert step.lossless_intake and step.intake_rate == 10_000
    for lost in ({"refused": 1}, {"kafka_failed": 1}, {"to_kafka": 99_999}, {"accepted": 0, "to_kafka": 0}):
        assert not scale.Burst(**{**step.__dict__, **lost}).lossless_intake, lost


def test_the_indexing_rate_spans_the_load_and_the_drain():
    from bench import scale

    step = scale.Burst(rate=20_000, seconds=10, accepted=200_000, to_kafka=200_000, indexed=200_000,
                       load_seconds=10.0, drain_seconds=30.0)  # fmt: skip
    assert step.indexing_rate == 5_000
    assert scale.Burst(rate=1, seconds=1, drain_seconds=None).indexing_rate is None
