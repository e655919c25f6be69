"""Static checks of the deployment code: Terraform, Dockerfiles, docker-compose, nginx and gunicorn configs.

terraform fmt runs where the terraform binary exists. checkov runs from its own virtualenv
(`make checkov-venv`); without it the checkov test is skipped, unless REQUIRE_CHECKOV=1 (as in CI).
"""

from __future__ import annotations

import os
import re
import runpy
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from infra import ROOT, run_checkov

TF = ROOT / "tf"
DOCKER = ROOT / "docker"


# --- Terraform ---------------------------------------------------------------------------------------


def test_terraform_is_formatted() -> None:
    terraform = shutil.which("terraform")
    if terraform is None:
        pytest.skip("terraform is not installed")
    result = subprocess.run(
        [terraform, "fmt", "-check", "-recursive", "-diff", str(TF)],
        capture_output=True,
        text=True,
        env={**os.environ, "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"},
    )
    assert result.returncode == 0, f"run `terraform fmt -recursive tf`:\n{result.stdout}"


def _blocks(kind: str) -> dict[str, str]:
    """Top-level `<kind> "label" ... { ... }` blocks of every .tf file, by file:label.label (brace-matched)."""
    blocks = {}
    for path in TF.rglob("*.tf"):
        text = path.read_text()
        for match in re.finditer(rf'^{kind}((?: "[^"]+")+) \{{', text, re.MULTILINE):
            depth, end = 0, match.end() - 1
            for end in range(match.end() - 1, len(text)):
                depth += {"{": 1, "}": -1}.get(text[end], 0)
                if depth == 0:
                    break
            name = ".".join(re.findall(r'"([^"]+)"', match.group(1)))
            blocks[f"{path.relative_to(TF)}:{name}"] = text[match.start() : end + 1]
    return blocks


@pytest.mark.parametrize("kind", ["variable", "output"])
def test_every_terraform_variable_and_output_has_a_description(kind: str) -> None:
    blocks = _blocks(kind)
    assert blocks
    missing = [name for name, body in blocks.items() if not re.search(r'^\s+description\s+= "\S', body, re.M)]
    assert not missing


def test_terraform_has_the_pieces_the_issue_lists() -> None:
    resources = "\n".join(path.read_text() for path in TF.rglob("*.tf"))
    for needle in [
        'resource "aws_nat_gateway"',
        'resource "aws_acm_certificate_validation"',
        'path                = "/health-check"',
        'status_code = "HTTP_301"',
        'resource "aws_ecr_repository"',
        'requires_compatibilities = ["FARGATE"]',
        'predefined_metric_type = "ECSServiceAverageCPUUtilization"',
        "rollback = true",
        "storage_encrypted     = true",
        "publicly_accessible    = false",
        "backup_retention_period",
        'resource "aws_s3_bucket_public_access_block"',
        'resource "aws_secretsmanager_secret"',
        'resource "aws_cloudwatch_log_group" "app"',
        'resource "aws_route53_record" "app"',
        "assign_public_ip = false",
    ]:
        assert needle in resources, needle
    assert (TF / "backend.tf.example").is_file()


def _resource(address: str) -> str:
    """The block of one resource, `type.name`, wherever it is defined."""
    (body,) = [body for name, body in _blocks("resource").items() if name.split(":", 1)[1] == address]
    return body


def _attribute(body: str, name: str) -> str:
    match = re.search(rf"^\s+{name}\s+= (.+)$", body, re.MULTILINE)
    assert match, f"{name} is not set"
    return match.group(1).strip()


def test_redis_is_encrypted_private_and_admits_only_the_tasks() -> None:
    group = _resource("aws_elasticache_replication_group.main")
    for name, value in [
        ("engine", '"redis"'),
        ("at_rest_encryption_enabled", "true"),
        ("kms_key_id", "aws_kms_key.main.arn"),
        ("transit_encryption_enabled", "true"),
        ("auth_token", "random_password.redis_auth.result"),
        ("automatic_failover_enabled", "true"),
        ("subnet_group_name", "aws_elasticache_subnet_group.main.name"),
        ("security_group_ids", "[aws_security_group.redis.id]"),
    ]:
        assert _attribute(group, name) == value, name
    subnets = _resource("aws_elasticache_subnet_group.main")
    assert _attribute(subnets, "subnet_ids") == "aws_subnet.private[*].id"
    into_redis = [
        body
        for address, body in _blocks("resource").items()
        if address.split(":", 1)[1].startswith("aws_vpc_security_group_ingress_rule.")
        and _attribute(body, "security_group_id") == "aws_security_group.redis.id"
    ]
    assert len(into_redis) == 1
    assert _attribute(into_redis[0], "referenced_security_group_id") == "aws_security_group.tasks.id"
    assert "cidr_ipv4" not in into_redis[0]
    token = _resource("aws_secretsmanager_secret_version.redis_auth_token")
    assert _attribute(token, "secret_string") == "random_password.redis_auth.result"
    assert _attribute(_resource("random_password.redis_auth"), "special") == "false"


