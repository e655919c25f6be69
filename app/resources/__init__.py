"""The REST API: one blueprint per resource, each built from `base.ResourceView`."""

from __future__ import annotations

from importlib import import_module

from flask import Flask

RESOURCES = (
    "users",
    "labels",
    "links",
    "addresses",
    "companies",
    "company_ratings",
    "applications",
    "position_locations",
    "application_statuses",
    "application_status_links",
    "feeds",
)


def register_resources(app: Flask) -> None:
    """Register the blueprint of every resource package named in RESOURCES."""
    for name in RESOURCES:
        app.register_blueprint(import_module(f"app.resources.{name}.routes").blueprint)
