"""The plugins LocalStack loads: the xray API (entry point `xray:default`) and CloudWatch Logs
with Logs Insights (`logs:obslab`, picked by PROVIDER_OVERRIDE_LOGS=obslab)."""

from localstack.services.plugins import Service, aws_provider


@aws_provider()
def xray() -> Service:
    # Imported lazily, like LocalStack's own providers: plugins are listed at start-up, loaded on use.
    from obslab_xray.dispatch import dispatch_table
    from obslab_xray.provider import XRayProvider

    return Service.for_provider(XRayProvider(), dispatch_table_factory=dispatch_table)


@aws_provider(api="logs", name="obslab")
def logs() -> Service:
    # LocalStack's CloudWatch Logs with our Logs Insights (PROVIDER_OVERRIDE_LOGS=obslab picks it).
    from localstack.services.moto import MotoFallbackDispatcher
    from obslab_insights.provider import InsightsLogsProvider

    return Service.for_provider(InsightsLogsProvider(), dispatch_table_factory=MotoFallbackDispatcher)
