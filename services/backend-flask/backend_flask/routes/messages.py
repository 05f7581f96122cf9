from flask import Blueprint, jsonify

from obslab_common.errors import json_body

from backend_flask.routes import signed_in_user, store
from backend_flask.services import messages

bp = Blueprint("messages", __name__)


@bp.get("/api/message_groups")
def groups():
    return jsonify(messages.groups(store()))


@bp.get("/api/messages/@<handle>")
def conversation(handle):
    return jsonify(messages.conversation(store(), handle))


@bp.post("/api/messages")
def send():
    return jsonify(messages.send(store(), signed_in_user(), json_body()))
