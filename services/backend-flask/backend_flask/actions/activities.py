"""Activities ("cruds"): the feeds, a user's activities, search, one activity, posting, replying.
Each function validates its input (ApiError on bad input) and traces its work with traced()."""

from datetime import UTC, datetime, timedelta

from backend_flask.store import Store
from backend_flask.users_directory import UsersDirectory, existing_profile
from obslab_common.errors import ApiError, invalid
from obslab_common.telemetry import meter, traced
from obslab_common.validation import text_errors

MESSAGE_MAX_CHARS = 280
REPLY_MAX_CHARS = 1024
SEARCH_TERM_MAX_CHARS = 280
TTLS = {
    "30-days": timedelta(days=30),
    "7-days": timedelta(days=7),
    "3-days": timedelta(days=3),
    "1-day": timedelta(days=1),
    "12-hours": timedelta(hours=12),
    "3-hours": timedelta(hours=3),
    "1-hour": timedelta(hours=1),
}

# In Prometheus: cruddur_activities_created_total{app_activity_ttl="7-days", service_name="backend-flask"}
ACTIVITIES_CREATED = meter.create_counter(
    "cruddur.activities.created", unit="{activity}", description="Activities posted, by their time to live"
)


def home(store: Store) -> list[dict]:
    with traced("home-activities-mock-data") as work:
        work.set("app.now", datetime.now(UTC).isoformat())
        results = store.home()
        work.set("app.result_length", len(results))
        return results


def notifications(store: Store) -> list[dict]:
    with traced("notifications-activities") as work:
        results = store.notifications()
        work.set("app.result_length", len(results))
        return results


def by_user(store: Store, users: UsersDirectory, handle: str) -> list[dict]:
    user = existing_profile(users, handle)
    with traced("user-activities") as work:
        work.set("app.user.handle", user["handle"])
        results = store.by_author(user["handle"])
        work.set("app.result_length", len(results))
        return results


def search(store: Store, term: str | None) -> list[dict]:
    if errors := text_errors(term, "search_term", SEARCH_TERM_MAX_CHARS):
        raise invalid(*errors)
    with traced("search-activities") as work:
        # A search term can be personal data: only its length goes into telemetry.
        work.set("app.search.term_length", len(term))
        results = store.search(term.strip())
        work.set("app.result_length", len(results))
        return results


def show(store: Store, activity_uuid: str) -> dict:
    with traced("show-activity") as work:
        work.set("app.activity.uuid", activity_uuid)
        activity = store.activity(activity_uuid)
        work.set("app.activity.found", activity is not None)
    if activity is None:
        raise ApiError(404, "activity_not_found", message=f"There is no activity {activity_uuid}.")
    return activity


def create(store: Store, author: str, body: dict) -> dict:
    message, ttl = body.get("message"), body.get("ttl")
    errors = text_errors(message, "message", MESSAGE_MAX_CHARS)
    if ttl is None or ttl == "":
        errors.append("ttl_blank")
    elif not isinstance(ttl, str) or ttl not in TTLS:
        errors.append("ttl_invalid")
    if errors:
        raise invalid(*errors)
    with traced("create-activity") as work:
        work.set("app.activity.ttl", ttl)
        work.set("app.message_length", len(message))
        activity = store.add_activity(author, message.strip(), TTLS[ttl])
        ACTIVITIES_CREATED.add(1, {"app.activity.ttl": ttl})
        work.set("app.activity.uuid", activity["uuid"])
        work.detail("activity", activity)
        return activity


def reply(store: Store, author: str, activity_uuid: str, body: dict) -> dict:
    message = body.get("message")
    if errors := text_errors(message, "message", REPLY_MAX_CHARS):
        raise invalid(*errors)
    with traced("create-reply") as work:
        work.set("app.activity.uuid", activity_uuid)
        work.set("app.message_length", len(message))
        created = store.add_reply(activity_uuid, author, message.strip())
        work.set("app.activity.found", created is not None)
    if created is None:
        raise ApiError(404, "activity_not_found", message=f"There is no activity {activity_uuid}.")
    return created
