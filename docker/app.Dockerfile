# syntax=docker/dockerfile:1
# The app image: gunicorn serving wsgi:app on port 8000, as an unprivileged user.
# Build from the repository root: docker build -f docker/app.Dockerfile .

# --- build: compile/install dependencies into a virtualenv ------------------------
FROM python:3.11-slim-bookworm AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Compilers only in this stage, in case a dependency has no wheel for the platform. Nothing from apt
# reaches the final image, and Debian drops superseded versions from its archive, so pinning them
# would only break the build after the next security update:
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential libpq-dev \
    && rm -rf /var/lib/apt/lists/*

# The runtime lock alone (every package pinned with its hashes); tests/test_production_smoke.py builds
# its virtualenv with this same command.
COPY requirements.txt /build/
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install --require-hashes -r /build/requirements.txt

# --- runtime: the venv and the code, nothing else ----------------------------------
FROM python:3.11-slim-bookworm AS runtime

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    FLASK_APP=wsgi \
    APP_ENV=production \
    IMAGE_STORAGE_PATH=/data/images

RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home --shell /usr/sbin/nologin app \
    && mkdir -p /data/images \
    && chown app:app /data/images

WORKDIR /app
COPY --from=build /opt/venv /opt/venv
# Code is owned by root and read-only for the app user.
COPY app/ app/
COPY migrations/ migrations/
COPY wsgi.py gunicorn.conf.py ./
COPY docker/healthcheck.py docker/healthcheck.py
COPY --chmod=0755 docker/migrate.sh /usr/local/bin/appl-tracky-migrate

# Numeric, so the runtime can tell it is not root without reading /etc/passwd (the "app" user above).
USER 10001:10001
EXPOSE 8000

HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "/app/docker/healthcheck.py"]

CMD ["gunicorn", "--config", "/app/gunicorn.conf.py", "wsgi:app"]
