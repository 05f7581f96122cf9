"""X-Ray state, in LocalStack's own store classes: one XRayStore per account and region, so
isolation, reset and persistence work as for LocalStack's built-in services."""

import threading
import time

from localstack.services.stores import AccountRegionBundle, BaseStore, LocalAttribute

from obslab_xray.paging import Selections
from obslab_xray.sampling import Targets

# Oldest traces are dropped beyond this, so a long load test cannot exhaust memory.
MAX_TRACES = 20_000


class XRayStore(BaseStore):
    # trace id -> Trace, in arrival order
    traces: dict = LocalAttribute(default=dict)
    # group name -> Group (as the API returns it)
    groups: dict = LocalAttribute(default=dict)
    # rule name -> {"SamplingRule": ..., "CreatedAt": epoch, "ModifiedAt": epoch}; Default added on first use
    sampling_rules: dict = LocalAttribute(default=dict)
    last_rule_modification: float = LocalAttribute(default=time.time)
    sampling_targets: Targets = LocalAttribute(default=Targets)
    telemetry_records: list = LocalAttribute(default=list)
    # What recent GetTraceSummaries queries selected, for their next pages (not saved).
    summary_selections: Selections = LocalAttribute(default=Selections)


xray_stores = AccountRegionBundle("xray", XRayStore)

# LocalStack serves requests on several threads: the provider reads and changes the stores under
# this lock, and obslab_xray.persistence saves them under it.
STATE_LOCK = threading.RLock()
_changes = 0


def changed() -> None:
    """Call after changing a store (under STATE_LOCK): the next periodic save writes it."""
    global _changes
    _changes += 1


def changes() -> int:
    return _changes
