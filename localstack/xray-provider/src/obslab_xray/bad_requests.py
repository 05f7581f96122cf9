"""Bad requests get X-Ray's answer to them, 400 InvalidRequestException, never a 500.

Two places where LocalStack would answer 500 InternalError to a client's mistake:
- a body it cannot parse (not JSON, or JSON of the wrong shape): its request parser fails
  before any provider runs. `on_parse_error` notes that, and `answer_parse_error`, a response
  handler (they run after the exception handlers), turns the 500 into a 400;
- a body that parses but holds values of the wrong type (a number where the API wants a string):
  LocalStack does not check types, so `validated` checks each request against botocore's model of
  the operation before our handlers see it, as AWS does.
Both are registered by obslab_xray.hooks (the first) and the dispatch table (the second).
"""

import json

from botocore.validate import ParamValidator
from localstack.aws.api import CommonServiceException, RequestContext
from localstack.aws.protocol.parser import RequestParserError

ERROR = "InvalidRequestException"


def invalid_request(message: str) -> CommonServiceException:
    """X-Ray's InvalidRequestException (400), its answer to every bad request."""
    return CommonServiceException(ERROR, message, status_code=400, sender_fault=True)


def validated(dispatch):
    """A dispatch table entry that first checks the request against the operation's input shape."""

    def call(context: RequestContext, request):
        report = ParamValidator().validate(dict(request or {}), context.operation.input_shape)
        if report.has_errors():
            raise invalid_request(report.generate_report())
        return dispatch(context, request)

    return call


def _is_xray(context: RequestContext) -> bool:
    service = context.get("service")
    return service is not None and service.service_name == "xray"


def on_parse_error(chain, exception: Exception, context: RequestContext, response) -> None:
    if _is_xray(context) and isinstance(exception, RequestParserError):
        context.obslab_parse_error = str(exception)


def answer_parse_error(chain, context: RequestContext, response) -> None:
    message = context.get("obslab_parse_error")
    if message is not None and response.status_code >= 500:
        response.status_code = 400
        response.headers["Content-Type"] = "application/json"
        response.headers["x-amzn-ErrorType"] = ERROR
        response.set_data(json.dumps({"__type": ERROR, "Message": f"The request could not be read: {message}"}))
