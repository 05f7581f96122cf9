"""The Cruddur API's contract: an OpenAPI 3.0 document, served at GET /api/openapi.json.

Built from the code's own limits (message lengths, time-to-live choices, the handle pattern),
so the document cannot drift from what the handlers check. tests/integration/test_openapi.py
keeps it true: every route of the app is in it and every answer matches it, and schemathesis
sends generated requests (valid and not) to every operation, expecting no 5xx."""

from backend_flask.actions import activities, messages
from obslab_common.errors import MAX_BODY_BYTES
from obslab_common.faults import MAX_DELAY_MS, MAX_PARAM_CHARS, MAX_PARAMS
from obslab_common.validation import HANDLE


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str) -> dict:
    return _json(_ref("Error"), description)


def _list_of(name: str) -> dict:
    return {"type": "array", "items": _ref(name)}


def _object(required: dict, optional: dict | None = None) -> dict:
    return {"type": "object", "required": list(required), "properties": {**required, **(optional or {})}}


TEXT = {"type": "string"}


# Not blank: a character that Python's str.strip() keeps (what the handlers check). Regexes of
# JSON Schema follow ECMAScript, whose \s differs from Python's white space: it lacks \x1c-\x1f
# and \x85, and has \ufeff.
NOT_BLANK = r"[^\s\x1c-\x1f\x85]|\ufeff"


def _text(max_chars: int) -> dict:
    """A required text field: not blank, at most max_chars."""
    return {"type": "string", "pattern": NOT_BLANK, "maxLength": max_chars}


TIME = {"type": "string", "format": "date-time"}
UUID = {"type": "string", "format": "uuid"}
COUNT = {"type": "integer", "minimum": 0}

# The values a fault knob's route parameters must have (obslab_common.faults.parse_params).
FAULT_PARAMS = {
    "type": "object",
    "maxProperties": MAX_PARAMS,
    "additionalProperties": {"type": "string", "minLength": 1, "maxLength": MAX_PARAM_CHARS, "pattern": "^[^&;= ]+$"},
}
SCHEMAS = {
    "Error": _object(
        {"errors": {"type": "array", "items": TEXT, "minItems": 1}, "message": TEXT},
    ),
    "Reply": _object(
        {
            "uuid": UUID,
            "reply_to_activity_uuid": UUID,
            "handle": TEXT,
            "message": TEXT,
            "likes_count": COUNT,
            "replies_count": COUNT,
            "reposts_count": COUNT,
            "created_at": TIME,
        }
    ),
    "Activity": _object(
        {
            "uuid": UUID,
            "handle": TEXT,
            "message": TEXT,
            "created_at": TIME,
            "expires_at": TIME,
            "likes_count": COUNT,
            "replies_count": COUNT,
            "reposts_count": COUNT,
            "replies": _list_of("Reply"),
        }
    ),
    "MessageGroup": _object({"uuid": UUID, "display_name": TEXT, "handle": TEXT, "created_at": TIME}),
    "Message": _object({"uuid": UUID, "display_name": TEXT, "handle": TEXT, "message": TEXT, "created_at": TIME}),
    "Faults": _object(
        {
            "faults": {
                "type": "object",
                # Keyed by the knob's name: its route, then ?name=value&... for its parameters.
                "additionalProperties": _object(
                    {"delay_ms": COUNT, "error_rate": {"type": "number", "minimum": 0, "maximum": 1}},
                    {"params": FAULT_PARAMS},
                ),
            }
        }
    ),
}

HANDLE_PARAMETER = {
    "name": "handle",
    "in": "path",
    "required": True,
    "description": "A user's handle, without the @",
    "schema": {"type": "string", "pattern": f"^{HANDLE.pattern}$"},
}
ACTIVITY_PARAMETER = {"name": "activity_uuid", "in": "path", "required": True, "schema": UUID}

# Answers any operation may give. Fault knobs (/admin/faults) can make any route but the
# admin and health ones answer 503 injected_fault.
INJECTED_FAULT = {"503": _error("injected_fault (a fault knob is on), or users_service_unavailable")}
BAD_BODY = {
    "400": _error("content_type_not_json, malformed_json or body_not_object"),
    "413": _error(f"body_too_large: over {MAX_BODY_BYTES} bytes"),
    "422": _error("Invalid fields; the codes name them"),
}


def _operation(summary: str, ok: dict, errors: dict | None = None, **extra) -> dict:
    return {"summary": summary, "responses": {"200": ok, **INJECTED_FAULT, **(errors or {})}, **extra}


def _body(schema: dict) -> dict:
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


