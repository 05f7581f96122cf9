"""Client of users-api, the downstream service that knows Cruddur's users. Calls go over HTTP
with `requests`, so both tracers follow them into the other process: OpenTelemetry through the
traceparent header, X-Ray through X-Amzn-Trace-Id."""

import os

import requests

from obslab_common.errors import ApiError, invalid
from obslab_common.validation import handle_errors

# Short timeouts: a slow or stopped users-api must not hold requests for long.
TIMEOUT = (0.5, 3.0)
_session = requests.Session()


def _base_url() -> str:
    return os.environ.get("USERS_API_URL", "http://users-api:4568")


def profile(handle: str) -> dict | None:
    """The user's profile, None if there is no such user; ApiError(503) if users-api fails."""
    try:
        response = _session.get(f"{_base_url()}/users/@{handle}", timeout=TIMEOUT)
    except requests.RequestException as error:
        raise _unavailable(f"users-api did not answer: {type(error).__name__}") from None
    if response.status_code == 404:
        return None
    if response.status_code != 200:
        raise _unavailable(f"users-api answered {response.status_code}")
    try:
        return response.json()
    except ValueError:
        raise _unavailable("users-api answered something that is not JSON") from None


def existing_profile(handle: str) -> dict:
    """The profile of a user named in a URL: 422 for a malformed handle, 404 for an unknown user."""
    if errors := handle_errors(handle):
        raise invalid(*errors)
    user = profile(handle)
    if user is None:
        raise ApiError(404, "user_not_found", message=f"There is no user @{handle}.")
    return user


def _unavailable(message: str) -> ApiError:
    return ApiError(503, "users_service_unavailable", message=message)
