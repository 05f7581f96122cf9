"""How the request log reaches CloudWatch: watchtower gets the lines in batches, not one by one."""

import logging
import time

from obslab_common import telemetry


class _Captured(logging.Handler):
    def __init__(self):
        super().__init__()
        self.messages: list[str] = []
        self.batches = 0
        self._last_batch_at = -1.0

    def emit(self, record):
        now = time.monotonic()
        if now - self._last_batch_at > 0.05:
            self.batches += 1
        self._last_batch_at = now
        self.messages.append(record.getMessage())


def test_request_lines_reach_the_shipper_in_batches_within_the_interval():
    target = _Captured()
    batches = telemetry._Batches(target, interval=0.2)
    logger = logging.getLogger("test.batches")
    logger.propagate = False
    logger.addHandler(batches)
    try:
        for n in range(50):
            logger.warning("line %d", n)
        assert target.messages == []  # held, not handed over one by one
        deadline = time.monotonic() + 5
        while len(target.messages) < 50 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert target.messages == [f"line {n}" for n in range(50)]
        assert target.batches == 1
        logger.warning("last line")
        batches.close()  # what telemetry.flush() does when gunicorn stops the worker
        assert target.messages[-1] == "last line"
    finally:
        logger.removeHandler(batches)
