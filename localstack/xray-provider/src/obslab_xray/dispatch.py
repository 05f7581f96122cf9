"""The dispatch table: which code answers each X-Ray operation.

LocalStack builds a provider's dispatch table from the methods of its generated API class.
The free edition ships no generated X-Ray API, so without this table every X-Ray request would
fail. Here, every operation of the botocore X-Ray model gets an entry: our provider's handler
where it has one (falling back to moto when it raises NotImplementedError), moto otherwise;
each entry checks the request against the operation's model first (obslab_xray.bad_requests).
"""

from localstack.aws.api import RequestContext, ServiceRequest, ServiceResponse
from localstack.aws.skeleton import DispatchTable
from localstack.aws.spec import load_service
from localstack.services.moto import MotoFallbackDispatcher, call_moto

from obslab_xray.bad_requests import validated


def forward_to_moto(context: RequestContext, request: ServiceRequest) -> ServiceResponse:
    # Operations moto has no route for end in a NotImplementedError, which LocalStack turns
    # into a 501 "not implemented" error for the client.
    return call_moto(context)


def dispatch_table(provider: object) -> DispatchTable:
    table = MotoFallbackDispatcher(provider)
    for operation in load_service("xray").operation_names:
        table.setdefault(operation, forward_to_moto)
    # Requests of the wrong shape are refused (400) before any handler sees them.
    return {operation: validated(dispatch) for operation, dispatch in table.items()}
