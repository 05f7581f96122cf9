"""Direct messages of the signed-in user: conversations (message groups), one conversation,
sending. Users are resolved by users-api, so these requests cross two processes."""

from backend_flask.store import Store
from backend_flask.users_directory import UsersDirectory, UsersUnavailable, existing_profile
from obslab_common.errors import invalid
from obslab_common.telemetry import traced
from obslab_common.validation import handle_errors, text_errors

MESSAGE_MAX_CHARS = 1024


def groups(store: Store) -> list[dict]:
    with traced("message-groups") as work:
        results = store.message_groups()
        work.set("app.result_length", len(results))
        return results


def conversation(store: Store, users: UsersDirectory, handle: str) -> list[dict]:
    user = existing_profile(users, handle)
    with traced("messages-with-user") as work:
        work.set("app.user.handle", user["handle"])
        results = store.messages_with(handle)
        work.set("app.result_length", len(results))
        return results


def send(store: Store, users: UsersDirectory, sender_handle: str, body: dict) -> dict:
    receiver_handle, message = body.get("user_receiver_handle"), body.get("message")
    errors = handle_errors(receiver_handle, "user_receiver_handle") + text_errors(message, "message", MESSAGE_MAX_CHARS)
    if errors:
        raise invalid(*errors)
    receiver = users.profile(receiver_handle)
    if receiver is None:
        raise invalid("user_receiver_not_found")
    sender = users.profile(sender_handle)
    if sender is None:
        raise UsersUnavailable(f"users-api does not know the signed-in user @{sender_handle}.")
    with traced("create-message") as work:
        work.set("app.user.handle", receiver["handle"])
        work.set("app.message_length", len(message))
        entry = store.add_message(sender, receiver, message.strip())
        work.detail("message", entry)
        return entry
