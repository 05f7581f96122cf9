"""The X-Ray SDK's emitter as the services configure it, against a real UDP socket."""

import socket

from obslab_common import telemetry


class _Entity:
    def __init__(self, n: int):
        self.n = n

    def serialize(self) -> str:
        return f'{{"n": {self.n}}}'


def test_segments_reach_the_daemon_and_its_name_is_resolved_once(monkeypatch):
    lookups = []
    resolve = socket.gethostbyname
    monkeypatch.setattr(socket, "gethostbyname", lambda name: lookups.append(name) or resolve(name))
    daemon = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    daemon.bind(("127.0.0.1", 0))
    daemon.settimeout(5)
    try:
        emitter = telemetry.DaemonEmitter(f"localhost:{daemon.getsockname()[1]}")
        for n in range(3):
            emitter.send_entity(_Entity(n))
        received = [daemon.recv(65536) for _ in range(3)]
    finally:
        daemon.close()
    # The daemon's protocol: a JSON header line, then the document.
    assert [line.split(b"\n")[1] for line in received] == [b'{"n": 0}', b'{"n": 1}', b'{"n": 2}']
    assert lookups == ["localhost"]


def test_a_new_daemon_address_is_resolved_again(monkeypatch):
    emitter = telemetry.DaemonEmitter("127.0.0.1:2000")
    emitter._send_data("warm")  # resolves 127.0.0.1 (nothing listens: UDP does not care)
    lookups = []
    monkeypatch.setattr(socket, "gethostbyname", lambda name: lookups.append(name) or "127.0.0.1")
    emitter.set_daemon_address("localhost:2001")
    emitter._send_data("again")
    assert lookups == ["localhost"]
