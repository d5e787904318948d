"""moto in-process with the real infra/ template deployed: for tests and benchmarks."""
from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parent.parent
STAGE = "local"

FAKE_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1", "KIRIM_STAGE": STAGE,
    "DEFAULT_QUOTA": "1000", "POWERTOOLS_LOG_LEVEL": "WARNING", "SIMULATOR_TIME_SCALE": "0",
    "POWERTOOLS_METRICS_DISABLED": "true",
}


def use_fake_aws_env() -> None:
    """Call before importing chalicelib: the models take their table names from the environment."""
    os.environ.update(FAKE_AWS_ENV)
    os.environ.pop("AWS_ENDPOINT_URL", None)


@contextmanager
def deployed_stack() -> Iterator[dict[str, str]]:
    """mock_aws with the stack from infra/template.yaml; yields the stack outputs."""
    import boto3
    from moto import mock_aws

    from chalicelib.core.config import get_settings
    from infra.deploy import deploy_stack, outputs_to_env

    with mock_aws():
        outputs = deploy_stack(boto3.client("cloudformation"), STAGE, str(ROOT / "infra" / "template.yaml"))
        # As the deploy script does for a stage: the stack's outputs become the app's environment.
        os.environ.update(outputs_to_env(outputs))
        get_settings.cache_clear()
        yield outputs
