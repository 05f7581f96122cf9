"""Every error the console answers is JSON: {"error": "<code>", "message": "<what is wrong>"}."""

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

from console.aws import AwsError
from console.otlp import PayloadError
from console.query import QueryError
from console.store import QueryTimeout


def register(app: Flask) -> None:
    @app.errorhandler(QueryError)
    def bad_query(error: QueryError):
        return jsonify(error="invalid_query", message=str(error)), 400

    @app.errorhandler(PayloadError)
    def bad_payload(error: PayloadError):
        return jsonify(error="invalid_payload", message=str(error)), 400

    @app.errorhandler(AwsError)
    def aws_error(error: AwsError):
        # X-Ray's and CloudWatch Logs' own words (an invalid filter expression, say), or an outage.
        where = {"location": error.location} if error.location else {}
        return jsonify(error=error.code, message=error.message, **where), error.status

    @app.errorhandler(QueryTimeout)
    def too_slow(error: QueryTimeout):
        return jsonify(error="query_timeout", message=str(error)), 503

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        return jsonify(error=error.name.lower().replace(" ", "_"), message=error.description), error.code