def document(version: str) -> dict:
    activity_list = _json(_list_of("Activity"), "Activities, newest first")
    unknown_user = {"404": _error("user_not_found"), "422": _error("user_handle_invalid")}
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Cruddur API (backend-flask)",
            "version": version,
            "description": "The lab's instrumented app. No authentication: every request acts as one user.",
        },
        "paths": {
            "/api/activities/home": {"get": _operation("The home feed", activity_list)},
            "/api/activities/notifications": {"get": _operation("Notifications", activity_list)},
            "/api/activities/@{handle}": {
                "parameters": [HANDLE_PARAMETER],
                "get": _operation("A user's activities (asks users-api)", activity_list, unknown_user),
            },
            "/api/activities/search": {
                "get": _operation(
                    "Activities whose message contains the term",
                    activity_list,
                    {"422": _error("search_term_blank, search_term_invalid or search_term_exceed_max_chars")},
                    parameters=[
                        {
                            "name": "term",
                            "in": "query",
                            "required": True,
                            "schema": _text(activities.SEARCH_TERM_MAX_CHARS),
                        }
                    ],
                )
            },
            "/api/activities": {
                "post": _operation(
                    "Post an activity",
                    _json(_ref("Activity"), "The new activity"),
                    BAD_BODY,
                    **_body(
                        _object(
                            {
                                "message": _text(activities.MESSAGE_MAX_CHARS),
                                "ttl": {"type": "string", "enum": list(activities.TTLS)},
                            }
                        )
                    ),
                )
            },
            "/api/activities/{activity_uuid}": {
                "parameters": [ACTIVITY_PARAMETER],
                "get": _operation(
                    "One activity", _json(_ref("Activity"), "The activity"), {"404": _error("activity_not_found")}
                ),
            },
            "/api/activities/{activity_uuid}/reply": {
                "parameters": [ACTIVITY_PARAMETER],
                "post": _operation(
                    "Reply to an activity",
                    _json(_ref("Reply"), "The new reply"),
                    {**BAD_BODY, "404": _error("activity_not_found")},
                    **_body(_object({"message": _text(activities.REPLY_MAX_CHARS)})),
                ),
            },
            "/api/message_groups": {
                "get": _operation("Conversations of the user", _json(_list_of("MessageGroup"), "Newest first"))
            },
            "/api/messages/@{handle}": {
                "parameters": [HANDLE_PARAMETER],
                "get": _operation(
                    "The conversation with a user (asks users-api)",
                    _json(_list_of("Message"), "Oldest first"),
                    unknown_user,
                ),
            },
            "/api/messages": {
                "post": _operation(
                    "Send a message (asks users-api)",
                    _json(_ref("Message"), "The message sent"),
                    BAD_BODY,
                    **_body(
                        _object(
                            {
                                "user_receiver_handle": HANDLE_PARAMETER["schema"],
                                "message": _text(messages.MESSAGE_MAX_CHARS),
                            }
                        )
                    ),
                )
            },
            "/api/openapi.json": {
                "get": _operation("This document", {"description": "OpenAPI 3.0", "content": {"application/json": {}}})
            },
            "/health": {
                "get": {
                    "summary": "For the container's health check",
                    "responses": {"200": _json(_object({"status": {"type": "string", "enum": ["ok"]}}), "Up")},
                }
            },
            "/rollbar/test": {
                "get": _operation(
                    "Report a message to Rollbar (when ROLLBAR_ACCESS_TOKEN is set)",
                    _json(_object({"reported": {"type": "boolean"}, "message": TEXT}), "Reported or not"),
                )
            },
            "/admin/faults": {
                "get": {"summary": "The fault knobs", "responses": {"200": _json(_ref("Faults"), "Knobs by route")}},
                "put": {
                    "summary": "Set one knob: a route (a Flask rule as in the code, or *), and the values its "
                    "parameters must have for the knob to touch a request (params, optional)",
                    **_body(
                        _object(
                            {"route": TEXT},
                            {
                                "params": FAULT_PARAMS,
                                "delay_ms": {"type": "integer", "minimum": 0, "maximum": MAX_DELAY_MS},
                                "error_rate": {"type": "number", "minimum": 0, "maximum": 1},
                            },
                        )
                    ),
                    "responses": {
                        "200": _json(_ref("Faults"), "Knobs by route"),
                        **BAD_BODY,
                    },
                },
                "delete": {"summary": "Clear every knob", "responses": {"200": _json(_ref("Faults"), "No knobs")}},
            },
        },
        "components": {"schemas": SCHEMAS},
    }
