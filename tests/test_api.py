"""The pieces every HTTP face shares (app.api): declared logins, the detail-endpoint registry, listeners."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask

from app import create_app
from app.api import ApiBlueprint, UnregisteredModel, api_url
from app.models import StoredImage
from app.openapi.spec import build_spec
from tests.conftest import make_config


def _app_with(blueprint) -> Flask:
    app = create_app(make_config("sqlite://"))
    app.register_blueprint(blueprint)
    return app


def test_a_view_must_declare_whether_it_needs_a_login():
    blueprint = ApiBlueprint("undeclared", __name__)
    with pytest.raises(TypeError, match="login=True or login=False"):
        blueprint.add_url_rule("/api/undeclared/", view_func=lambda: {})


def test_the_docs_read_the_declared_login_even_through_a_decorator_without_wraps():
    def no_wraps(view):
        def wrapper(*args, **kwargs):
            return view(*args, **kwargs)

        wrapper.__doc__ = view.__doc__
        return wrapper

    blueprint = ApiBlueprint("declared", __name__)

    @blueprint.get("/api/declared/private/", login=True)
    @no_wraps
    def private():
        """A private view."""
        return {}

    @blueprint.get("/api/declared/public/", login=False)
    def public():
        """A public view."""
        return {}

    app = _app_with(blueprint)
    paths = build_spec(app)["paths"]
    assert "security" not in paths["/api/declared/private/"]["get"]
    assert "401" in paths["/api/declared/private/"]["get"]["responses"]
    assert paths["/api/declared/public/"]["get"]["security"] == []
    assert app.test_client().get("/api/declared/private/").status_code == 401
    assert app.test_client().get("/api/declared/public/").status_code == 200


def test_a_documented_api_view_that_declared_nothing_stops_the_docs():
    app = create_app(make_config("sqlite://"))

    def sneaky():
        """Added around ApiBlueprint."""
        return {}

    app.add_url_rule("/api/sneaky/", view_func=sneaky)
    with pytest.raises(LookupError, match="/api/sneaky/"):
        build_spec(app)


def test_api_url_of_a_model_without_a_detail_view_is_an_error_not_null():
    app = create_app(make_config("sqlite://"))
    with app.test_request_context(), pytest.raises(UnregisteredModel, match="StoredImage"):
        api_url(StoredImage(key="k", content_type="image/png", size=1))


def test_importing_the_storage_registers_no_listener_on_other_sessions():
    script = (
        "from sqlalchemy import event\n"
        "from sqlalchemy.orm import Session\n"
        "import app.storage as storage\n"
        "assert not event.contains(Session, 'after_commit', storage._delete_committed)\n"
        "assert not list(Session().dispatch.after_commit)\n"
        "from app import create_app\n"
        "from app.extensions import db\n"
        "from tests.conftest import make_config\n"
        "create_app(make_config('sqlite://'))\n"
        "assert event.contains(db.session, 'after_commit', storage._delete_committed)\n"
        "assert not list(Session().dispatch.after_commit)\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True, cwd=Path(__file__).parent.parent)


def _modules_loaded_by(imports: str) -> set[str]:
    script = f"import sys\n{imports}\nprint('\\n'.join(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", script], check=True, capture_output=True, text=True, cwd=Path(__file__).parent.parent
    )
    return set(result.stdout.split())


FACES = ("app.resources", "app.api", "app.graphql", "app.openapi", "app.auth.routes", "app.images.routes")


def test_the_import_and_export_engines_import_no_http_face():
    engines = [
        f"app.{package}.{path.stem}"
        for package in ("imports", "exports")
        for path in (Path(__file__).parent.parent / "app" / package).glob("*.py")
        if path.stem != "__init__"
    ]
    loaded = _modules_loaded_by("\n".join(f"import {module}" for module in engines))
    assert not {name for name in loaded if name.startswith(FACES)}


def test_sign_in_imports_nothing_of_the_rest_api():
    loaded = _modules_loaded_by("import app.auth.routes, app.auth.schemas")
    assert not {name for name in loaded if name.startswith("app.resources")}