def test_the_task_gets_the_redis_url_as_a_secret_and_the_proxy_and_instance_settings() -> None:
    secrets = (TF / "secrets.tf").read_text()
    assert re.search(r'^\s+RATELIMIT_STORAGE_URI\s+= "ratelimit-storage-uri"$', secrets, re.MULTILINE)
    url = _resource("aws_secretsmanager_secret_version.ratelimit_storage_uri")
    assert '"rediss://:%s@%s:%d/0"' in url
    assert "random_password.redis_auth.result" in url
    assert "aws_elasticache_replication_group.main.primary_endpoint_address" in url
    ecs = (TF / "ecs.tf").read_text()
    environment = ecs[ecs.index("app_environment = [") : ecs.index("app_secrets = [")]
    assert '{ name = "PROXY_HOPS", value = "1" }' in environment  # nginx resolves the load balancer's hop
    assert '{ name = "APP_INSTANCES", value = tostring(var.max_count) }' in environment
    assert 'name = "RATELIMIT_STORAGE_URI"' not in environment  # a secret, never a plain value
    assert "for name, secret in aws_secretsmanager_secret.app" in ecs[ecs.index("app_secrets = [") :]


def test_checkov_skips_all_carry_a_written_reason() -> None:
    skips = [
        (path.name, line.strip())
        for path in [*TF.rglob("*.tf"), *DOCKER.glob("*Dockerfile")]
        for line in path.read_text().splitlines()
        if "checkov:skip" in line
    ]
    assert skips, "expected the documented skips"
    for name, line in skips:
        assert re.fullmatch(r"#\s*checkov:skip=CKV2?_[A-Z]+_\d+:\s*\S.{15,}", line), (name, line)


@pytest.mark.parametrize(("directory", "framework"), [("tf", "terraform"), ("docker", "dockerfile")])
def test_checkov_finds_no_failed_checks(directory: str, framework: str) -> None:
    run_checkov(ROOT / directory, framework)


# --- Dockerfiles ----------------------------------------------------------------------------------------


