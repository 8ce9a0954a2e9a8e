"""An S3 stand-in: moto's server on a free loopback port, with one bucket."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from devcluster.ports import free_port, wait_port

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

BUCKET = "mpsearch-versions"
START_TIMEOUT = 30.0
# moto accepts any credentials; boto3 needs some, and a region.
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


class MotoS3:
    """``moto_server`` in a child process: ``start``, ``stop``, ``endpoint``, ``env``."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.log_path = Path(tempfile.mkstemp(prefix="mpsearch-moto-", suffix=".log")[1])
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self, prefix: str = "versions") -> dict[str, str]:
        """What a replica or the CLI needs to use this store."""
        return {
            **CREDENTIALS,
            "MPSEARCH_STORE_URL": f"s3://{BUCKET}/{prefix}",
            "MPSEARCH_S3_ENDPOINT_URL": self.endpoint,
        }

    def start(self) -> None:
        moto = Path(sys.executable).parent / "moto_server"
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [str(moto), "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **CREDENTIALS},
        )
        log.close()
        wait_port(self.port, START_TIMEOUT, self.proc, self.log_path)
        self.client().create_bucket(Bucket=BUCKET)

    def client(self) -> S3Client:
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            region_name=CREDENTIALS["AWS_DEFAULT_REGION"],
        )

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log_path.unlink(missing_ok=True)

    def __enter__(self) -> MotoS3:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()
