"""A real S3 HTTP endpoint on 127.0.0.1: moto's server mode, in its own process.

Its own process, not `ThreadedMotoServer` in the test process: moto assembles multipart
objects in memory, which would hide our own peak in a `tracemalloc` measurement, and the
gunicorn instances of the multi-server test reach it like any S3 endpoint.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import boto3

from tests.live import free_port, wait_for

ACCESS_KEY = "testing-access-key"
SECRET_KEY = "testing-secret-key"
REGION = "us-east-1"


@dataclass
class S3Endpoint:
    url: str
    process: subprocess.Popen

    def client(self):
        return boto3.client(
            "s3", endpoint_url=self.url, region_name=REGION,
            aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
        )

    def create_bucket(self) -> str:
        bucket = f"registry-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=bucket)
        return bucket

    def env(self, bucket: str) -> dict[str, str]:
        """The registry's environment for this endpoint and bucket."""
        return {
            "REGISTRY_STORAGE": "s3",
            "REGISTRY_S3_BUCKET": bucket,
            "REGISTRY_S3_ENDPOINT_URL": self.url,
            "REGISTRY_S3_REGION": REGION,
            "REGISTRY_S3_ACCESS_KEY_ID": ACCESS_KEY,
            "REGISTRY_S3_SECRET_ACCESS_KEY": SECRET_KEY,
            "REGISTRY_S3_ADDRESSING_STYLE": "path",
        }


@contextmanager
def moto_server() -> Iterator[S3Endpoint]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{url}/moto-api/", process, timeout=30)
        yield S3Endpoint(url=url, process=process)
    finally:
        process.terminate()
        process.wait(timeout=10)

