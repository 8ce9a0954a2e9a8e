"""Index versions in an S3-compatible object store (boto3): ``s3://bucket/prefix``.

A version is the objects ``<prefix>/<version>/<path>`` for every file of its folder;
``<prefix>/<version>/manifest.json`` is written last, only when no manifest of that
name exists (``If-None-Match: *``), so a version is complete exactly when its manifest
is there and is never overwritten. The endpoint is ``MPSEARCH_S3_ENDPOINT_URL`` when
not AWS; credentials and region come from the standard ``AWS_*`` variables.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from indexer.errors import StoreUnavailable, VersionError
from indexer.ids import VERSION_RE, check_version
from indexer.store import MANIFEST, Manifest

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

NOT_FOUND = {"404", "NoSuchKey", "NotFound"}
ALREADY_THERE = {"412", "PreconditionFailed", "ConditionalRequestConflict"}
DELETE_BATCH = 1000


class S3Versions:
    """Versions under ``s3://bucket/prefix``."""

    def __init__(self, client: S3Client, bucket: str, prefix: str) -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.name = f"s3://{bucket}/{self.prefix}".rstrip("/")

    @classmethod
    def from_url(cls, url: str, endpoint_url: str | None = None) -> S3Versions:
        bucket, _, prefix = url.partition("://")[2].partition("/")
        if not bucket:
            raise VersionError(
                f"MPSEARCH_STORE_URL {url!r} names no bucket: use s3://bucket/prefix"
            )
        config = Config(connect_timeout=3, read_timeout=30, retries={"mode": "standard"})
        client = boto3.client("s3", endpoint_url=endpoint_url, config=config)
        return cls(client, bucket, prefix)

    def _key(self, version: str, relative: str = "") -> str:
        parts = [self.prefix, check_version(version), relative]
        return "/".join(p for p in parts if p)

    def _unavailable(self, exc: Exception) -> StoreUnavailable:
        return StoreUnavailable(f"version store {self.name} is unavailable: {exc}")

    def _keys(self, prefix: str) -> Iterator[str]:
        try:
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=prefix
            )
            for page in pages:
                for item in page.get("Contents", []):
                    yield item["Key"]
        except (BotoCoreError, ClientError) as exc:
            raise self._unavailable(exc) from None

    def versions(self) -> list[str]:
        start = f"{self.prefix}/" if self.prefix else ""
        found = set()
        for key in self._keys(start):
            version, _, rest = key[len(start) :].partition("/")
            if rest == MANIFEST and VERSION_RE.fullmatch(version):
                found.add(version)
        return sorted(found)

    def manifest(self, version: str) -> Manifest:
        try:
            body = self.client.get_object(Bucket=self.bucket, Key=self._key(version, MANIFEST))
            return Manifest.model_validate_json(body["Body"].read())
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in NOT_FOUND:
                raise VersionError(
                    f"version {version} is not in {self.name}, or is incomplete (no manifest); "
                    "see `mpsearch index list`"
                ) from None
            raise self._unavailable(exc) from None
        except BotoCoreError as exc:
            raise self._unavailable(exc) from None

    def upload(self, folder: Path, manifest: Manifest) -> None:
        version = manifest.version
        try:
            self.manifest(version)
        except VersionError:
            pass
        else:
            raise VersionError(f"version {version} is already in {self.name}; never overwritten")
        files = sorted(p for p in folder.rglob("*") if p.is_file() and p.name != MANIFEST)
        try:
            for path in files:
                key = self._key(version, path.relative_to(folder).as_posix())
                self.client.upload_file(str(path), self.bucket, key)
            self.client.put_object(
                Bucket=self.bucket,
                Key=self._key(version, MANIFEST),
                Body=(folder / MANIFEST).read_bytes(),
                IfNoneMatch="*",
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ALREADY_THERE:
                raise VersionError(
                    f"version {version} is already in {self.name}; never overwritten"
                ) from None
            raise self._unavailable(exc) from None
        except BotoCoreError as exc:
            raise self._unavailable(exc) from None

    def download(self, version: str, dest: Path) -> Manifest:
        manifest = self.manifest(version)  # refuses an incomplete version before any copy
        start = self._key(version) + "/"
        try:
            for key in self._keys(start):
                relative = key[len(start) :]
                if relative == MANIFEST or not relative:
                    continue
                target = dest / relative
                if dest.resolve() not in target.resolve().parents:
                    raise VersionError(f"version {version} in {self.name} holds a bad name {key!r}")
                target.parent.mkdir(parents=True, exist_ok=True)
                self.client.download_file(self.bucket, key, str(target))
        except (BotoCoreError, ClientError) as exc:
            raise self._unavailable(exc) from None
        (dest / MANIFEST).write_bytes(manifest.model_dump_json(indent=2).encode())
        return manifest

    def remove(self, version: str) -> None:
        start = self._key(version) + "/"
        try:
            self.client.delete_object(Bucket=self.bucket, Key=start + MANIFEST)  # first
            keys = list(self._keys(start))
            for i in range(0, len(keys), DELETE_BATCH):
                self.client.delete_objects(
                    Bucket=self.bucket,
                    Delete={"Objects": [{"Key": k} for k in keys[i : i + DELETE_BATCH]]},
                )
        except (BotoCoreError, ClientError) as exc:
            raise self._unavailable(exc) from None
