"""LocalStack runtime hooks (entry points in pyproject.toml): the lab's state is loaded before
LocalStack serves its first request (and before the ready.d init hook looks for the defaults),
and saved when it shuts down."""

from localstack.runtime import hooks

from obslab_xray import persistence


@hooks.on_infra_start()
def obslab_load_state():
    persistence.load_on_start()


@hooks.on_infra_shutdown()
def obslab_save_state():
    persistence.save_on_shutdown()
