"""The OpenAPI document: valid OpenAPI 3, generated from the schemas, and covering every /api/ route."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate

from app import create_app
from app.openapi.docs import ASSETS, ASSETS_VERSION
from app.openapi.spec import IGNORED_METHODS, build_spec, openapi_path
from app.resources.applications.schemas import ApplicationSchema
from app.resources.companies.schemas import CompanySchema
from tests.conftest import make_config
from tests.rest_support import chosen_label, new_application, new_company, new_status, ok


@pytest.fixture
def document(client) -> dict[str, Any]:
    response = client.get("/api/openapi.json")  # public: no token needed
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    return response.get_json()


def _routes(app: Flask) -> set[tuple[str, str]]:
    return {
        (openapi_path(rule), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/")
        for method in (rule.methods or set()) - IGNORED_METHODS
    }


def _operations(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {(path, method) for path, operations in document["paths"].items() for method in operations}


def test_document_is_valid_openapi_3(document):
    validate(document)
    assert document["openapi"].startswith("3.")


def test_document_covers_every_api_route_and_nothing_else(app, document):
    assert _operations(document) == _routes(app)


def test_an_undocumented_view_is_missing_so_the_coverage_test_fails(app_config):
    app = create_app(app_config)

    def undocumented():
        return {}

    app.add_url_rule("/api/undocumented/", view_func=undocumented)
    document = build_spec(app)
    assert ("/api/undocumented/", "get") in _routes(app)
    assert ("/api/undocumented/", "get") not in _operations(document)


def test_every_operation_has_a_summary_responses_and_a_unique_id(document):
    ids = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert operation["summary"].strip(), (path, method)
            assert operation["responses"], (path, method)
            ids.append(operation["operationId"])
    assert len(ids) == len(set(ids))


def test_resource_schemas_come_from_the_marshmallow_schemas(document):
    schemas = document["components"]["schemas"]
    for name, schema_class in (("Company", CompanySchema), ("Application", ApplicationSchema)):
        properties = schemas[name]["properties"]
        assert set(properties) == set(schema_class().fields)
        for field_name, field in schema_class().fields.items():
            assert properties[field_name].get("readOnly", False) == field.dump_only, (name, field_name)
    company = schemas["Company"]
    assert company["required"] == ["name"]
    assert company["properties"]["name"]["maxLength"] == 100
    assert company["properties"]["labels"]["items"] == {"$ref": "#/components/schemas/Label"}
    assert company["properties"]["api_url"]["format"] == "uri"
    assert schemas["Application"]["properties"]["user_company"] == {"type": "string", "format": "uuid"}


def test_lists_document_pagination_ordering_and_filters(document):
    operation = document["paths"]["/api/companies/"]["get"]
    parameters = {p["name"]: p for p in operation["parameters"]}
    assert {"page", "page_size", "ordering", "labels__isnull", "labels__text", "name__icontains"} <= set(parameters)
    assert parameters["labels__isnull"]["schema"] == {"type": "boolean"}
    assert parameters["page_size"]["schema"]["maximum"] == 100
    envelope = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert set(envelope["properties"]) == {"count", "next", "previous", "results"}
    statuses = document["paths"]["/api/application-statuses/"]["get"]["parameters"]
    assert {"name": "application", "in": "query"}.items() <= next(
        p for p in statuses if p["name"] == "application"
    ).items()
    assert next(p for p in statuses if p["name"] == "application")["schema"]["format"] == "uuid"


def test_batch_update_and_error_responses(document):
    batch = document["paths"]["/api/companies/"]["patch"]
    assert batch["requestBody"]["content"]["application/json"]["schema"]["type"] == "array"
    detail = document["paths"]["/api/companies/{uuid}/"]
    assert set(detail) == {"get", "patch", "put", "delete"}
    assert {"400", "401", "404", "415"} <= set(detail["patch"]["responses"])
    assert "204" in detail["delete"]["responses"]
    assert document["components"]["responses"]["NotFound"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"
    }
    assert {p["name"]: p["schema"] for p in detail["get"]["parameters"]} == {
        "uuid": {"type": "string", "format": "uuid"}
    }


def test_security_jwt_everywhere_but_the_sign_in_and_public_endpoints(document):
    assert document["components"]["securitySchemes"]["JWT"]["scheme"] == "bearer"
    assert document["security"] == [{"JWT": []}]
    public = {
        ("/api/api-token-auth/", "post"),
        ("/api/api-token-refresh/", "post"),
        ("/api/openapi.json", "get"),
        ("/api/docs", "get"),
        ("/api/docs/assets/{assets_version}/{filename}", "get"),
    }
    for path, method in public:
        assert document["paths"][path][method]["security"] == [], path
    assert "security" not in document["paths"]["/api/companies/"]["get"]
    login = document["paths"]["/api/api-token-auth/"]["post"]
    assert login["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Login"}
    assert set(login["responses"]["200"]["content"]["application/json"]["schema"]["properties"]) == {
        "access",
        "refresh",
    }


def test_real_responses_match_the_documented_schemas(document, alice_api):
    company = new_company(alice_api, labels=[chosen_label("Applied")])
    application = new_application(alice_api, company["uuid"])
    new_status(alice_api, application["uuid"])

    def check(path: str, method: str, status: str, body: Any) -> None:
        schema = document["paths"][path][method]["responses"][status]["content"]["application/json"]["schema"]
        OAS30Validator({**schema, "components": document["components"]}).validate(body)

    check("/api/companies/", "get", "200", ok(alice_api.get("/api/companies/")))
    check("/api/companies/{uuid}/", "get", "200", ok(alice_api.get(f"/api/companies/{company['uuid']}/")))
    check("/api/applications/", "get", "200", ok(alice_api.get("/api/applications/")))
    check("/api/labels/", "get", "200", ok(alice_api.get("/api/labels/")))


def test_document_describes_the_api_and_its_auth(document):
    info = document["info"]
    assert info["title"] == "Appl Tracky API"
    assert info["version"] == "1.0.0"
    assert "job-application tracker" in info["description"]
    assert "Authorization: JWT <access>" in info["description"]
    assert "factory" not in info["description"]


def _page_urls(page: str) -> list[str]:
    return re.findall(r'(?:href|src)="([^"]+)"', page)


def test_docs_page_loads_swagger_ui_from_this_server_only(client):
    response = client.get("/api/docs")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    page = response.get_data(as_text=True)
    assert 'data-spec-url="/api/openapi.json"' in page
    urls = _page_urls(page)
    assert {url.rsplit("/", 1)[1] for url in urls} == set(ASSETS)
    assert all(url.startswith(f"/api/docs/assets/{ASSETS_VERSION}/") for url in urls)
    assert "<script>" not in page  # every script is a file: the CSP allows no inline one


def test_docs_page_csp_allows_this_server_alone(client):
    csp = client.get("/api/docs").headers["Content-Security-Policy"]
    directives = dict(directive.split(" ", 1) for directive in csp.split("; "))
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["connect-src"] == "'self'"
    assert directives["img-src"] == "'self' data:"
    assert directives["frame-ancestors"] == "'none'"
    assert "http" not in csp and "unsafe" not in csp and "sha256-" not in csp


def test_docs_assets_come_from_the_package_with_long_caching_and_nosniff(client):
    import flask_swagger_ui

    dist = Path(flask_swagger_ui.__file__).parent / "dist"
    types = {}
    for url in _page_urls(client.get("/api/docs").get_data(as_text=True)):
        with client.get(url) as response:
            assert response.status_code == 200, url
            assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            name = url.rsplit("/", 1)[1]
            types[name] = response.mimetype
            if name != "docs.js":
                assert response.data == (dist / name).read_bytes()
    assert types == {
        "swagger-ui.css": "text/css",
        "swagger-ui-bundle.js": "text/javascript",
        "docs.js": "text/javascript",
        "favicon-32x32.png": "image/png",
    }


@pytest.mark.parametrize(
    "path",
    [
        "/api/docs/assets/{version}/index.html",
        "/api/docs/assets/{version}/oauth2-redirect.html",
        "/api/docs/assets/{version}/..%2Fspec.py",
        "/api/docs/assets/0000000000000000/docs.js",
        "/api/docs/assets/{version}/LICENSE",
    ],
)
def test_docs_assets_serve_nothing_else(client, path):
    response = client.get(path.format(version=ASSETS_VERSION))
    assert response.status_code == 404
    assert response.is_json


def test_spec_builds_for_a_fresh_app_without_warnings():
    document = build_spec(create_app(make_config("sqlite://")))
    validate(document)
