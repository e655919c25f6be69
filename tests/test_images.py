"""Images in notes: upload, capability-URL download, refused inputs, both storage backends, account deletion."""

from __future__ import annotations

import io
import secrets
import uuid
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer
from PIL import Image
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from app import create_app
from app.config import ConfigError
from app.extensions import db
from app.models import StoredImage, User
from app.storage import delete_user_images, get_storage
from app.storage.base import KEY_PATTERN, InvalidKey
from app.storage.local import LocalStorage
from tests.conftest import make_config

URL = "/api/private-image/"
MB = 1024 * 1024


# -- images and not-images ---------------------------------------------------------------------------


def image_bytes(image_format: str, size: tuple[int, int] = (40, 30), **save: Any) -> bytes:
    image = Image.new("RGB", size, (200, 30, 90))
    buffer = io.BytesIO()
    image.save(buffer, image_format, **save)
    return buffer.getvalue()


def animated_gif() -> bytes:
    frames = [Image.new("P", (20, 20), color) for color in (1, 50, 100)]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return buffer.getvalue()


def png_chunk(chunk_type: bytes, payload: bytes) -> bytes:
    crc = zlib.crc32(chunk_type + payload).to_bytes(4, "big")
    return len(payload).to_bytes(4, "big") + chunk_type + payload + crc


def png_padded_to(total: int) -> bytes:
    """A valid PNG of exactly `total` bytes (a comment chunk fills the space)."""
    png = image_bytes("PNG")
    iend = png.index(b"IEND") - 4
    filler = total - len(png) - 12
    return png[:iend] + png_chunk(b"tEXt", b"c\x00" + b"x" * (filler - 2)) + png[iend:]


SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(document.domain)</script></svg>'
HTML = b"<html><body><script>fetch('/api/users/').then(r => r.text()).then(alert)</script></body></html>"


