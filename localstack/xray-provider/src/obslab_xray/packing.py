"""How a stored trace keeps its documents: joined, then compressed with zlib and a preset
dictionary of what segment documents look like (their keys, SDK names, the lab's services and
URLs). For a trace of the lab's requests, about 1.9 KB of documents pack into about 200 bytes;
without the dictionary, 650.

A packed trace starts with one byte naming its dictionary: saved states stay readable when a
better dictionary is added (under a new number; a published one never changes)."""

import json
import zlib

# Never inside a JSON text (control characters must be escaped in its strings), so it can
# separate segment ids and documents.
SEPARATOR = "\x00"


def _otel_documents() -> list[str]:
    """As the collector's awsxray exporter sends them: compact JSON, one document per span."""
    resource = {
        "otel.resource.deployment.environment.name": "lab",
        "otel.resource.service.instance.id": "00000000-0000-0000-0000-000000000000",
        "otel.resource.service.name": "backend-flask",
        "otel.resource.service.version": "0.2.0",
        "otel.resource.telemetry.auto.version": "0.66b1",
        "otel.resource.telemetry.sdk.language": "python",
        "otel.resource.telemetry.sdk.name": "opentelemetry",
        "otel.resource.telemetry.sdk.version": "1.45.1",
    }
    xray = {"xray": {"sdk": "opentelemetry for python", "sdk_version": "1.45.1", "auto_instrumentation": True}}
    flags = {"fault": False, "error": False, "throttle": False}
    server = {
        "name": "users-api", "id": "0000000000000000", "start_time": 1795338974.1606596,
        "service": {"version": "0.2.0"}, "trace_id": "1-6b02b2de-000000000000000000000000",
        "end_time": 1795338974.1621594,
        "http": {"request": {"x_forwarded_for": True, "method": "GET", "url": "http://users-api:4568/users/@",
                             "user_agent": "python-requests/2.34.2", "client_ip": "172.19.0.9"},
                 "response": {"status": 200, "content_length": 0}},
        **flags, "aws": xray,
        "metadata": {"default": {"client.port": 56540, "http.route": "/users/@<handle>",
                                 "network.protocol.version": "1.1", **resource}},
        "parent_id": "0000000000000000",
    }  # fmt: skip
    internal = {
        "name": "users-directory-lookup", "id": "0000000000000000", "start_time": 1795338974.1614358,
        "service": {"version": "0.2.0"}, "trace_id": "1-6b02b2de-000000000000000000000000",
        "end_time": 1795338974.1615832, **flags, "aws": xray,
        "annotations": {"app.user.found": True, "app.user.handle": "andrewbrown", "app.result_length": 0},
        "type": "subsegment", "parent_id": "0000000000000000",
    }  # fmt: skip
    client = {
        "name": "GET", "id": "0000000000000000", "start_time": 1795338974.1596286,
        "service": {"version": "0.2.0"}, "trace_id": "1-6b02b2de-000000000000000000000000",
        "end_time": 1795338974.163386,
        "http": {"request": {"method": "GET", "url": "http://users-api:4568/users/@andrewbrown",
                             "user_agent": "python-requests/2.34.2"},
                 "response": {"status": 200, "content_length": 0}},
        **flags, "aws": xray,
        "metadata": {"default": {"network.peer.port": 4568, "network.protocol.version": "1.1"}},
        "namespace": "remote", "type": "subsegment", "parent_id": "0000000000000000",
    }  # fmt: skip
    entry = {
        **server, "name": "backend-flask",
        "http": {"request": {"x_forwarded_for": True, "method": "GET",
                             "url": "http://backend-flask:4567/api/activities/home",
                             "user_agent": "python-requests/2.34.2", "client_ip": "172.19.0.10"},
                 "response": {"status": 200, "content_length": 0}},
    }  # fmt: skip
    del entry["parent_id"]
    return [json.dumps(d, separators=(",", ":")) for d in (entry, server, internal, client)]


def _sdk_documents() -> list[str]:
    """As the AWS X-Ray SDK for Python sends them (through the daemon): json.dumps' spacing."""
    xray = {"xray": {"sdk": "X-Ray for Python", "sdk_version": "2.15.0", "sampling_rule_name": "Cruddur"}}
    segment = {
        "id": "0000000000000000", "name": "backend-flask", "start_time": 1795338974.1582189, "in_progress": False,
        "http": {"request": {"url": "http://backend-flask:4567/api/messages", "method": "POST",
                             "user_agent": "python-requests/2.34.2", "client_ip": "172.19.0.10"},
                 "response": {"status": 200, "content_length": 198}},
        "aws": xray,
        "subsegments": [
            {"id": "0000000000000000", "name": "users-api", "start_time": 1795338974.1584818,
             "parent_id": "0000000000000000", "in_progress": False,
             "http": {"request": {"method": "GET", "url": "http://users-api:4568/users/@worf"},
                      "response": {"status": 200}},
             "trace_id": "1-6b02b2de-000000000000000000000000", "type": "subsegment", "namespace": "remote",
             "end_time": 1795338974.1634176},
            {"id": "0000000000000000", "name": "users-directory-lookup", "start_time": 1795338974.161464,
             "parent_id": "0000000000000000", "in_progress": False,
             "annotations": {"app_user_handle": "andrewbrown", "app_user_found": True, "app_result_length": 0},
             "metadata": {"cruddur": {"profile": {"handle": "andrewbrown", "display_name": "Andrew Brown",
                                                  "bio": "", "cruds_count": 42}}},
             "trace_id": "1-6b02b2de-000000000000000000000000", "type": "subsegment", "namespace": "local",
             "end_time": 1795338974.1615698},
        ],
        "trace_id": "1-6b02b2de-000000000000000000000000",
        "service": {"runtime": "CPython", "runtime_version": "3.13.5"}, "end_time": 1795338974.17248,
    }  # fmt: skip
    return [json.dumps(segment)]


def _dictionary(documents: list[str]) -> bytes:
    # zlib matches the end of its dictionary most cheaply: the commonest shapes go last.
    return SEPARATOR.join(f"0000000000000000{SEPARATOR}{d}" for d in documents).encode()


DICTIONARIES = {1: _dictionary([*_sdk_documents(), *_otel_documents()])}
CURRENT = 1


def pack(documents: dict[str, str]) -> bytes:
    """{segment id: document} as bytes."""
    joined = SEPARATOR.join(part for pair in documents.items() for part in pair)
    compressor = zlib.compressobj(6, zdict=DICTIONARIES[CURRENT])
    return bytes([CURRENT]) + compressor.compress(joined.encode("utf-8", "surrogatepass")) + compressor.flush()


def unpack(packed: bytes) -> dict[str, str]:
    decompressor = zlib.decompressobj(zdict=DICTIONARIES[packed[0]])
    joined = (decompressor.decompress(packed[1:]) + decompressor.flush()).decode("utf-8", "surrogatepass")
    if not joined:
        return {}
    parts = joined.split(SEPARATOR)
    return dict(zip(parts[::2], parts[1::2], strict=True))
