"""Traffic for the lab: Cruddur users who mostly read, sometimes post, and now and then send
something invalid. Request names group dynamic paths ([handle], [uuid]) so statistics and
traces line up per endpoint.

/rollbar/test is left out on purpose: with a token set it reports to a real third party.
LOCUST_THINK_TIME="min,max" sets the pause between a user's actions in seconds (default 1,4).
Handles and activities come from Cruddur's seed data (CRUDDUR_SEED, mounted by compose.yaml).
"""

import json
import os
import random
from pathlib import Path

from locust import HttpUser, between, task

SEED = json.loads(Path(os.environ.get("CRUDDUR_SEED", "/mnt/seed.json")).read_text())
HANDLES = [user["handle"] for user in SEED["users"]]
# Everyone but the signed-in user, to message.
OTHER_HANDLES = [handle for handle in HANDLES if handle != os.environ.get("CRUDDUR_USER_HANDLE")]
SEARCH_TERMS = ["cloud", "juice", "tailor", "honor", "unicorn", "fun", "warrior"]
TTLS = ["30-days", "7-days", "3-days", "1-day", "12-hours", "3-hours", "1-hour"]
MESSAGES = [
    "Shipping traces to Jaeger, segments to X-Ray.",
    "Who sampled this request?",
    "p90 looks fine, p99 does not.",
    "A crud a day keeps the on-call away.",
]
# The exercise's mock activities: always there to read and reply to.
KNOWN_ACTIVITIES = [activity["uuid"] for activity in SEED["home_activities"]]

# Invalid requests and the answer each must get (anything else is a failure).
INVALID_REQUESTS = [
    ("POST", "/api/activities", {"json": {"message": "", "ttl": "7-days"}}, 422),
    ("POST", "/api/activities", {"json": {"message": "x" * 281, "ttl": "7-days"}}, 422),
    ("POST", "/api/activities", {"data": "{not json", "headers": {"Content-Type": "application/json"}}, 400),
    ("GET", "/api/activities/search?term=", {}, 422),
    ("GET", "/api/activities/@nobody", {}, 404),
    ("POST", "/api/messages", {"json": {"user_receiver_handle": "nobody", "message": "hi"}}, 422),
]


THINK_TIME = [float(part) for part in os.environ.get("LOCUST_THINK_TIME", "1,4").split(",")]


class CruddurUser(HttpUser):
    # Think time between actions, like a person reading a feed.
    wait_time = between(*THINK_TIME)

    def on_start(self):
        self.activities = list(KNOWN_ACTIVITIES)

    @task(10)
    def home(self):
        self.client.get("/api/activities/home")

    @task(4)
    def notifications(self):
        self.client.get("/api/activities/notifications")

    @task(4)
    def user_activities(self):
        self.client.get(f"/api/activities/@{random.choice(HANDLES)}", name="/api/activities/@[handle]")

    @task(3)
    def search(self):
        self.client.get(
            "/api/activities/search", params={"term": random.choice(SEARCH_TERMS)}, name="/api/activities/search"
        )

    def _forget_if_gone(self, activity: str, response) -> None:
        """Cruddur keeps the newest 1,000 posted activities: after a while under load, one this
        user posted is gone, and 404 is the right answer. Not for the seed's, which stay."""
        if response.status_code == 404 and activity not in KNOWN_ACTIVITIES:
            self.activities = [a for a in self.activities if a != activity] or list(KNOWN_ACTIVITIES)
            response.success()

    @task(3)
    def show_activity(self):
        activity = random.choice(self.activities)
        with self.client.get(
            f"/api/activities/{activity}", name="/api/activities/[uuid]", catch_response=True
        ) as response:
            self._forget_if_gone(activity, response)

    @task(2)
    def message_groups(self):
        self.client.get("/api/message_groups")

    @task(2)
    def conversation(self):
        self.client.get(f"/api/messages/@{random.choice(OTHER_HANDLES)}", name="/api/messages/@[handle]")

    @task(2)
    def post_activity(self):
        body = {"message": random.choice(MESSAGES), "ttl": random.choice(TTLS)}
        with self.client.post("/api/activities", json=body, catch_response=True) as response:
            if response.status_code == 200:
                # Keep the list short: the newest activities are the ones people reply to.
                self.activities = (self.activities + [response.json()["uuid"]])[-20:]

    @task(1)
    def reply(self):
        activity = random.choice(self.activities)
        with self.client.post(
            f"/api/activities/{activity}/reply",
            json={"message": random.choice(MESSAGES)},
            name="/api/activities/[uuid]/reply",
            catch_response=True,
        ) as response:
            self._forget_if_gone(activity, response)

    @task(1)
    def send_message(self):
        body = {"user_receiver_handle": random.choice(OTHER_HANDLES), "message": random.choice(MESSAGES)}
        self.client.post("/api/messages", json=body)

    @task(1)
    def invalid_request(self):
        method, path, kwargs, expected = random.choice(INVALID_REQUESTS)
        name = f"invalid: {method} {path.split('?')[0].replace('/@nobody', '/@[handle]')}"
        with self.client.request(method, path, name=name, catch_response=True, **kwargs) as response:
            if response.status_code == expected:
                response.success()
            else:
                response.failure(f"expected {expected}, got {response.status_code}")
