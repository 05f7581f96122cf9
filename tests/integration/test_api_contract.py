"""Every endpoint of backend-flask, against the real stack: status codes and bodies for good
and bad input, one row per case."""

import uuid

import pytest
import requests

pytestmark = pytest.mark.integration

WORF_ACTIVITY = "66e12864-8c26-4c3a-9658-95a10f8fea67"
GAREK_ACTIVITY = "248959df-3079-4947-b847-9e0892d1bab4"
UNKNOWN = str(uuid.UUID(int=1))
JSON = {"Content-Type": "application/json"}


def errors(*codes):
    return lambda body: body["errors"] == list(codes) and body["message"]


def each(check):
    return lambda body: isinstance(body, list) and body and all(check(item) for item in body)


CASES = [
    # name, method, path, request kwargs, status, check on the JSON body
    (
        "home",
        "GET",
        "/api/activities/home",
        {},
        200,
        lambda b: {"Andrew Brown", "Worf", "Garek"} <= {a["handle"] for a in b},
    ),
    (
        "notifications",
        "GET",
        "/api/activities/notifications",
        {},
        200,
        lambda b: b[0]["handle"] == "coco" and b[0]["message"] == "I am white unicorn",
    ),
    ("user activities", "GET", "/api/activities/@worf", {}, 200, each(lambda a: a["handle"] == "Worf")),
    ("user activities, unknown user", "GET", "/api/activities/@nobody", {}, 404, errors("user_not_found")),
    ("user activities, bad handle", "GET", "/api/activities/@no-such!", {}, 422, errors("user_handle_invalid")),
    ("search", "GET", "/api/activities/search?term=JUICE", {}, 200, each(lambda a: "juice" in a["message"].lower())),
    ("search, blank term", "GET", "/api/activities/search?term=%20", {}, 422, errors("search_term_blank")),
    ("search, no term", "GET", "/api/activities/search", {}, 422, errors("search_term_blank")),
    (
        "search, term too long",
        "GET",
        "/api/activities/search?term=" + "x" * 281,
        {},
        422,
        errors("search_term_exceed_max_chars"),
    ),
    (
        "show",
        "GET",
        f"/api/activities/{WORF_ACTIVITY}",
        {},
        200,
        lambda b: b["uuid"] == WORF_ACTIVITY and b["message"] == "I am out of prune juice",
    ),
    ("show, unknown", "GET", f"/api/activities/{UNKNOWN}", {}, 404, errors("activity_not_found")),
    ("show, not a uuid", "GET", "/api/activities/not-a-uuid", {}, 404, errors("not_found")),
    (
        "create",
        "POST",
        "/api/activities",
        {"json": {"message": "Hello, lab", "ttl": "3-hours"}},
        200,
        lambda b: b["message"] == "Hello, lab" and b["handle"] == "andrewbrown" and b["replies"] == [],
    ),
    (
        "create, blank message",
        "POST",
        "/api/activities",
        {"json": {"message": " ", "ttl": "1-day"}},
        422,
        errors("message_blank"),
    ),
    (
        "create, message too long",
        "POST",
        "/api/activities",
        {"json": {"message": "x" * 281, "ttl": "1-day"}},
        422,
        errors("message_exceed_max_chars"),
    ),
    (
        "create, 280 characters",
        "POST",
        "/api/activities",
        {"json": {"message": "é" * 280, "ttl": "1-day"}},
        200,
        lambda b: len(b["message"]) == 280,
    ),
    (
        "create, message not text",
        "POST",
        "/api/activities",
        {"json": {"message": 7, "ttl": "1-day"}},
        422,
        errors("message_invalid"),
    ),
    ("create, no ttl", "POST", "/api/activities", {"json": {"message": "hi"}}, 422, errors("ttl_blank")),
    (
        "create, unknown ttl",
        "POST",
        "/api/activities",
        {"json": {"message": "hi", "ttl": "forever"}},
        422,
        errors("ttl_invalid"),
    ),
    (
        "create, ttl not text",
        "POST",
        "/api/activities",
        {"json": {"message": "hi", "ttl": ["1-day"]}},
        422,
        errors("ttl_invalid"),
    ),
    ("create, everything wrong", "POST", "/api/activities", {"json": {}}, 422, errors("message_blank", "ttl_blank")),
    (
        "create, malformed JSON",
        "POST",
        "/api/activities",
        {"data": "{", "headers": JSON},
        400,
        errors("malformed_json"),
    ),
    ("create, form body", "POST", "/api/activities", {"data": {"message": "hi"}}, 400, errors("content_type_not_json")),
    ("create, JSON list", "POST", "/api/activities", {"json": ["hi"]}, 400, errors("body_not_object")),
    (
        "create, oversize body",
        "POST",
        "/api/activities",
        {"json": {"message": "x" * 20000, "ttl": "1-day"}},
        413,
        errors("body_too_large"),
    ),
    (
        "reply",
        "POST",
        f"/api/activities/{GAREK_ACTIVITY}/reply",
        {"json": {"message": "Thanks!"}},
        200,
        lambda b: b["reply_to_activity_uuid"] == GAREK_ACTIVITY and b["message"] == "Thanks!",
    ),
    (
        "reply, unknown activity",
        "POST",
        f"/api/activities/{UNKNOWN}/reply",
        {"json": {"message": "hi"}},
        404,
        errors("activity_not_found"),
    ),
    (
        "reply, blank",
        "POST",
        f"/api/activities/{GAREK_ACTIVITY}/reply",
        {"json": {"message": ""}},
        422,
        errors("message_blank"),
    ),
    (
        "reply, too long",
        "POST",
        f"/api/activities/{GAREK_ACTIVITY}/reply",
        {"json": {"message": "x" * 1025}},
        422,
        errors("message_exceed_max_chars"),
    ),
    (
        "message groups",
        "GET",
        "/api/message_groups",
        {},
        200,
        lambda b: "worf" in {g["handle"] for g in b} and set(b[0]) == {"uuid", "display_name", "handle", "created_at"},
    ),
    (
        "conversation",
        "GET",
        "/api/messages/@worf",
        {},
        200,
        lambda b: len(b) >= 2 and {m["handle"] for m in b} >= {"andrewbrown", "worf"},
    ),
    ("conversation, unknown user", "GET", "/api/messages/@nobody", {}, 404, errors("user_not_found")),
    (
        "send",
        "POST",
        "/api/messages",
        {"json": {"user_receiver_handle": "bayko", "message": "Lunch?"}},
        200,
        lambda b: b["handle"] == "andrewbrown" and b["display_name"] == "Andrew Brown" and b["message"] == "Lunch?",
    ),
    (
        "send, unknown receiver",
        "POST",
        "/api/messages",
        {"json": {"user_receiver_handle": "nobody", "message": "hi"}},
        422,
        errors("user_receiver_not_found"),
    ),
    (
        "send, blank fields",
        "POST",
        "/api/messages",
        {"json": {"user_receiver_handle": "", "message": ""}},
        422,
        errors("user_receiver_handle_blank", "message_blank"),
    ),
    (
        "send, too long",
        "POST",
        "/api/messages",
        {"json": {"user_receiver_handle": "worf", "message": "x" * 1025}},
        422,
        errors("message_exceed_max_chars"),
    ),
    ("rollbar test, Rollbar off", "GET", "/rollbar/test", {}, 200, lambda b: b["reported"] is False),
    ("unknown route", "GET", "/api/nothing-here", {}, 404, errors("not_found")),
    ("wrong method", "DELETE", "/api/activities/home", {}, 405, errors("method_not_allowed")),
]


