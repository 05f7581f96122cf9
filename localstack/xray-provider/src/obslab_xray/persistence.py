"""The lab's LocalStack state on disk: X-Ray (our store: traces, groups, sampling rules) and
CloudWatch Logs (moto's backend: groups, streams, events). LocalStack Community keeps nothing
across a restart (its persistence is a Pro feature), so this module saves both to one file on
the volume at /var/lib/localstack and loads it when LocalStack starts again.

When: on shutdown (`docker compose stop`/`down`), and every SAVE_EVERY_SECONDS while something
changed, so a killed LocalStack loses at most that much (30 s). The file is written beside the old
one and then renamed over it: a crash while saving leaves the previous state, never half of one.
A file that cannot be loaded is kept aside (`state.pickle.unreadable`), never overwritten.

LocalStack imports happen inside the hooks only, so the pure parts test without LocalStack.
"""

import logging
import os
import pickle
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import BinaryIO

from obslab_xray import log_retention

FORMAT = 1
STATE_FILE = Path(os.environ.get("OBSLAB_STATE_FILE", "/var/lib/localstack/obslab/state.pickle"))
# Under load, a save of 20,000 traces takes about a second of LocalStack's CPU (and holds the X-Ray
# API meanwhile): every 30 s is cheap, and a stop saves everything anyway.
SAVE_EVERY_SECONDS = float(os.environ.get("OBSLAB_STATE_SAVE_SECONDS", "30"))
PROTOCOL = pickle.HIGHEST_PROTOCOL
# The X-Ray store's fields worth keeping (sampling targets and telemetry records are
# short-lived: the SDKs report again within seconds).
XRAY_FIELDS = ("traces", "groups", "sampling_rules", "last_rule_modification")

log = logging.getLogger(__name__)


def regions(bundle: Mapping) -> Iterable[tuple[str, str, object]]:
    """(account, region, store) of a LocalStack bundle or a moto backend dict."""
    for account, by_region in list(bundle.items()):
        for region, store in list(by_region.items()):
            yield account, region, store


def snapshot(xray_stores: Mapping, logs_backends: Mapping) -> dict:
    """The state to save, as plain containers of picklable objects."""
    return {
        "format": FORMAT,
        "xray": {
            (account, region): {name: getattr(store, name) for name in XRAY_FIELDS}
            for account, region, store in regions(xray_stores)
        },
        "logs": {
            (account, region): backend.groups for account, region, backend in regions(logs_backends) if backend.groups
        },
    }


def restore(state: dict, xray_stores: Mapping, logs_backends: Mapping) -> str:
    """Put a loaded snapshot back into the stores (which create a region on first access);
    returns a one-line summary."""
    if state.get("format") != FORMAT:
        raise ValueError(f"state format {state.get('format')!r}, expected {FORMAT}")
    traces = events = 0
    for (account, region), fields in state["xray"].items():
        store = xray_stores[account][region]
        for name, value in fields.items():
            setattr(store, name, value)
        traces += len(fields["traces"])
    for (account, region), groups in state["logs"].items():
        logs_backends[account][region].groups = groups
        events += sum(len(stream.events) for group in groups.values() for stream in group.streams.values())
    return f"{traces} X-Ray traces, {events} CloudWatch Logs events"


def logs_fingerprint(logs_backends: Mapping) -> tuple:
    """Changes whenever a log group, stream or event is added: no need to save when it is equal.
    A stream's length alone would not do: at the cap (obslab_xray.log_retention) it stays the
    same as events come and go, so its last ingestion time is part of it too."""
    return tuple(
        (name, len(stream.events), stream.last_ingestion_time) for name, stream in log_retention.streams(logs_backends)
    )


def write_atomically(path: Path, write: Callable[[BinaryIO], None]) -> None:
    """Calls write(file) on a new file beside `path`, then renames it over `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    with open(partial, "wb") as file:
        write(file)
        file.flush()
        os.fsync(file.fileno())
    os.replace(partial, path)


def keep_aside(path: Path, error: Exception) -> None:
    """A state file that cannot be used is renamed, never deleted: the data may still matter."""
    aside = path.with_name(path.name + ".unreadable")
    os.replace(path, aside)
    log.warning("could not load %s (%s); kept as %s, starting empty", path, error, aside)


def read(path: Path) -> dict | None:
    """The saved state, or None when there is none or it cannot be read (then kept aside)."""
    if not path.exists():
        return None
    try:
        with open(path, "rb") as file:
            return pickle.load(file)
    except Exception as error:  # a truncated or foreign file
        keep_aside(path, error)
        return None


class Saver:
    """Saves when the stores changed since the last save (`version()` says so), under `lock`
    (the X-Ray provider's: no request changes a trace while it is pickled)."""

    def __init__(self, path: Path, lock, stores: Callable[[], tuple[Mapping, Mapping]], version: Callable[[], tuple]):
        self.path, self._lock, self._stores, self._version = path, lock, stores, version
        self._saved_version = None

    def mark_loaded(self) -> None:
        self._saved_version = self._version()

    def save(self, force: bool = False) -> bool:
        version = self._version()
        if not force and version == self._saved_version:
            return False
        with self._lock:
            for attempt in range(3):
                try:  # moto's log streams have no lock: a PutLogEvents may resize one meanwhile
                    # Straight to the file: no copy of the whole state in memory.
                    write_atomically(self.path, lambda file: pickle.dump(snapshot(*self._stores()), file, PROTOCOL))
                    break
                except RuntimeError:
                    if attempt == 2:
                        raise
                    time.sleep(0.05)
        self._saved_version = version
        return True

    def save_periodically(self, every: float, stopped: threading.Event, before=lambda: None) -> None:
        while not stopped.wait(every):
            try:
                before()
                self.save()
            except Exception:  # keep trying: the next save may work (a full disk freed, ...)
                log.exception("could not save the lab's LocalStack state to %s", self.path)


# --- LocalStack's side: the hooks, found through the entry points in pyproject.toml ---

_stopped = threading.Event()
_saver: Saver | None = None


def _localstack_saver() -> Saver:
    from moto.logs.models import logs_backends

    from obslab_xray.store import STATE_LOCK, changes, xray_stores

    return Saver(
        STATE_FILE,
        STATE_LOCK,
        stores=lambda: (xray_stores, logs_backends),
        version=lambda: (changes(), logs_fingerprint(logs_backends)),
    )


def load_on_start() -> None:
    global _saver
    from moto.logs.models import logs_backends

    from obslab_xray.store import xray_stores

    _saver = _localstack_saver()
    state = read(STATE_FILE)
    if state is not None:
        try:
            log.warning("loaded the lab's state from %s: %s", STATE_FILE, restore(state, xray_stores, logs_backends))
        except Exception as error:  # a file of another version of the stores' classes
            keep_aside(STATE_FILE, error)
    _saver.mark_loaded()
    # The same thread keeps CloudWatch Logs within its cap (obslab_xray.log_retention).
    threading.Thread(
        target=_saver.save_periodically,
        args=(SAVE_EVERY_SECONDS, _stopped, lambda: log_retention.trim(logs_backends)),
        name="obslab-state",
        daemon=True,
    ).start()


def save_on_shutdown() -> None:
    _stopped.set()
    if _saver is not None:
        _saver.save(force=True)
        log.warning("saved the lab's state to %s", STATE_FILE)
