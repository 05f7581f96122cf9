"""The lab's LocalStack state on disk (obslab_xray.persistence), with stand-in stores: the
round trip through LocalStack itself (make down / make up) is tests/integration's job."""

import json
import pickle
import threading
from types import SimpleNamespace

import pytest

from obslab_xray import persistence
from obslab_xray.segments import Trace, parse_document

TRACE_ID = "1-5759e988-bd862e3fe1be46a994272793"


class Bundle(dict):
    """Like LocalStack's AccountRegionBundle and moto's BackendDict: regions made on first use."""

    def __init__(self, make):
        super().__init__()
        self._make = make

    def __missing__(self, account):
        regions = self[account] = _Regions(self._make)
        return regions


class _Regions(dict):
    def __init__(self, make):
        super().__init__()
        self._make = make

    def __missing__(self, region):
        store = self[region] = self._make()
        return store


def xray_store():
    return SimpleNamespace(traces={}, groups={}, sampling_rules={}, last_rule_modification=0.0, sampling_targets="x")


def logs_backend():
    return SimpleNamespace(groups={})


def a_trace() -> Trace:
    document = json.dumps(
        {"name": "backend-flask", "id": "70de5b6f19ff9a0a", "trace_id": TRACE_ID, "start_time": 1.0, "end_time": 2.0}
    )
    trace = Trace(TRACE_ID)
    trace.add(parse_document(document), document)
    return trace


def filled_stores():
    xray, logs = Bundle(xray_store), Bundle(logs_backend)
    store = xray["000000000000"]["us-east-1"]
    store.traces[TRACE_ID] = a_trace()
    store.groups["Cruddur"] = {"GroupName": "Cruddur", "FilterExpression": 'service("backend-flask")'}
    store.last_rule_modification = 123.0
    stream = SimpleNamespace(events=["line 1", "line 2"], last_ingestion_time=1000)
    logs["000000000000"]["eu-west-1"].groups["cruddur"] = SimpleNamespace(streams={"backend-flask/1": stream})
    return xray, logs


def test_a_snapshot_survives_pickling_and_restores_into_empty_stores():
    state = pickle.loads(pickle.dumps(persistence.snapshot(*filled_stores())))
    xray, logs = Bundle(xray_store), Bundle(logs_backend)
    summary = persistence.restore(state, xray, logs)
    assert summary == "1 X-Ray traces, 2 CloudWatch Logs events"
    store = xray["000000000000"]["us-east-1"]
    assert store.groups["Cruddur"]["FilterExpression"] == 'service("backend-flask")'
    assert store.last_rule_modification == 123.0
    assert store.sampling_targets == "x"  # short-lived, not saved
    assert store.traces[TRACE_ID].view() == a_trace().view()
    assert logs["000000000000"]["eu-west-1"].groups["cruddur"].streams["backend-flask/1"].events == ["line 1", "line 2"]


def test_a_trace_pickles_its_documents_only():
    trace = a_trace()
    trace.view()  # fills the derived caches
    copy = pickle.loads(pickle.dumps(trace))
    assert copy.raw_documents() == trace.raw_documents()
    assert copy not in Trace._derived  # the derived values are recomputed, not saved
    assert (copy.start, copy.end, copy.revision) == (trace.start, trace.end, trace.revision)
    assert copy.view() == trace.view()


def test_a_trace_saved_before_documents_were_packed_still_loads():
    trace = a_trace()
    [(segment_id, document)] = trace.raw_documents().items()
    old = Trace.__new__(Trace)
    old.__setstate__({"id": TRACE_ID, "_documents": {segment_id: (json.loads(document), document)}})
    assert old.raw_documents() == trace.raw_documents()
    assert (old.start, old.end) == (1.0, 2.0)


def test_restore_refuses_another_format():
    with pytest.raises(ValueError, match="format"):
        persistence.restore({"format": 99, "xray": {}, "logs": {}}, Bundle(xray_store), Bundle(logs_backend))


def test_saves_only_when_something_changed(tmp_path):
    xray, logs = filled_stores()
    version = [1]
    saver = persistence.Saver(tmp_path / "state.pickle", threading.RLock(), lambda: (xray, logs), lambda: version[0])
    saver.mark_loaded()
    assert not saver.save()
    assert not (tmp_path / "state.pickle").exists()
    version[0] = 2
    assert saver.save()
    assert not saver.save()
    assert saver.save(force=True)
    restored = persistence.read(tmp_path / "state.pickle")
    assert TRACE_ID in restored["xray"][("000000000000", "us-east-1")]["traces"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.pickle"]  # no partial file left


def test_an_unreadable_file_is_kept_aside_not_lost(tmp_path):
    path = tmp_path / "state.pickle"
    path.write_bytes(b"\x80\x05 not a pickle")
    assert persistence.read(path) is None
    assert not path.exists()
    assert (tmp_path / "state.pickle.unreadable").read_bytes() == b"\x80\x05 not a pickle"
    assert persistence.read(path) is None  # and no file at all is simply an empty start


def test_logs_fingerprint_changes_with_every_event():
    _, logs = filled_stores()
    before = persistence.logs_fingerprint(logs)
    logs["000000000000"]["eu-west-1"].groups["cruddur"].streams["backend-flask/1"].events.append("line 3")
    assert persistence.logs_fingerprint(logs) != before


def test_logs_fingerprint_changes_at_the_cap_too():
    # A stream at its cap keeps its length: one event in (PutLogEvents sets the ingestion time),
    # the oldest out (log_retention.trim).
    _, logs = filled_stores()
    stream = logs["000000000000"]["eu-west-1"].groups["cruddur"].streams["backend-flask/1"]
    before = persistence.logs_fingerprint(logs)
    stream.events = [*stream.events[1:], "line 3"]
    stream.last_ingestion_time += 1
    assert persistence.logs_fingerprint(logs) != before


def test_log_streams_keep_their_newest_events_only():
    from obslab_xray import log_retention

    events = [SimpleNamespace(message=f"line {n}") for n in range(10)]
    stream = SimpleNamespace(events=list(events), stored_bytes=sum(len(e.message) for e in events))
    short = SimpleNamespace(events=events[:2], stored_bytes=12)
    logs = Bundle(logs_backend)
    logs["000000000000"]["us-east-1"].groups["cruddur"] = SimpleNamespace(streams={"a": stream, "b": short})
    assert log_retention.trim(logs, max_events=4) == 6
    assert [e.message for e in stream.events] == ["line 6", "line 7", "line 8", "line 9"]
    assert stream.stored_bytes == 4 * len("line 6")
    assert len(short.events) == 2 and short.stored_bytes == 12
    assert log_retention.trim(logs, max_events=4) == 0
