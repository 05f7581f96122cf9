"""How stored traces keep their documents: packed with a preset dictionary, and readable later."""

import hashlib
import json
import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from obslab_xray import packing

TRACE_ID = "1-5759e988-bd862e3fe1be46a994272793"

SEGMENT_ID = "70de5b6f19ff9a0a"


def test_documents_come_back_as_they_were_sent():
    documents = {
        SEGMENT_ID: '{"name": "backend-flask",\n "id": "70de5b6f19ff9a0a"}',
        "aaaaaaaaaaaaaaaa": json.dumps({"name": "caf\u00e9 \U0001f600", "note": "\ud800"}, ensure_ascii=False),
    }
    assert packing.unpack(packing.pack(documents)) == documents
    assert packing.unpack(packing.pack({})) == {}


@given(st.dictionaries(st.from_regex(r"[0-9a-f]{16}", fullmatch=True), st.text().map(json.dumps), max_size=5))
def test_any_json_documents_survive_packing(documents):
    assert packing.unpack(packing.pack(documents)) == documents


def test_the_dictionary_makes_the_labs_documents_several_times_smaller():
    documents = {
        f"{n:016x}": json.dumps(
            {"name": "users-api", "id": f"{n:016x}", "trace_id": TRACE_ID, "start_time": 1795338974.16 + n,
             "end_time": 1795338974.17 + n, "http": {"request": {"method": "GET",
             "url": f"http://users-api:4568/users/@user{n}", "user_agent": "python-requests/2.34.2"},
             "response": {"status": 200, "content_length": 0}}, "aws": {"xray": {
             "sdk": "opentelemetry for python", "sdk_version": "1.45.1", "auto_instrumentation": True}}},
            separators=(",", ":"),
        )
        for n in range(3)
    }  # fmt: skip
    raw = sum(map(len, documents.values()))
    plain = len(zlib.compress(json.dumps(documents).encode(), 6))
    packed = len(packing.pack(documents))
    assert packed < plain / 2 and packed < raw / 5


def test_a_published_dictionary_never_changes():
    # Traces saved with dictionary 1 can only be read with exactly these bytes: improve the
    # dictionary under a new number instead.
    digest = hashlib.sha256(packing.DICTIONARIES[1]).hexdigest()
    assert digest == "b6898050bb62a5258a959a4fbb32ec75ca260c2c8a179e2d3afbd4e110e9dd1e"


def test_a_trace_packed_with_dictionary_1_still_unpacks():
    saved = bytes.fromhex("0178bbe125e3d433374849354d324b33b44c4bb34c344884a74b2ca359902e1dba0ea55a00b6e51405")
    assert packing.unpack(saved) == {SEGMENT_ID: '{"name": "backend-flask", "id": "70de5b6f19ff9a0a"}'}


def test_an_unknown_dictionary_is_an_error():
    with pytest.raises(KeyError):
        packing.unpack(bytes([99]) + packing.pack({})[1:])