@pytest.mark.parametrize("name, method, path, kwargs, status, check", CASES, ids=[case[0] for case in CASES])
def test_endpoint(lab, name, method, path, kwargs, status, check):
    response = requests.request(method, f"{lab.backend}{path}", timeout=10, **kwargs)

    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    assert check(response.json()), response.text


def test_a_posted_activity_shows_up_everywhere_it_belongs(lab):
    created = requests.post(
        f"{lab.backend}/api/activities", json={"message": "Traces or it didn't happen", "ttl": "1-hour"}, timeout=10
    ).json()

    def fetch(path):
        return requests.get(f"{lab.backend}{path}", timeout=10).json()

    assert fetch("/api/activities/home")[0]["uuid"] == created["uuid"]
    assert fetch(f"/api/activities/{created['uuid']}") == created
    assert created["uuid"] in {a["uuid"] for a in fetch("/api/activities/@andrewbrown")}
    assert created["uuid"] in {a["uuid"] for a in fetch("/api/activities/search?term=didn't%20happen")}


def test_a_sent_message_starts_a_conversation(lab):
    requests.post(
        f"{lab.backend}/api/messages", json={"user_receiver_handle": "coco", "message": "Hi unicorn"}, timeout=10
    ).raise_for_status()

    conversation = requests.get(f"{lab.backend}/api/messages/@coco", timeout=10).json()
    groups = requests.get(f"{lab.backend}/api/message_groups", timeout=10).json()
    assert [m["message"] for m in conversation][-1] == "Hi unicorn"
    assert "coco" in {g["handle"] for g in groups}


HOSTILE_BODIES = [
    "null",
    "0",
    '"text"',
    "[]",
    "{}",
    '{"message": null}',
    '{"message": {"nested": true}}',
    '{"message": "\\u0000", "ttl": "1-day"}',
    '{"message": "ok", "ttl": 1e308}',
    '{"user_receiver_handle": 5}',
    '{"user_receiver_handle": "../../etc", "message": "x"}',
    "\ud83d\ude00",
    '{"a":' * 500 + "1" + "}" * 500,
    "[" * 8000,
]
POST_PATHS = ["/api/activities", f"/api/activities/{GAREK_ACTIVITY}/reply", "/api/messages"]


@pytest.mark.parametrize("path", POST_PATHS)
@pytest.mark.parametrize("body", HOSTILE_BODIES, ids=lambda body: body[:24])
def test_no_body_makes_a_post_endpoint_fail_with_500(lab, path, body):
    response = requests.post(
        f"{lab.backend}{path}", data=body.encode("utf-8", "surrogatepass"), headers=JSON, timeout=10
    )
    assert response.status_code < 500, (response.status_code, response.text[:200])
    assert response.headers["Content-Type"].startswith("application/json")
