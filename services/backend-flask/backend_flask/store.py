"""Cruddur's data, kept in the process: the exercise's mock data (obslab_common's seed.json)
plus what users post, so a POST shows up in the next GET. No database in this lab. Posted items
(activities, replies, messages) are capped, so that a long load test cannot exhaust memory; the
oldest go first. Times are fixed
when the process starts, so the mock data ages like real data."""

import re
import threading
import uuid
from collections import deque
from copy import deepcopy
from datetime import UTC, datetime, timedelta

from obslab_common import seed

MAX_POSTED = 1000
# Replies kept per activity, the newest: every reply to a seed activity stays in memory for as
# long as the process runs, and each /home answer carries them (a long load test posts thousands).
MAX_REPLIES = 100
# How many posted activities the home feed shows before the exercise's three.
HOME_FEED_POSTED = 20


def handle_key(handle: str) -> str:
    """The mock data writes authors as "Andrew Brown"; URLs say @andrewbrown."""
    return re.sub(r"\s+", "", handle).lower()


def _activity(uuid_, handle, message, created_at, expires_at, likes=0, replies=()):
    return {
        "uuid": uuid_,
        "handle": handle,
        "message": message,
        "created_at": created_at.isoformat(),
        "expires_at": expires_at.isoformat(),
        "likes_count": likes,
        "replies_count": len(replies),
        "reposts_count": 0,
        "replies": list(replies),
    }


def _reply(uuid_, activity_uuid, handle, message, created_at):
    return {
        "uuid": uuid_,
        "reply_to_activity_uuid": activity_uuid,
        "handle": handle,
        "message": message,
        "likes_count": 0,
        "replies_count": 0,
        "reposts_count": 0,
        "created_at": created_at.isoformat(),
    }


def _message(uuid_, display_name, handle, message, created_at):
    return {
        "uuid": uuid_,
        "display_name": display_name,
        "handle": handle,
        "message": message,
        "created_at": created_at.isoformat(),
    }


def _hours_ago(now: datetime, hours: float) -> datetime:
    return now - timedelta(hours=hours)


def _seeded_activity(seeded: dict, now: datetime) -> dict:
    created = _hours_ago(now, seeded["created_hours_ago"])
    replies = [
        _reply(r["uuid"], seeded["uuid"], r["handle"], r["message"], _hours_ago(now, r["created_hours_ago"]))
        for r in seeded["replies"]
    ]
    return _activity(
        seeded["uuid"],
        seeded["handle"],
        seeded["message"],
        created,
        now + timedelta(hours=seeded["expires_in_hours"]),
        likes=seeded["likes_count"],
        replies=replies,
    )


class Store:
    def __init__(self, now: datetime | None = None):
        now = now or datetime.now(UTC)
        self._lock = threading.Lock()
        data = seed.load()
        self._mock = [_seeded_activity(activity, now) for activity in data["home_activities"]]
        self._notifications = [_seeded_activity(activity, now) for activity in data["notifications"]]
        self._posted: deque[dict] = deque(maxlen=MAX_POSTED)
        # Conversations of the signed-in user, by the other user's handle.
        self._conversations: dict[str, list[dict]] = {}
        self._group_ids: dict[str, str] = {}
        self._display_names: dict[str, str] = {}
        for conversation in data["conversations"]:
            key = conversation["handle"]
            self._conversations[key] = [
                _message(
                    m["uuid"], m["display_name"], m["handle"], m["message"], _hours_ago(now, m["created_hours_ago"])
                )
                for m in conversation["messages"]
            ]
            self._group_ids[key] = conversation["group_uuid"]
            self._display_names[key] = conversation["display_name"]

    # Reads return copies: callers may not change the store behind the lock's back.

    def home(self) -> list[dict]:
        with self._lock:
            return deepcopy(list(self._posted)[-HOME_FEED_POSTED:][::-1] + self._mock)

    def notifications(self) -> list[dict]:
        with self._lock:
            return deepcopy(self._notifications)

    def _all_activities(self) -> list[dict]:
        return list(self._posted)[::-1] + self._mock

    def by_author(self, handle: str) -> list[dict]:
        key = handle_key(handle)
        with self._lock:
            return deepcopy([a for a in self._all_activities() if handle_key(a["handle"]) == key])

    def search(self, term: str) -> list[dict]:
        needle = term.casefold()
        with self._lock:
            return deepcopy([a for a in self._all_activities() if needle in a["message"].casefold()])

    def activity(self, activity_uuid: str) -> dict | None:
        with self._lock:
            found = next((a for a in self._all_activities() if a["uuid"] == activity_uuid), None)
            return deepcopy(found)

    def add_activity(self, handle: str, message: str, ttl: timedelta) -> dict:
        now = datetime.now(UTC)
        activity = _activity(str(uuid.uuid4()), handle, message, now, now + ttl)
        with self._lock:
            self._posted.append(activity)
            return deepcopy(activity)

    def add_reply(self, activity_uuid: str, handle: str, message: str) -> dict | None:
        reply = _reply(str(uuid.uuid4()), activity_uuid, handle, message, datetime.now(UTC))
        with self._lock:
            activity = next((a for a in self._all_activities() if a["uuid"] == activity_uuid), None)
            if activity is None:
                return None
            activity["replies"].append(reply)
            del activity["replies"][:-MAX_REPLIES]
            activity["replies_count"] = len(activity["replies"])
            return deepcopy(reply)

    def message_groups(self) -> list[dict]:
        with self._lock:
            groups = [
                {
                    "uuid": self._group_ids[handle],
                    "display_name": self._display_names[handle],
                    "handle": handle,
                    "created_at": messages[-1]["created_at"],
                }
                for handle, messages in self._conversations.items()
            ]
        return sorted(groups, key=lambda group: group["created_at"], reverse=True)

    def messages_with(self, handle: str) -> list[dict]:
        with self._lock:
            return deepcopy(self._conversations.get(handle_key(handle), []))

    def add_message(self, sender: dict, receiver: dict, message: str) -> dict:
        key = handle_key(receiver["handle"])
        entry = _message(str(uuid.uuid4()), sender["display_name"], sender["handle"], message, datetime.now(UTC))
        # Receivers must exist in the user directory, so conversations are few; messages are capped.
        with self._lock:
            conversation = self._conversations.setdefault(key, [])
            self._group_ids.setdefault(key, str(uuid.uuid4()))
            self._display_names[key] = receiver["display_name"]
            conversation.append(entry)
            del conversation[:-MAX_POSTED]
            return deepcopy(entry)
