"""HTTP routes of users-api."""

from flask import Blueprint, jsonify

from obslab_common.errors import ApiError, invalid
from obslab_common.validation import handle_errors
from users_api import directory

bp = Blueprint("users", __name__)


@bp.get("/health")
def health():
    return jsonify(status="ok")


@bp.get("/users/@<handle>")
def profile(handle):
    if errors := handle_errors(handle):
        raise invalid(*errors)
    user = directory.lookup(handle)
    if user is None:
        raise ApiError(404, "user_not_found", message=f"There is no user @{handle}.")
    return jsonify(user)
