"""The plugin LocalStack loads for the xray API (entry point `xray:default`)."""

from localstack.services.plugins import Service, aws_provider


@aws_provider()
def xray() -> Service:
    # Imported lazily, like LocalStack's own providers: plugins are listed at start-up, loaded on use.
    from obslab_xray.dispatch import dispatch_table
    from obslab_xray.provider import XRayProvider

    return Service.for_provider(XRayProvider(), dispatch_table_factory=dispatch_table)
