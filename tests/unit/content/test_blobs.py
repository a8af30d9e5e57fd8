"""Blob stores: a blob appears whole or not at all, in a local folder and in an
S3-compatible bucket (moto's in-process S3)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from coalition.content.blobs import PART_BYTES, BlobStore, LocalBlobs, S3Blobs
from coalition.content.sealing import new_key, seal, unseal

#: What each store raises for a blob it does not hold.
MISSING = (FileNotFoundError, ClientError)
NAME = "0123456789abcdef0123456789abcdef/fedcba9876543210fedcba9876543210.sealed"


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BlobStore]:
    if request.param == "local":
        yield LocalBlobs(tmp_path / "content")
        return
    with mock_aws():
        client = boto3.client("s3", region_name="eu-west-1")
        client.create_bucket(
            Bucket="coalition-test",
            CreateBucketConfiguration={"LocationConstraint": "eu-west-1"},
        )
        yield S3Blobs(client, "coalition-test", "node-1/")


def _read(store: BlobStore, name: str) -> bytes:
    with store.open(name) as file:
        return file.read()


def test_a_blob_larger_than_a_part_is_stored_whole_and_unseals(store: BlobStore) -> None:
    key = new_key()
    plain = bytes(range(256)) * (PART_BYTES // 256 + 1000)  # more than one S3 part
    sealed = seal(key, b"version", [plain])
    with store.create(NAME) as file:
        for start in range(0, len(sealed), 1 << 20):
            file.write(sealed[start : start + (1 << 20)])
    assert _read(store, NAME) == sealed
    with store.open(NAME) as file:
        assert b"".join(unseal(key, b"version", file)) == plain
    store.delete(NAME)
    with pytest.raises(MISSING):
        _read(store, NAME)


def test_a_failed_write_leaves_no_blob(store: BlobStore) -> None:
    def cut_off() -> None:
        with store.create(NAME) as file:
            file.write(b"x" * 1000)
            raise RuntimeError("cut off")

    with pytest.raises(RuntimeError, match="cut off"):
        cut_off()
    with pytest.raises(MISSING):
        _read(store, NAME)
    if isinstance(store, S3Blobs):
        uploads = store.client.list_multipart_uploads(Bucket=store.bucket)
        assert not uploads.get("Uploads")


def test_names_outside_the_store_s_pattern_are_refused(store: BlobStore) -> None:
    with pytest.raises(ValueError, match="not a blob name"):
        store.open("../../etc/passwd")


def test_an_empty_blob_is_a_blob(store: BlobStore) -> None:
    with store.create(NAME) as file:
        file.write(b"")
    assert _read(store, NAME) == b""
    assert io.BytesIO(b"").read() == b""


def test_the_s3_store_needs_a_bucket_and_gets_one_from_the_settings(tmp_path: Path) -> None:
    from pydantic import ValidationError

    from coalition.content.services import content_settings
    from coalition.settings import Settings

    with pytest.raises(ValidationError, match="COALITION_S3_BUCKET is required"):
        Settings(data_dir=tmp_path, content_store="s3")
    with mock_aws():
        settings = Settings(
            data_dir=tmp_path, content_store="s3", s3_bucket="b", s3_region="eu-west-1"
        )
        blobs = content_settings(settings).blobs
        assert isinstance(blobs, S3Blobs) and (blobs.bucket, blobs.prefix) == ("b", "coalition/")
