"""HTTP routes. Handlers stay thin: parse the request, call a service, return JSON."""

import os

from flask import current_app

from backend_flask.store import Store
from backend_flask.users_directory import UsersDirectory


def store() -> Store:
    return current_app.extensions["cruddur_store"]


def users() -> UsersDirectory:
    return current_app.extensions["cruddur_users"]


def signed_in_user() -> str:
    # No authentication in this lab (as in the exercise's week 2): one fixed user.
    return os.environ.get("CRUDDUR_USER_HANDLE", "andrewbrown")
