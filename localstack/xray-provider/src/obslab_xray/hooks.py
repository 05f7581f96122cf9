"""LocalStack runtime hooks (entry points in pyproject.toml): the lab's state is loaded before
LocalStack serves its first request (and before the ready.d init hook looks for the defaults),
and saved when it shuts down; unreadable X-Ray requests get a 400 (obslab_xray.bad_requests)."""

from localstack.aws import handlers
from localstack.runtime import hooks

from obslab_xray import bad_requests, persistence


@hooks.on_infra_start()
def obslab_load_state():
    persistence.load_on_start()


@hooks.on_infra_start()
def obslab_answer_bad_requests():
    handlers.serve_custom_exception_handlers.append(bad_requests.on_parse_error)
    handlers.run_custom_response_handlers.append(bad_requests.answer_parse_error)


@hooks.on_infra_shutdown()
def obslab_save_state():
    persistence.save_on_shutdown()
