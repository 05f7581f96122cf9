from datetime import timedelta

from backend_flask.store import HOME_FEED_POSTED, MAX_POSTED, MAX_REPLIES, Store


def test_posted_activities_lead_the_home_feed_newest_first():
    store = Store()
    first = store.add_activity("andrewbrown", "first", timedelta(hours=1))
    second = store.add_activity("andrewbrown", "second", timedelta(hours=1))

    feed = store.home()
    assert [a["uuid"] for a in feed[:2]] == [second["uuid"], first["uuid"]]
    assert [a["handle"] for a in feed[2:]] == ["Andrew Brown", "Worf", "Garek"]


def test_posted_activities_are_capped_oldest_first():
    store = Store()
    posted = [store.add_activity("worf", f"m{i}", timedelta(hours=1)) for i in range(MAX_POSTED + 5)]

    assert store.activity(posted[0]["uuid"]) is None
    assert store.activity(posted[-1]["uuid"]) is not None
    assert len(store.home()) == HOME_FEED_POSTED + 3


def test_reply_updates_the_activity_and_unknown_activities_get_none():
    store = Store()
    garek = "248959df-3079-4947-b847-9e0892d1bab4"

    reply = store.add_reply(garek, "andrewbrown", "Thank you")
    assert reply["reply_to_activity_uuid"] == garek
    activity = store.activity(garek)
    assert activity["replies_count"] == 1 and activity["replies"][0]["message"] == "Thank you"
    assert store.add_reply("00000000-0000-0000-0000-000000000000", "x", "y") is None


def test_replies_are_capped_per_activity_oldest_first():
    store = Store()
    garek = "248959df-3079-4947-b847-9e0892d1bab4"
    for i in range(MAX_REPLIES + 30):
        store.add_reply(garek, "worf", f"r{i}")

    activity = store.activity(garek)
    assert activity["replies_count"] == len(activity["replies"]) == MAX_REPLIES
    assert activity["replies"][0]["message"] == "r30" and activity["replies"][-1]["message"] == f"r{MAX_REPLIES + 29}"


def test_messages_are_capped_per_conversation_oldest_first():
    store = Store()
    worf, me = {"handle": "worf", "display_name": "Worf"}, {"handle": "andrewbrown", "display_name": "Andrew Brown"}
    for i in range(MAX_POSTED + 5):
        store.add_message(me, worf, f"m{i}")

    messages = store.messages_with("worf")
    assert len(messages) == MAX_POSTED and messages[-1]["message"] == f"m{MAX_POSTED + 4}"


def test_reads_are_copies():
    store = Store()
    store.home()[0]["message"] = "changed"
    assert store.home()[0]["message"] == "Cloud is very fun!"


def test_authors_match_by_handle_whatever_the_spelling():
    store = Store()
    assert [a["message"] for a in store.by_author("andrewbrown")] == ["Cloud is very fun!"]
    assert store.by_author("nobody") == []


def test_a_message_starts_a_conversation_and_a_group():
    store = Store()
    sender = {"handle": "andrewbrown", "display_name": "Andrew Brown"}
    store.add_message(sender, {"handle": "garek", "display_name": "Garek"}, "Fitting on Tuesday?")

    assert [m["message"] for m in store.messages_with("garek")] == ["Fitting on Tuesday?"]
    assert [g["handle"] for g in store.message_groups()] == ["garek", "worf"]
