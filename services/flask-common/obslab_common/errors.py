"""Every error a client can cause gets a JSON answer of the same shape:

    {"errors": ["<code>", ...], "message": "<what to fix>"}

422 lists the invalid fields' codes; 400 is a body that is not a JSON object sent as JSON;
404/405/413 come from routing and the body-size limit. A 500 only comes from a bug in our code,
never from input.
"""

import json

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException, InternalServerError, MethodNotAllowed

# Request bodies above this size are refused with 413 before they are read.
MAX_BODY_BYTES = 16 * 1024

_HTTP_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "body_too_large",
}


class ApiError(Exception):
    def __init__(self, status: int, *codes: str, message: str = ""):
        super().__init__(message or ", ".join(codes))
        self.status = status
        self.codes = list(codes)
        self.message = message


def invalid(*codes: str) -> ApiError:
    return ApiError(422, *codes, message="Some fields are invalid; see the error codes.")


def json_body() -> dict:
    """The request's JSON object, or a 400 for a wrong content type or a body that is not one."""
    if not request.is_json:
        raise ApiError(400, "content_type_not_json", message="Send the body as Content-Type: application/json.")
    try:
        body = json.loads(request.get_data(cache=True))
    except (ValueError, RecursionError):  # ValueError includes UnicodeDecodeError; nesting too deep
        raise ApiError(400, "malformed_json", message="The body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise ApiError(400, "body_not_object", message="The body must be a JSON object.")
    return body


def register(app: Flask) -> None:
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES

    @app.errorhandler(ApiError)
    def api_error(error: ApiError):
        return jsonify(errors=error.codes, message=error.message), error.status

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        response = jsonify(errors=[_HTTP_CODES.get(error.code, "http_error")], message=error.description)
        response.status_code = error.code
        if isinstance(error, MethodNotAllowed) and error.valid_methods:
            response.headers["Allow"] = ", ".join(error.valid_methods)
        return response

    # Registered for 500 rather than Exception: Flask then still signals got_request_exception,
    # which error reporting (Rollbar) listens to.
    @app.errorhandler(InternalServerError)
    def internal_error(error: InternalServerError):
        return jsonify(errors=["internal_error"], message="Something went wrong on our side."), 500