# -- storage backends ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """A real S3-compatible server (moto's standalone mode) on a free loopback port."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def aws_env(monkeypatch, tmp_path) -> None:
    """Fake credentials, and no developer's AWS config files leaking into the tests."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(tmp_path / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-aws-credentials"),
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)


@pytest.fixture
def app_config(request, database_url, images_root):
    """Local storage by default; tests parametrized with `app_config=["s3"]` get a fresh moto bucket."""
    backend = getattr(request, "param", "local")
    if backend == "local":
        return make_config(database_url, IMAGE_STORAGE_PATH=str(images_root))  # emptied after every test
    request.getfixturevalue("aws_env")
    endpoint = request.getfixturevalue("moto_endpoint")
    bucket = f"images-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(Bucket=bucket)
    return make_config(
        database_url,
        IMAGE_STORAGE="s3",
        S3_BUCKET=bucket,
        S3_PREFIX="notes/",
        S3_REGION="us-east-1",
        S3_ENDPOINT_URL=endpoint,
    )


BOTH_BACKENDS = pytest.mark.parametrize("app_config", ["local", "s3"], indirect=True)


def stored_objects(app) -> set[str]:
    """What the backend holds, read from the backend itself (the directory, or the bucket)."""
    config = app.config
    if config["IMAGE_STORAGE"] == "s3":
        client = boto3.client("s3", endpoint_url=config["S3_ENDPOINT_URL"], region_name="us-east-1")
        listing = client.list_objects_v2(Bucket=config["S3_BUCKET"])
        return {item["Key"].removeprefix(config["S3_PREFIX"]) for item in listing.get("Contents", [])}
    root = Path(config["IMAGE_STORAGE_PATH"])
    return {path.name for path in root.iterdir()} if root.exists() else set()


def multipart(field: str, data: bytes, filename: str, content_type: str) -> dict[str, Any]:
    """A multipart body built in memory (the test client would spool a big one to an unclosed temp file)."""
    boundary, body = encode_multipart({field: FileStorage(io.BytesIO(data), filename, content_type=content_type)})
    return {"data": body, "content_type": f"multipart/form-data; boundary={boundary}"}


def upload(api, data: bytes, filename: str = "pasted.png", content_type: str = "image/png"):
    return api.post(URL, **multipart("file", data, filename, content_type))


def key_of(image_url: str) -> str:
    return image_url.rstrip("/").rsplit("/", 1)[-1]


def path_of(image_url: str) -> str:
    return image_url.removeprefix("http://localhost")


def assert_refused(response, status: int) -> None:
    body = response.get_json()
    assert response.status_code == status, (response.status_code, body)
    assert isinstance(body["detail"], str) and body["detail"]
    assert body["error"] == {"message": body["detail"]}


# -- round trip --------------------------------------------------------------------------------------


@BOTH_BACKENDS
@pytest.mark.parametrize(
    ("image_format", "content_type"),
    [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("GIF", "image/gif"), ("WEBP", "image/webp")],
)
def test_upload_then_fetch_without_a_token_returns_the_same_bytes(
    app, alice, alice_api, anon_api, image_format, content_type
):
    data = image_bytes(image_format)
    response = upload(alice_api, data, filename="whatever.bin", content_type="application/octet-stream")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert list(body) == ["image_url"]
    assert body["image_url"].startswith("http://localhost/api/private-image/")
    key = key_of(body["image_url"])
    assert KEY_PATTERN.fullmatch(key)
    assert stored_objects(app) == {key}

    fetched = anon_api.client.get(path_of(body["image_url"]))  # an <img> tag: no Authorization header
    assert fetched.status_code == 200
    assert fetched.data == data
    assert fetched.mimetype == content_type
    assert fetched.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'none'" in fetched.headers["Content-Security-Policy"]
    assert "sandbox" in fetched.headers["Content-Security-Policy"]
    assert "max-age=31536000" in fetched.headers["Cache-Control"]

    with app.app_context():
        row = db.session.scalars(select(StoredImage)).one()
        assert (row.user_id, row.key, row.content_type, row.size) == (alice.id, key, content_type, len(data))


def test_an_animated_gif_is_accepted(alice_api):
    assert upload(alice_api, animated_gif(), "a.gif", "image/gif").status_code == 200


def test_the_url_works_with_or_without_the_trailing_slash_and_revalidates(alice_api, anon_api):
    data = image_bytes("PNG")
    path = path_of(upload(alice_api, data).get_json()["image_url"])
    assert anon_api.client.get(path.rstrip("/")).data == data
    first = anon_api.client.get(path)
    again = anon_api.client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""


def test_keys_are_random_not_derived_from_user_or_content(alice_api):
    data = image_bytes("PNG")
    first = key_of(upload(alice_api, data).get_json()["image_url"])
    second = key_of(upload(alice_api, data).get_json()["image_url"])
    assert first != second and len(first) == len(second) == 43


def test_an_image_of_exactly_the_limit_is_accepted(app, alice_api):
    data = png_padded_to(app.config["IMAGE_MAX_BYTES"])
    assert len(data) == 5 * MB
    assert upload(alice_api, data).status_code == 200


# -- refused uploads -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "filename", "content_type"),
    [
        ("text renamed .png", b"just some notes, not an image\n" * 10, "notes.png", "image/png"),
        ("svg", SVG, "drawing.svg", "image/svg+xml"),
        ("svg named png", SVG, "drawing.png", "image/png"),
        ("html named gif", HTML, "x.gif", "image/gif"),
        ("png signature then html", b"\x89PNG\r\n\x1a\n" + HTML, "x.png", "image/png"),
        ("gif header then script (GIF/JS polyglot)", b"GIF89a/*\x00\x00*/=1;alert(1)//" + HTML, "x.gif", "image/gif"),
        ("png with html appended", image_bytes("PNG") + HTML, "x.png", "image/png"),
        ("jpeg with html appended", image_bytes("JPEG") + HTML, "x.jpg", "image/jpeg"),
        ("gif with a zip appended", image_bytes("GIF") + b"PK\x03\x04" + b"\x00" * 40, "x.gif", "image/gif"),
        ("webp with html appended", image_bytes("WEBP") + HTML, "x.webp", "image/webp"),
        ("truncated png", image_bytes("PNG", (300, 300))[:-40], "x.png", "image/png"),
        ("truncated jpeg", image_bytes("JPEG", (300, 300))[:400] + b"\xff\xd9", "x.jpg", "image/jpeg"),
        ("png signature only", b"\x89PNG\r\n\x1a\n", "x.png", "image/png"),
        ("bmp", image_bytes("BMP"), "x.bmp", "image/bmp"),
        ("tiff", image_bytes("TIFF"), "x.tiff", "image/tiff"),
        ("pdf", b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF", "x.pdf", "application/pdf"),
        ("decompression bomb", None, "bomb.png", "image/png"),
    ],
)
def test_anything_but_a_real_image_is_refused(app, alice_api, name, data, filename, content_type):
    if data is None:  # 64 megapixels that compress to a few kilobytes
        buffer = io.BytesIO()
        Image.new("1", (8000, 8000)).save(buffer, "PNG")
        data = buffer.getvalue()
    response = upload(alice_api, data, filename, content_type)
    assert_refused(response, 400)
    assert stored_objects(app) == set()
    with app.app_context():
        assert db.session.scalars(select(StoredImage)).all() == []


def test_an_empty_file_is_refused(app, alice_api):
    assert_refused(upload(alice_api, b""), 400)
    assert stored_objects(app) == set()


def test_a_missing_file_field_is_refused(alice_api):
    assert_refused(alice_api.post(URL, **multipart("image", image_bytes("PNG"), "a.png", "image/png")), 400)
    assert_refused(alice_api.post(URL, json={"file": "aGVsbG8="}), 400)


def test_an_image_over_the_limit_is_413(app, alice_api):
    response = upload(alice_api, png_padded_to(app.config["IMAGE_MAX_BYTES"] + 1))
    assert_refused(response, 413)
    assert "5 MB" in response.get_json()["detail"]
    assert stored_objects(app) == set()


def test_a_body_over_max_content_length_is_413_json(app, alice_api):
    response = upload(alice_api, b"\x89PNG\r\n\x1a\n" + b"\x00" * (7 * MB))
    assert_refused(response, 413)
    assert stored_objects(app) == set()


def test_uploading_needs_a_valid_token(app, anon_api, alice_api):
    assert_refused(upload(anon_api, image_bytes("PNG")), 401)
    forged = type(alice_api)(alice_api.client, alice_api.token[:-3] + "abc")
    assert_refused(upload(forged, image_bytes("PNG")), 401)
    assert stored_objects(app) == set()


def test_only_post_is_allowed_on_the_upload_url(alice_api):
    assert alice_api.get(URL).status_code == 405


# -- capability keys -------------------------------------------------------------------------------------


def test_a_guessed_key_finds_nothing(alice_api, anon_api):
    upload(alice_api, image_bytes("PNG"))
    for _ in range(5):
        response = anon_api.client.get(f"{URL}{secrets.token_urlsafe(32)}/")
        assert response.status_code == 404 and response.get_json()["detail"] == "Not found."


@pytest.mark.parametrize(
    "path",
    [
        "../../../../etc/passwd",
        "..%2F..%2F..%2Fetc%2Fpasswd",
        "%2e%2e%2f%2e%2e%2fsecret.txt",
        "%2Fetc%2Fpasswd",
        "..",
        "secret.txt",
        "." * 43,
        "%00" + "a" * 42,
        "a" * 42 + "/",
        "a" * 44,
        "a" * 42 + "%2F",
        "a" * 42 + "\\",
        "a" * 42 + "=",
    ],
)
def test_traversal_and_malformed_keys_never_reach_the_storage(app, anon_api, monkeypatch, path):
    root = Path(app.config["IMAGE_STORAGE_PATH"])
    root.mkdir(parents=True)
    (root / "secret.txt").write_text("secret")
    (root.parent / "secret.txt").write_text("secret")

    def no_storage(*args: Any) -> None:
        raise AssertionError("the storage was reached")

    monkeypatch.setattr(LocalStorage, "load", no_storage)
    response = anon_api.client.get(URL + path)
    assert response.status_code in (400, 404, 405), response.status_code
    assert b"secret" not in response.data


def test_backends_refuse_malformed_keys_themselves(app, tmp_path):
    storage = LocalStorage(tmp_path)
    for key in ("../x", "/etc/passwd", "a" * 43 + "/..", ""):
        with pytest.raises(InvalidKey):
            storage.load(key)
        with pytest.raises(InvalidKey):
            storage.save(key, b"x", "image/png")


def test_a_row_whose_file_is_gone_answers_404(app, alice_api, anon_api):
    url = upload(alice_api, image_bytes("PNG")).get_json()["image_url"]
    with app.app_context():
        get_storage().delete(key_of(url))
    assert anon_api.client.get(path_of(url)).status_code == 404


# -- account deletion ------------------------------------------------------------------------------------


@BOTH_BACKENDS
def test_deleting_an_account_removes_its_image_files(app, alice, bob, alice_api, bob_api, anon_api):
    alice_urls = [upload(alice_api, image_bytes(fmt)).get_json()["image_url"] for fmt in ("PNG", "JPEG")]
    bob_url = upload(bob_api, image_bytes("GIF")).get_json()["image_url"]
    assert len(stored_objects(app)) == 3

    with app.app_context():
        user = db.session.get(User, alice.id)
        assert delete_user_images(user) == 2
        db.session.delete(user)
        db.session.commit()

    assert stored_objects(app) == {key_of(bob_url)}
    for url in alice_urls:
        assert anon_api.client.get(path_of(url)).status_code == 404
    assert anon_api.client.get(path_of(bob_url)).status_code == 200
    with app.app_context():
        assert [row.user_id for row in db.session.scalars(select(StoredImage))] == [bob.id]


def test_a_rolled_back_account_deletion_keeps_the_files(app, alice, alice_api, anon_api):
    url = upload(alice_api, image_bytes("PNG")).get_json()["image_url"]
    with app.app_context():
        user = db.session.get(User, alice.id)
        delete_user_images(user)
        db.session.delete(user)
        db.session.flush()
        db.session.rollback()
        db.session.commit()  # a later, unrelated commit must not delete them either
    assert stored_objects(app) == {key_of(url)}
    assert anon_api.client.get(path_of(url)).status_code == 200


def test_the_database_cascade_removes_image_rows_with_the_user(app, alice, alice_api):
    upload(alice_api, image_bytes("PNG"))
    with app.app_context():
        db.session.delete(db.session.get(User, alice.id))
        db.session.commit()
        assert db.session.scalars(select(StoredImage)).all() == []


# -- configuration ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "message"),
    [({"IMAGE_STORAGE": "ftp"}, "IMAGE_STORAGE must be one of"), ({"IMAGE_STORAGE": "s3"}, "S3_BUCKET")],
)
def test_a_bad_storage_configuration_refuses_to_start(database_url, overrides, message):
    with pytest.raises(ConfigError, match=message):
        create_app(make_config(database_url, S3_BUCKET=None, **overrides))


def test_local_storage_defaults_to_the_instance_folder(database_url):
    app = create_app(make_config(database_url, IMAGE_STORAGE_PATH=None))
    with app.app_context():
        storage = get_storage()
        assert isinstance(storage, LocalStorage)
        assert storage.root == Path(app.instance_path) / "images"
        db.engine.dispose()
