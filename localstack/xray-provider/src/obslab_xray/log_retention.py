"""A cap on CloudWatch Logs events. LocalStack keeps every event in memory (moto's backend) for
as long as it runs, and the lab's services log a line per request: under load, about 150 MB an
hour. Each stream keeps its newest MAX_EVENTS_PER_STREAM events; older ones are dropped, as a
retention period would. Called every 30 s by the state saver (obslab_xray.persistence)."""

import os
from collections.abc import Iterator, Mapping

MAX_EVENTS_PER_STREAM = int(os.environ.get("OBSLAB_LOG_EVENTS_PER_STREAM", "50000"))


def streams(logs_backends: Mapping) -> Iterator[tuple[tuple, object]]:
    """((account, region, group name, stream name), stream) of every log stream of moto's backends.
    (Copies of each level: PutLogEvents may add a group or stream meanwhile.)"""
    for account, by_region in list(logs_backends.items()):
        for region, backend in list(by_region.items()):
            for group_name, group in list(backend.groups.items()):
                for stream_name, stream in list(group.streams.items()):
                    yield (account, region, group_name, stream_name), stream


def trim(logs_backends: Mapping, max_events: int = MAX_EVENTS_PER_STREAM) -> int:
    """Drops the oldest events of every stream beyond max_events; returns how many it dropped."""
    dropped = 0
    for _, stream in streams(logs_backends):
        excess = len(stream.events) - max_events
        if excess > 0:
            # Events arrive in order (a stream's PutLogEvents appends): the oldest are first.
            gone = stream.events[:excess]
            del stream.events[:excess]
            stream.stored_bytes = max(0, stream.stored_bytes - sum(len(e.message) for e in gone))
            dropped += excess
    return dropped
