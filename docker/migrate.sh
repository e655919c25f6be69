#!/bin/sh
# One-off migration step, run before the app starts (docker-compose `migrate`
# service, the ECS migration task of `make deploy`): bring the schema to the
# latest revision, make sure the global labels and the administrator exist.
set -eu
flask db upgrade
flask seed-labels
if [ -n "${SUPERUSER_EMAIL:-}" ]; then
    flask initialize-superuser
else
    echo "SUPERUSER_EMAIL is not set: no administrator created."
fi
