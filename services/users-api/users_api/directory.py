"""The user directory: a handful of Cruddur users, looked up by handle (case-insensitive)."""

from obslab_common import seed
from obslab_common.telemetry import meter, traced

USERS = {user["handle"]: user for user in seed.load()["users"]}
# In Prometheus: users_lookups_total{app_user_found="true", service_name="users-api"}
LOOKUPS = meter.create_counter("users.lookups", unit="{lookup}", description="User lookups, found or not")


def lookup(handle: str) -> dict | None:
    with traced("users-directory-lookup") as work:
        work.set("app.user.handle", handle)
        user = USERS.get(handle.lower())
        work.set("app.user.found", user is not None)
        LOOKUPS.add(1, {"app.user.found": user is not None})
        if user:
            work.detail("profile", user)
        return dict(user) if user else None
