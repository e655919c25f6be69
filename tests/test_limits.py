"""One set of body limits: the settings in app/config.py, applied by each endpoint (app/limits.py) and
repeated, per location, by nginx.conf. The edges through a real nginx are in tests/test_nginx_e2e.py."""

from __future__ import annotations

import io
import re

import pytest
from flask import Flask
from infra import ROOT

from app.config import Config
from app.limits import MULTIPART_ENVELOPE_BYTES, UPLOAD_LIMIT_SETTINGS, body_limits


def _nginx_body_limits() -> dict[str, int]:
    """`client_max_body_size` of the server ("/") and of each prefix location in nginx.conf, in bytes."""
    text = (ROOT / "nginx.conf").read_text()
    server = text[text.index("server {") :]
    limits = {"/": int(re.search(r"^    client_max_body_size (\d+);", text, re.MULTILINE).group(1))}
    for prefix, body in re.findall(r"location (/[\w/-]+) \{([^}]*)\}", server):
        size = re.search(r"client_max_body_size (\d+);", body)
        if size:
            limits[prefix] = int(size.group(1))
    return limits


def test_nginx_caps_each_location_at_the_settings_defaults_plus_the_envelope() -> None:
    defaults = vars(Config())
    assert MULTIPART_ENVELOPE_BYTES == 64 * 1024
    assert _nginx_body_limits() == body_limits(defaults)
    assert body_limits(defaults) == {
        "/": 5 * 1024 * 1024 + 64 * 1024,
        "/api/private-image": 5 * 1024 * 1024 + 64 * 1024,
        "/api/imports": 10 * 1024 * 1024 + 64 * 1024,
        "/api/imports/account": 50 * 1024 * 1024 + 64 * 1024,
        "/account/restore": 50 * 1024 * 1024 + 64 * 1024,
        "/account/imports": 10 * 1024 * 1024 + 64 * 1024,
    }


def test_every_upload_prefix_is_a_route_of_the_app(app: Flask) -> None:
    rules = {rule.rule for rule in app.url_map.iter_rules()}
    for prefix in UPLOAD_LIMIT_SETTINGS:
        assert f"{prefix}/" in rules


def test_the_readme_states_the_settings_defaults() -> None:
    readme = (ROOT / "README.md").read_text()
    for setting, size in [
        ("MAX_CONTENT_LENGTH", "5 MB + 64 KB"),
        ("IMAGE_MAX_BYTES", "5 MB"),
        ("IMPORT_MAX_BYTES", "10 MB"),
        ("ACCOUNT_IMPORT_MAX_BYTES", "50 MB"),
    ]:
        assert re.search(rf"`{setting}` \| {re.escape(size)} \|", readme), setting
    assert "6 MB" not in readme


LIMIT = 4096


@pytest.fixture
def small_limits(app: Flask) -> Flask:
    app.config.update(MAX_CONTENT_LENGTH=LIMIT, IMAGE_MAX_BYTES=LIMIT, IMPORT_MAX_BYTES=LIMIT)
    app.config.update(ACCOUNT_IMPORT_MAX_BYTES=LIMIT)
    return app


def _multipart(api, url: str, size: int):
    return api.post(url, data={"file": (io.BytesIO(b"x" * size), "f.csv")}, content_type="multipart/form-data")


@pytest.mark.parametrize("url", ["/api/private-image/", "/api/imports/", "/api/imports/account/"])
def test_each_upload_takes_a_file_up_to_its_own_setting(small_limits: Flask, alice_api, url: str) -> None:
    # A file at the limit passes the size check (and fails later: it is not an image, spreadsheet or JSON).
    assert _multipart(alice_api, url, LIMIT).status_code == 400
    over = _multipart(alice_api, url, LIMIT + 1)
    assert over.status_code == 413
    assert "large" in over.get_json()["detail"]
    # A body beyond the file limit plus the envelope is refused before it is parsed.
    assert _multipart(alice_api, url, LIMIT + MULTIPART_ENVELOPE_BYTES + 1).status_code == 413


def test_an_upload_setting_alone_raises_its_endpoint_limit(small_limits: Flask, alice_api) -> None:
    small_limits.config["ACCOUNT_IMPORT_MAX_BYTES"] = 10 * LIMIT
    assert _multipart(alice_api, "/api/imports/account/", 5 * LIMIT).status_code == 400
    assert _multipart(alice_api, "/api/private-image/", 5 * LIMIT).status_code == 413


def test_the_account_file_as_a_json_body_has_the_same_limit(small_limits: Flask, alice_api) -> None:
    def post(size: int):
        body = b'"' + b"x" * (size - 2) + b'"'
        return alice_api.post("/api/imports/account/", data=body, headers={"Content-Type": "application/json"})

    assert post(LIMIT).status_code == 400  # a JSON string, not an account file
    assert post(LIMIT + 1).status_code == 413


def test_json_bodies_elsewhere_are_capped_by_max_content_length(small_limits: Flask, alice_api) -> None:
    assert alice_api.post("/api/companies/", json={"name": "x" * 100}).status_code == 201
    response = alice_api.post("/api/companies/", json={"name": "n", "notes": "x" * LIMIT})
    assert response.status_code == 413
