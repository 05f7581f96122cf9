"""The Flask services' container health check, against a real local HTTP server."""

import pytest

from local_http import local_server
from obslab_common import healthcheck


@pytest.fixture
def service_folder(tmp_path, monkeypatch):
    """A service folder whose gunicorn.conf.py binds `port`; the check runs in it."""
    monkeypatch.chdir(tmp_path)

    def bind(port: int) -> None:
        (tmp_path / "gunicorn.conf.py").write_text(f'bind = "0.0.0.0:{port}"\n')

    return bind


@pytest.mark.parametrize(("status", "healthy"), [(200, True), (503, False), (404, False)])
def test_health_follows_the_status_of_health(service_folder, status, healthy):
    paths = []

    def answer(method, path, headers, body):
        paths.append(path)
        return status, "text/plain", b"ok"

    with local_server(answer) as url:
        service_folder(int(url.rsplit(":", 1)[1]))
        assert (healthcheck.main() == 0) is healthy
    assert paths == ["/health"]


def test_nothing_listening_is_unhealthy(service_folder, capsys):
    with local_server(lambda *request: (200, "text/plain", b"")) as url:
        port = int(url.rsplit(":", 1)[1])
    service_folder(port)  # the server is gone: the port refuses connections
    assert healthcheck.main() == 1
    assert "unhealthy" in capsys.readouterr().err
