"""users-api's telemetry: the lab's shared tracing/logging set-up under this service's name."""

from flask import Flask

from obslab_common import telemetry

SERVICE = "users-api"


def init_app(app: Flask) -> None:
    telemetry.init(app, SERVICE)
