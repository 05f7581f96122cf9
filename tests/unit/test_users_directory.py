"""UsersApiClient, backend-flask's side of the users-api contract, against a real local HTTP
server answering as users-api does, and as it does when it fails."""

import json
import time

import pytest

from backend_flask.users_directory import UsersApiClient, UsersUnavailable, existing_profile
from local_http import local_server
from obslab_common.errors import ApiError

WORF = {"handle": "worf", "display_name": "Worf", "bio": "Son of Mogh.", "cruds_count": 7}


def users_api(method, path, headers, body):
    if path == "/users/@worf":
        return 200, "application/json", json.dumps(WORF).encode()
    return 404, "application/json", b'{"errors": ["user_not_found"], "message": "There is no user."}'


def test_a_known_user_is_its_profile_and_an_unknown_one_is_none():
    with local_server(users_api) as url:
        client = UsersApiClient(url)
        assert client.profile("worf") == WORF
        assert client.profile("nobody") is None


def test_existing_profile_answers_404_for_an_unknown_user_and_422_for_a_bad_handle():
    with local_server(users_api) as url:
        client = UsersApiClient(url)
        with pytest.raises(ApiError) as unknown:
            existing_profile(client, "nobody")
        with pytest.raises(ApiError) as malformed:
            existing_profile(client, "not a handle!")
    assert (unknown.value.status, unknown.value.codes) == (404, ["user_not_found"])
    assert (malformed.value.status, malformed.value.codes) == (422, ["user_handle_invalid"])


def _answering(status, content_type, body, delay=0.0):
    def answer(method, path, headers, request_body):
        time.sleep(delay)
        return status, content_type, body

    return answer


@pytest.mark.parametrize(
    "answer, message",
    [
        (_answering(500, "application/json", b'{"errors": ["internal_error"]}'), "users-api answered 500"),
        (_answering(503, "application/json", b'{"errors": ["injected_fault"]}'), "users-api answered 503"),
        (_answering(200, "text/html", b"<html>gateway</html>"), "not JSON"),
        (_answering(200, "application/json", b'["worf"]'), "not a profile"),
        (_answering(200, "application/json", json.dumps(WORF).encode(), delay=1.0), "ReadTimeout"),
    ],
    ids=["5xx", "injected fault", "not JSON", "JSON but no profile", "timeout"],
)
def test_a_failing_users_api_is_503_users_service_unavailable(answer, message):
    with local_server(answer) as url:
        client = UsersApiClient(url, timeout=(0.5, 0.2))
        with pytest.raises(UsersUnavailable, match=message) as error:
            client.profile("worf")
    assert (error.value.status, error.value.codes) == (503, ["users_service_unavailable"])


def test_a_stopped_users_api_is_503_users_service_unavailable():
    with local_server(users_api) as url:
        pass  # the server is gone once the block ends: nothing listens on its port
    with pytest.raises(UsersUnavailable, match="ConnectionError"):
        UsersApiClient(url).profile("worf")
