"""A real S3 server for the tests: a Ceph RADOS Gateway on 127.0.0.1.

The gateway named by ``NEWSTRAIL_TEST_S3_ENDPOINT`` is used when it is set (with
the keys in ``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``, as ``.ci/run``
exports them); otherwise ``infra/ceph/start-radosgw.sh`` starts a throwaway one
for the session. Without Ceph installed the S3 tests fail, saying how to get it:
they are never skipped quietly.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

__all__ = ["S3Server", "s3_bucket", "s3_env", "s3_server"]

ROOT = Path(__file__).resolve().parent.parent
INFRA = ROOT / "infra" / "ceph"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True)
class S3Server:
    """Where the test gateway listens and the keys of its one user."""

    endpoint: str
    access_key: str
    secret_key: str

    def env(self) -> dict[str, str]:
        """Environment for a process that should use this server through the AWS chain."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "AWS_DEFAULT_REGION": "us-east-1",
            # No shared config or credentials file of the machine's may leak in.
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        }

    def client(self) -> Any:
        """A plain boto3 client, to look at the server without going through our code."""
        return boto3.session.Session().client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name="us-east-1",
            config=Config(
                s3={"addressing_style": "path"},
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
            ),
        )


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """The session's radosgw: the one NEWSTRAIL_TEST_S3_ENDPOINT names, or a new one."""
    endpoint = os.environ.get("NEWSTRAIL_TEST_S3_ENDPOINT")
    if endpoint:
        access = os.environ.get("AWS_ACCESS_KEY_ID")
        secret = os.environ.get("AWS_SECRET_ACCESS_KEY")
        if not access or not secret:
            pytest.fail(
                "NEWSTRAIL_TEST_S3_ENDPOINT is set but AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY "
                "are not: export the test gateway's keys too"
            )
        yield S3Server(endpoint, access, secret)
        return
    missing = [
        t for t in ("ceph-mon", "ceph-osd", "radosgw", "radosgw-admin") if not shutil.which(t)
    ]
    if missing:
        pytest.fail(
            f"the S3 tests need a Ceph RADOS Gateway and {', '.join(missing)} is not installed: "
            "apt-get install -y ceph-mon ceph-osd radosgw ceph-common, or set "
            "NEWSTRAIL_TEST_S3_ENDPOINT (and AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY) to a "
            "running S3 server"
        )
    folder = tmp_path_factory.mktemp("ceph")
    port = _free_port()
    env = {
        **os.environ,
        "NEWSTRAIL_CEPH_DIR": str(folder / "cluster"),
        "NEWSTRAIL_CEPH_RGW_PORT": str(port),
        "NEWSTRAIL_CEPH_MON_PORT": str(_free_port()),
        "NEWSTRAIL_CEPH_ACCESS_KEY": "NEWSTRAILTEST" + secrets.token_hex(4).upper(),
        "NEWSTRAIL_CEPH_SECRET_KEY": secrets.token_urlsafe(30),
    }
    started = subprocess.run(
        [str(INFRA / "start-radosgw.sh")], env=env, capture_output=True, text=True, timeout=180
    )
    try:
        if started.returncode != 0:
            pytest.fail(f"radosgw did not start: {started.stderr[-2000:]}")
        yield S3Server(
            f"http://127.0.0.1:{port}",
            env["NEWSTRAIL_CEPH_ACCESS_KEY"],
            env["NEWSTRAIL_CEPH_SECRET_KEY"],
        )
    finally:
        subprocess.run(
            [str(INFRA / "stop-radosgw.sh")], env=env, capture_output=True, timeout=60, check=False
        )


@pytest.fixture
def s3_env(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch) -> S3Server:
    """This process (and its children) reaches the test server through the AWS chain only."""
    for name in (
        "AWS_PROFILE",
        "AWS_SESSION_TOKEN",
        "AWS_ENDPOINT_URL_S3",
        "NEWSTRAIL_S3_ENDPOINT",
        "NEWSTRAIL_S3_PART_SIZE",
        "NEWSTRAIL_S3_CONCURRENCY",
        "NEWSTRAIL_S3_MAX_ATTEMPTS",
    ):
        monkeypatch.delenv(name, raising=False)
    for name, value in s3_server.env().items():
        monkeypatch.setenv(name, value)
    return s3_server


@pytest.fixture
def s3_bucket(s3_env: S3Server) -> Iterator[str]:
    """A new empty bucket, removed with everything in it after the test."""
    name = f"newstrail-test-{secrets.token_hex(4)}"
    client = s3_env.client()
    client.create_bucket(Bucket=name)
    yield name
    for upload in client.list_multipart_uploads(Bucket=name).get("Uploads", []):
        client.abort_multipart_upload(Bucket=name, Key=upload["Key"], UploadId=upload["UploadId"])
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=name):
        for entry in page.get("Contents", []):
            client.delete_object(Bucket=name, Key=entry["Key"])
    client.delete_bucket(Bucket=name)
