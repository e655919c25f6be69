"""Images as objects in an S3 bucket (or any S3-compatible service), through boto3."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.exceptions import ClientError

from app.storage.base import ImageStorage, check_key


class S3Storage(ImageStorage):
    """One object per key, named `<prefix><key>`; credentials come from boto3's usual chain."""

    def __init__(
        self, bucket: str, prefix: str = "", region: str | None = None, endpoint_url: str | None = None
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix
        # boto3 clients are thread-safe: one per app is enough.
        self.client: Any = boto3.client("s3", region_name=region, endpoint_url=endpoint_url)

    def _name(self, key: str) -> str:
        return self.prefix + check_key(key)

    def save(self, key: str, data: bytes, content_type: str) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self._name(key), Body=data, ContentType=content_type)

    def load(self, key: str) -> bytes | None:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self._name(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise
        with response["Body"] as body:
            return body.read()

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._name(key))
