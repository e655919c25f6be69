"""The OpenAPI document: valid OpenAPI 3, generated from the schemas, and covering every /api/ route."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate

from app import create_app
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


def test_docs_page_loads_swagger_ui_with_the_spec(client):
    response = client.get("/api/docs")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert 'data-spec-url="/api/openapi.json"' in page
    assert "swagger-ui-bundle.js" in page and 'integrity="sha384-' in page


def test_spec_builds_for_a_fresh_app_without_warnings():
    document = build_spec(create_app(make_config("sqlite://")))
    validate(document)


def test_docs_page_allows_exactly_its_cdn_and_its_inline_script(client):
    import base64
    import hashlib
    import re

    response = client.get("/api/docs")
    csp = response.headers["Content-Security-Policy"]
    inline = re.findall(r"<script>(.*?)</script>", response.get_data(as_text=True), re.S)
    assert len(inline) == 1
    digest = base64.b64encode(hashlib.sha256(inline[0].encode()).digest()).decode()
    assert f"'sha256-{digest}'" in csp
    assert "script-src https://cdn.jsdelivr.net/npm/swagger-ui-dist@" in csp
    assert "default-src 'none'" in csp and "unsafe-inline" not in csp
