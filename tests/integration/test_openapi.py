"""The Cruddur API's OpenAPI document (GET /api/openapi.json, backend_flask.openapi) against the
real service: schemathesis generates requests from it, valid and invalid, for every operation,
and checks every answer: no 5xx, and nothing outside the document (status codes, content types,
bodies, headers). That the document lists every route is tests/unit/test_openapi.py's job."""

import subprocess
import sys
from pathlib import Path

import pytest
import requests

pytestmark = pytest.mark.integration

SCHEMATHESIS = str(Path(sys.executable).with_name("schemathesis"))
# Enough to reach every status code of every operation; the run takes about 10 s.
MAX_EXAMPLES = "30"


def schemathesis(lab, *selection: str) -> None:
    command = [
        SCHEMATHESIS, "run", f"{lab.backend}/api/openapi.json", "--checks", "all",
        "--max-examples", MAX_EXAMPLES, "--no-color", "--request-timeout", "10", *selection,
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    # Its report names each failure with a curl command that reproduces it, and the seed.
    assert result.returncode == 0, result.stdout[-12000:] + result.stderr[-3000:]


def test_the_service_serves_its_document(lab):
    document = requests.get(f"{lab.backend}/api/openapi.json", timeout=5).json()
    assert document["openapi"].startswith("3.")
    assert "/api/activities/home" in document["paths"]


def test_generated_requests_get_no_server_error_and_only_documented_answers(lab):
    # Every operation but two: the fault knobs' PUT and DELETE (random knobs would slow down and
    # break the other tests' requests; GET /admin/faults is fuzzed), and POST /api/messages (below).
    schemathesis(lab, "--exclude-method", "PUT", "--exclude-method", "DELETE", "--exclude-path", "/api/messages")


def test_generated_messages_get_no_server_error_and_only_documented_answers(lab):
    # A valid message to a handle users-api does not know is refused (422 user_receiver_not_found),
    # which the document cannot express as a schema: so without the check that valid-looking
    # requests are accepted.
    schemathesis(
        lab, "--include-path", "/api/messages", "--include-method", "POST",
        "--exclude-checks", "positive_data_acceptance",
    )  # fmt: skip
