"""The soak script's reckoning of memory growth from its samples."""

import csv
from xml.etree import ElementTree

import pytest

import memory_chart
import soak
from footprint import MIB, Memory


def sample(rss_mib: float, anon_mib: float) -> Memory:
    return Memory(int(rss_mib * MIB), int(anon_mib * MIB), int((rss_mib - anon_mib) * MIB))


def test_growth_compares_the_minute_after_warm_up_with_the_last_minute():
    # 10 minutes, a sample every 10 s: RSS climbs from 100 to 130 MiB during warm-up then holds,
    # while its anonymous part rises linearly all along.
    samples = [(t, {"jaeger": sample(rss_mib=min(100 + t / 4, 130), anon_mib=50 + t / 60)}) for t in range(0, 601, 10)]
    warm, end, grew = soak.growth(samples, warmup_s=120)["jaeger"]
    assert (warm, end, grew) == pytest.approx((130, 130, 0.0))
    warm, end, grew = soak.growth(samples, warmup_s=120, part="anon")["jaeger"]
    # medians: of 120..170 s (warm) and of 540..600 s (end)
    assert (warm, end) == pytest.approx((50 + 145 / 60, 50 + 570 / 60)) and grew == pytest.approx(end / warm - 1)


def test_a_container_missing_from_the_warm_minute_is_left_out():
    samples = [
        (t, {"backend": sample(100, 80), **({"late": sample(10, 5)} if t > 200 else {})}) for t in range(0, 601, 10)
    ]
    assert set(soak.growth(samples, warmup_s=120)) == {"backend"}


def test_samples_are_written_in_mib(tmp_path):
    memory_chart.write_samples([(10.04, {"localstack": sample(300, 250)})], tmp_path / "memory.csv")
    with open(tmp_path / "memory.csv") as file:
        rows = list(csv.DictReader(file))
    assert rows == [{"seconds": "10.0", "container": "localstack", "rss_mib": "300.0", "anon_mib": "250.0",
                     "file_mib": "50.0"}]  # fmt: skip


def test_the_chart_draws_every_container_from_the_saved_samples(tmp_path):
    samples = [(float(t), {"jaeger": sample(100 + t, 50 + t), "xray-daemon": sample(20, 10)}) for t in range(0, 61, 10)]
    memory_chart.write_samples(samples, tmp_path / "memory.csv")
    read = memory_chart.read(tmp_path / "memory.csv")
    assert [t for t, _ in read] == [t for t, _ in samples]
    assert read[-1][1]["jaeger"].anon == pytest.approx(110 * MIB, abs=MIB / 10)
    picture = ElementTree.fromstring(memory_chart.svg(read, warmup_s=30))
    namespace = "{http://www.w3.org/2000/svg}"
    titles = [text.text for text in picture.iter(f"{namespace}text") if text.get("font-weight") == "bold"]
    assert titles == ["jaeger", "xray-daemon"]
    lines = list(picture.iter(f"{namespace}polyline"))
    assert len(lines) == 4 and all(len(line.get("points").split()) == len(samples) for line in lines)


def test_the_high_water_mark_stays_through_cycles_and_spikes_and_rises_with_a_leak():
    # A memtable-like cycle (fills for 7 minutes, then empties), a one-sample spike (a garbage
    # collection), and a steady leak.
    def at(t: int) -> dict:
        return {
            "cycling": sample(300, 100 + (t % 420) / 6),
            "spiking": sample(300, 150 if t == 900 else 100),
            "leaking": sample(300, 100 + t / 30),
        }

    samples = [(t, at(t)) for t in range(0, 1201, 10)]
    peaks = soak.peak_growth(samples, warmup_s=600)
    assert peaks["cycling"][2] == pytest.approx(0.0, abs=0.01)
    assert peaks["spiking"] == pytest.approx((100, 100, 0.0))
    # The median of the minute to 600 s and of the minute to 1200 s.
    assert peaks["leaking"] == pytest.approx((100 + 575 / 30, 100 + 1175 / 30, (1175 - 575) / (3000 + 575)))
    # The medians of two minutes, caught at different points of the cycle, would call it growth.
    assert soak.growth(samples, warmup_s=600, part="anon")["cycling"][2] > 0.10
