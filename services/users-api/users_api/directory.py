"""The user directory: a handful of Cruddur users, looked up by handle (case-insensitive)."""

from obslab_common.telemetry import traced

USERS = {
    user["handle"]: user
    for user in (
        {"handle": "andrewbrown", "display_name": "Andrew Brown", "bio": "Cloud is very fun!", "cruds_count": 42},
        {"handle": "worf", "display_name": "Worf", "bio": "Son of Mogh.", "cruds_count": 7},
        {"handle": "garek", "display_name": "Garek", "bio": "Just a simple tailor.", "cruds_count": 3},
        {"handle": "coco", "display_name": "Coco", "bio": "I am white unicorn.", "cruds_count": 1},
        {"handle": "bayko", "display_name": "Bayko", "bio": "Busy building.", "cruds_count": 0},
    )
}


def lookup(handle: str) -> dict | None:
    with traced("users-directory-lookup") as work:
        work.set("app.user.handle", handle)
        user = USERS.get(handle.lower())
        work.set("app.user.found", user is not None)
        if user:
            work.detail("profile", user)
        return dict(user) if user else None