def _instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with line continuations joined and comments dropped."""
    text = re.sub(r"\\\n", " ", dockerfile.read_text())
    pairs = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            instruction, _, arguments = line.partition(" ")
            pairs.append((instruction.upper(), " ".join(arguments.split())))
    return pairs


def _final_stage(dockerfile: Path) -> list[tuple[str, str]]:
    instructions = _instructions(dockerfile)
    last_from = max(i for i, (instruction, _) in enumerate(instructions) if instruction == "FROM")
    return instructions[last_from:]


@pytest.mark.parametrize("name", ["app.Dockerfile", "nginx.Dockerfile"])
def test_images_run_as_a_non_root_user_with_a_health_check(name: str) -> None:
    final = _final_stage(DOCKER / name)
    users = [arguments for instruction, arguments in final if instruction == "USER"]
    assert users, "the final stage must switch to a user"
    assert users[-1].split(":")[0] not in ("root", "0")
    assert any(instruction == "HEALTHCHECK" and "CMD" in arguments for instruction, arguments in final)
    for instruction, arguments in _instructions(DOCKER / name):
        if instruction == "FROM":
            image = arguments.split()[0]
            assert ":" in image and not image.endswith(":latest"), f"pin the base image: {image}"


def test_app_image_is_multi_stage_without_build_tools_in_the_final_stage() -> None:
    instructions = _instructions(DOCKER / "app.Dockerfile")
    stages = [arguments for instruction, arguments in instructions if instruction == "FROM"]
    assert len(stages) >= 2
    assert all("slim" in stage for stage in stages)
    final = _final_stage(DOCKER / "app.Dockerfile")
    final_text = " ".join(arguments for _, arguments in final)
    for tool in ("build-essential", "gcc", "libpq-dev", "apt-get install"):
        assert tool not in final_text
    assert any(instruction == "COPY" and arguments.startswith("--from=build") for instruction, arguments in final)
    cmd = next(arguments for instruction, arguments in final if instruction == "CMD")
    assert "gunicorn" in cmd and "gunicorn.conf.py" in cmd and "wsgi:app" in cmd


def test_nginx_image_uses_our_config() -> None:
    copies = [
        arguments for instruction, arguments in _instructions(DOCKER / "nginx.Dockerfile") if instruction == "COPY"
    ]
    assert "nginx.conf /etc/nginx/nginx.conf" in copies


# --- docker-compose ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_postgres_has_a_named_volume_and_a_health_check(compose: dict) -> None:
    db = compose["services"]["db"]
    assert db["image"].startswith("postgres:")
    volume = db["volumes"][0].split(":")[0]
    assert volume in compose["volumes"]
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])


def test_compose_migrates_before_the_app_starts(compose: dict) -> None:
    services = compose["services"]
    migrate, app, nginx = services["migrate"], services["app"], services["nginx"]
    assert migrate["depends_on"] == {"db": {"condition": "service_healthy"}}
    assert migrate["restart"] == "no"
    assert app["depends_on"] == {
        "migrate": {"condition": "service_completed_successfully"},
        "redis": {"condition": "service_healthy"},
    }
    assert nginx["depends_on"] == {"app": {"condition": "service_healthy"}}
    assert migrate["command"] == ["appl-tracky-migrate"]
    script = (DOCKER / "migrate.sh").read_text()
    steps = [script.index(step) for step in ("flask db upgrade", "flask seed-labels", "flask initialize-superuser")]
    assert steps == sorted(steps)
    assert "set -eu" in script


def test_compose_publishes_nginx_on_port_80_and_reads_env(compose: dict) -> None:
    nginx = compose["services"]["nginx"]
    assert nginx["ports"] == ["${HTTP_PORT:-80}:8080"]
    assert nginx["environment"]["APP_UPSTREAM"] == "app:8000"
    assert compose["services"]["app"]["env_file"] == ".env"
    example = (ROOT / ".env.example").read_text()
    defined = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", example, re.MULTILINE))
    used = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", (ROOT / "docker-compose.yml").read_text())) - {"IMAGE_TAG"}
    assert used <= defined
    assert re.search(r"^SECRET_KEY=$", example, re.M), ".env.example must not carry a real secret"


COMPOSE_SECRETS = ["SECRET_KEY", "POSTGRES_PASSWORD", "SUPERUSER_EMAIL", "SUPERUSER_PASSWORD"]


@pytest.mark.parametrize("name", COMPOSE_SECRETS)
def test_compose_refuses_to_start_without_a_secret_and_names_it(name: str) -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    uses = re.findall(rf"\$\{{{name}([^}}]*)\}}", text)
    assert uses, f"{name} is not passed"
    for use in uses:
        assert use.startswith(":?") and name in use, f"${{{name}{use}}}: guard it with ${{{name}:?... {name} ...}}"
    example = (ROOT / ".env.example").read_text()
    assert re.search(rf"^{name}=$", example, re.M), f".env.example must leave {name} for the operator to fill in"


def test_compose_app_gets_the_secrets_redis_and_its_proxy_and_instance_settings(compose: dict) -> None:
    services = compose["services"]
    for service in ("migrate", "app"):
        environment = services[service]["environment"]
        for name in ("SECRET_KEY", "SUPERUSER_EMAIL", "SUPERUSER_PASSWORD"):
            assert environment[name] == f"${{{name}:?set {name} in .env}}", (service, name)
    environment = services["app"]["environment"]
    host = re.fullmatch(r"redis://([a-z]+):6379/0", environment["RATELIMIT_STORAGE_URI"])
    assert host and host.group(1) in services
    assert (environment["PROXY_HOPS"], environment["APP_INSTANCES"]) == ("1", "1")


def test_compose_redis_keeps_nothing_and_is_locked_down(compose: dict) -> None:
    redis = compose["services"]["redis"]
    assert re.fullmatch(r"redis:\d+\.\d+-alpine", redis["image"])
    assert redis["command"] == ["redis-server", "--save", "", "--appendonly", "no"]
    assert "volumes" not in redis and redis["tmpfs"] == ["/data"]
    assert redis["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]
    assert redis["read_only"] is True
    assert redis["security_opt"] == ["no-new-privileges:true"]
    assert "ports" not in redis  # reachable on the compose network only


# --- nginx.conf and gunicorn.conf.py -----------------------------------------------------------------------


def test_nginx_conf_hides_its_version_and_leaves_cors_to_the_app() -> None:
    # Its body limits are the app's: tests/test_limits.py.
    conf = (ROOT / "nginx.conf").read_text()
    assert "server_tokens off;" in conf
    assert "Access-Control-" not in conf
    assert re.search(r"location = /health-check \{\s+access_log off;", conf)


def test_gunicorn_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    defaults = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert defaults["accesslog"] == "-" and defaults["errorlog"] == "-"
    assert defaults["timeout"] < 60  # below nginx's proxy_read_timeout
    monkeypatch.setenv("GUNICORN_WORKERS", "5")
    monkeypatch.setenv("GUNICORN_THREADS", "7")
    monkeypatch.setenv("GUNICORN_BIND", "127.0.0.1:9999")
    monkeypatch.setenv("GUNICORN_TIMEOUT", "12")
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert (settings["workers"], settings["threads"], settings["bind"], settings["timeout"]) == (
        5,
        7,
        "127.0.0.1:9999",
        12,
    )


def test_gunicorn_accepts_its_config() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "gunicorn", "--check-config", "-c", "gunicorn.conf.py", "wsgi:app"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "APP_ENV": "testing"},
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
