"""Cruddur's data, kept in the process: the exercise's mock data plus what users post, so a POST
shows up in the next GET. No database in this lab. Posted items are capped, so that a long load
test cannot exhaust memory; the oldest go first. Times are fixed when the process starts, so
the mock data ages like real data."""

import re
import threading
import uuid
from collections import deque
from copy import deepcopy
from datetime import datetime, timedelta, timezone

MAX_POSTED = 1000
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


class Store:
    def __init__(self, now: datetime | None = None):
        now = now or datetime.now(timezone.utc)
        self._lock = threading.Lock()
        andrew = "68f126b0-1ceb-4a33-88be-d90fa7109eee"
        self._mock = [
            _activity(
                andrew, "Andrew Brown", "Cloud is very fun!", now - timedelta(days=2), now + timedelta(days=5),
                likes=5,
                replies=[_reply("26e12864-1c26-5c3a-9658-97a10f8fea67", andrew, "Worf",
                                "This post has no honor!", now - timedelta(days=2))],
            ),
            _activity("66e12864-8c26-4c3a-9658-95a10f8fea67", "Worf", "I am out of prune juice",
                      now - timedelta(days=7), now + timedelta(days=9)),
            _activity("248959df-3079-4947-b847-9e0892d1bab4", "Garek", "My dear doctor, I am just simple tailor",
                      now - timedelta(hours=1), now + timedelta(hours=12)),
        ]
        self._notifications = [
            _activity("68f126b0-1ceb-4a33-88be-d90fa7109eef", "coco", "I am white unicorn",
                      now - timedelta(days=2), now + timedelta(days=5), likes=5),
        ]
        self._posted: deque[dict] = deque(maxlen=MAX_POSTED)
        # Conversations of the signed-in user, by the other user's handle.
        self._conversations: dict[str, list[dict]] = {
            "worf": [
                _message("4e81c06a-db0f-4281-b4cc-98208537772a", "Andrew Brown", "andrewbrown",
                         "Cloud is fun!", now - timedelta(days=1)),
                _message("66e12864-8c26-4c3a-9658-95a10f8fea68", "Worf", "worf",
                         "This computer you call a home is not worth of a warrior, nor the hold of a garbage scow!",
                         now - timedelta(hours=20)),
            ],
        }
        self._group_ids = {"worf": "417c360e-c4e6-4fce-873b-d2d71469b4ac"}
        self._display_names = {"worf": "Worf"}

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
        now = datetime.now(timezone.utc)
        activity = _activity(str(uuid.uuid4()), handle, message, now, now + ttl)
        with self._lock:
            self._posted.append(activity)
            return deepcopy(activity)

    def add_reply(self, activity_uuid: str, handle: str, message: str) -> dict | None:
        reply = _reply(str(uuid.uuid4()), activity_uuid, handle, message, datetime.now(timezone.utc))
        with self._lock:
            activity = next((a for a in self._all_activities() if a["uuid"] == activity_uuid), None)
            if activity is None:
                return None
            activity["replies"].append(reply)
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
        entry = _message(str(uuid.uuid4()), sender["display_name"], sender["handle"], message,
                         datetime.now(timezone.utc))
        # Receivers must exist in the user directory, so conversations are few; messages are capped.
        with self._lock:
            conversation = self._conversations.setdefault(key, [])
            self._group_ids.setdefault(key, str(uuid.uuid4()))
            self._display_names[key] = receiver["display_name"]
            conversation.append(entry)
            del conversation[:-MAX_POSTED]
            return deepcopy(entry)
