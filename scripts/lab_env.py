"""The project's .env for Python tools (the single source of versions, ports and region)."""

import os
import sys
from pathlib import Path

ENV_FILE = Path(__file__).resolve().parents[1] / ".env"


def env_file() -> dict[str, str]:
    """Every KEY=VALUE of .env, as written there (whatever the environment says)."""
    lines = ENV_FILE.read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line.strip() and not line.startswith("#"))


def setting(key: str) -> str:
    """A setting as docker compose sees it: from the environment if set there, else from .env."""
    return os.environ.get(key) or env_file()[key]


def localstack_url() -> str:
    return f"http://127.0.0.1:{setting('LOCALSTACK_PORT')}"


def aws_client(service: str, endpoint: str, region: str | None = None):
    """A boto3 client for LocalStack (which accepts any credentials), in the lab's region unless
    another is given."""
    import boto3

    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=region or setting("AWS_REGION"),
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def explain(error: Exception, endpoint: str) -> int:
    """Say what went wrong talking to LocalStack, on stderr; the exit status for it."""
    from botocore.exceptions import ClientError

    if isinstance(error, ClientError):
        print(f"LocalStack answered: {error.response['Error']['Message']}", file=sys.stderr)
    else:
        print(f"Cannot reach LocalStack at {endpoint} ({error}). Is the lab up? (make up)", file=sys.stderr)
    return 2
