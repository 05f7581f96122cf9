"""backend-flask's view of users-api, the downstream service that knows Cruddur's users.

`UsersDirectory` is the contract: what backend-flask needs from users-api, nothing more. The
app holds one (`create_app(users=...)`); in the lab it is `UsersApiClient`, which calls users-api
over HTTP with `requests`, so both tracers follow the call into the other process
(OpenTelemetry through traceparent, X-Ray through X-Amzn-Trace-Id). Unit tests hand the app an
in-process fake instead.
"""

from typing import Protocol

import requests

from obslab_common.errors import ApiError, invalid
from obslab_common.validation import handle_errors


class UsersDirectory(Protocol):
    def profile(self, handle: str) -> dict | None:
        """The user's profile, None if there is no such user; UsersUnavailable if the directory fails."""


class UsersUnavailable(ApiError):
    """users-api failed (down, slow, or a wrong answer): 503 users_service_unavailable."""

    def __init__(self, message: str):
        super().__init__(503, "users_service_unavailable", message=message)


class UsersApiClient:
    """UsersDirectory over users-api's HTTP API (GET /users/@<handle>)."""

    # Short timeouts (connect, read): a slow or stopped users-api must not hold requests for long.
    def __init__(self, base_url: str, timeout: tuple[float, float] = (0.5, 3.0)):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._session = requests.Session()

    def profile(self, handle: str) -> dict | None:
        try:
            response = self._session.get(f"{self.base_url}/users/@{handle}", timeout=self.timeout)
        except requests.RequestException as error:
            raise UsersUnavailable(f"users-api did not answer: {type(error).__name__}") from None
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise UsersUnavailable(f"users-api answered {response.status_code}")
        try:
            user = response.json()
        except ValueError:
            raise UsersUnavailable("users-api answered something that is not JSON") from None
        if not isinstance(user, dict) or "handle" not in user:
            raise UsersUnavailable("users-api answered JSON that is not a profile")
        return user


def existing_profile(users: UsersDirectory, handle: str) -> dict:
    """The profile of a user named in a URL: 422 for a malformed handle, 404 for an unknown user."""
    if errors := handle_errors(handle):
        raise invalid(*errors)
    user = users.profile(handle)
    if user is None:
        raise ApiError(404, "user_not_found", message=f"There is no user @{handle}.")
    return user
