from flask import Blueprint, jsonify, request

from backend_flask.actions import activities
from backend_flask.routes import signed_in_user, store, users
from obslab_common.errors import json_body

bp = Blueprint("activities", __name__)


@bp.get("/api/activities/home")
def home():
    return jsonify(activities.home(store()))


@bp.get("/api/activities/notifications")
def notifications():
    return jsonify(activities.notifications(store()))


@bp.get("/api/activities/@<handle>")
def by_user(handle):
    return jsonify(activities.by_user(store(), users(), handle))


@bp.get("/api/activities/search")
def search():
    return jsonify(activities.search(store(), request.args.get("term")))


@bp.post("/api/activities")
def create():
    return jsonify(activities.create(store(), signed_in_user(), json_body()))


@bp.get("/api/activities/<uuid:activity_uuid>")
def show(activity_uuid):
    return jsonify(activities.show(store(), str(activity_uuid)))


@bp.post("/api/activities/<uuid:activity_uuid>/reply")
def reply(activity_uuid):
    return jsonify(activities.reply(store(), signed_in_user(), str(activity_uuid), json_body()))
