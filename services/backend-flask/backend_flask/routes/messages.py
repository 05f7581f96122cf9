from flask import Blueprint, jsonify

from backend_flask.actions import messages
from backend_flask.routes import signed_in_user, store, users
from obslab_common.errors import json_body

bp = Blueprint("messages", __name__)


@bp.get("/api/message_groups")
def groups():
    return jsonify(messages.groups(store()))


@bp.get("/api/messages/@<handle>")
def conversation(handle):
    return jsonify(messages.conversation(store(), users(), handle))


@bp.post("/api/messages")
def send():
    return jsonify(messages.send(store(), users(), signed_in_user(), json_body()))
