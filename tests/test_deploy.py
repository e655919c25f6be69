"""make deploy: the sequence of steps, DRY_RUN that runs nothing, and stopping at the first failure.

The real tools (docker, aws, terraform) are replaced by stubs on PATH that record every call and
answer like the real ones; git is the real one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from infra import ROOT

TASK_DEFINITION = "arn:aws:ecs:us-east-1:123:task-definition/appl-tracky-production:7"

STUBS = {
    "terraform": r"""
if [ "$2" = output ]; then
    case "$4" in
        aws_region) printf us-east-1 ;;
        app_repository_url) printf 123.dkr.ecr.us-east-1.amazonaws.com/appl-tracky-production/app ;;
        nginx_repository_url) printf 123.dkr.ecr.us-east-1.amazonaws.com/appl-tracky-production/nginx ;;
        cluster_name) printf appl-tracky-production ;;
        service_name) printf appl-tracky-production ;;
        private_subnet_ids) printf subnet-a,subnet-b ;;
        task_security_group_id) printf sg-1 ;;
        migrate_task_definition) printf '{"family":"m","containerDefinitions":[{"image":"@IMAGE@"}]}' ;;
        url) printf https://tracky.example.com ;;
        task_definition_arn) printf '%s' "$TASK_DEFINITION" ;;
    esac
fi
""",
    "docker": '[ "$1" = login ] && cat >/dev/null; exit 0',
    "aws": r"""
case "$1 $2" in
    "ecr get-login-password") printf secret-password ;;
    "ecs register-task-definition") printf arn:migrate:1 ;;
    "ecs run-task") [ -n "${FAIL_RUN_TASK:-}" ] && { echo "An error occurred (AccessDenied)" >&2; exit 254; }
                    printf arn:task:1 ;;
    "ecs describe-tasks") printf '%s' "${MIGRATE_EXIT:-0}" ;;
    "ecs describe-services") printf '%s' "${RUNNING_TASK_DEFINITION:-$TASK_DEFINITION}" ;;
esac
""",
}


@pytest.fixture
def stubs(tmp_path: Path) -> tuple[dict[str, str], Path]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "calls.log"
    for name, body in STUBS.items():
        stub = bin_dir / name
        stub.write_text(f'#!/bin/sh\nprintf "%s\\n" "{name} $*" >> "$STUB_CALLS"\n{body}\n')
        stub.chmod(0o755)
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "STUB_CALLS": str(calls),
        "TASK_DEFINITION": TASK_DEFINITION,
        "ALLOW_DIRTY": "1",
    }
    env.pop("DRY_RUN", None)
    env.pop("MAKEFLAGS", None)
    return env, calls


def deploy(env: dict[str, str], *make_args: str) -> subprocess.CompletedProcess:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    return subprocess.run(
        ["make", "--no-print-directory", "deploy", *make_args],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _commit() -> str:
    return subprocess.run(
        ["git", "rev-parse", "--short=12", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()


def _in_order(text: str, needles: list[str]) -> None:
    position = -1
    for needle in needles:
        found = text.find(needle, position + 1)
        assert found > position, f"{needle!r} missing or out of order in:\n{text}"
        position = found


EXPECTED_SEQUENCE = [
    "+ terraform -chdir=tf init",
    "docker build --platform linux/amd64 -f docker/app.Dockerfile -t",
    "docker build --platform linux/amd64 -f docker/nginx.Dockerfile -t",
    "+ aws ecr get-login-password",
    "+ docker login --username AWS --password-stdin",
    "+ docker push",
    "+ docker push",
    "+ aws ecs register-task-definition",
    "+ aws ecs run-task",
    "+ aws ecs wait tasks-stopped",
    "+ aws ecs describe-tasks",
    "+ terraform -chdir=tf plan -input=false -var image_tag=",
    "+ terraform -chdir=tf apply -input=false deploy.tfplan",
    "+ aws ecs wait services-stable",
    "+ aws ecs describe-services",
    "Deployed ",
]


def test_dry_run_prints_every_step_in_order_and_runs_nothing(stubs) -> None:
    env, calls = stubs
    result = deploy(env, "DRY_RUN=1")
    assert result.returncode == 0, result.stdout + result.stderr
    _in_order(result.stdout, EXPECTED_SEQUENCE)
    tag = _commit()
    assert f"-var image_tag={tag}" in result.stdout
    assert f"'<app_repository_url>:{tag}'" in result.stdout
    assert not calls.exists(), f"DRY_RUN=1 ran commands:\n{calls.read_text()}"


def test_deploy_runs_the_steps_in_order_with_the_commit_tag(stubs) -> None:
    env, calls = stubs
    result = deploy({**env, "IMAGE_TAG": "abc123"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Deployed abc123: https://tracky.example.com" in result.stdout
    log = calls.read_text()
    app_image = "123.dkr.ecr.us-east-1.amazonaws.com/appl-tracky-production/app:abc123"
    _in_order(
        log,
        [
            f"docker build --platform linux/amd64 -f docker/app.Dockerfile -t {app_image} .",
            "docker login --username AWS --password-stdin 123.dkr.ecr.us-east-1.amazonaws.com",
            f"docker push {app_image}",
            "docker push 123.dkr.ecr.us-east-1.amazonaws.com/appl-tracky-production/nginx:abc123",
            # The migration task runs the image just pushed.
            f'--cli-input-json {{"family":"m","containerDefinitions":[{{"image":"{app_image}"}}]}}',
            "aws ecs run-task --region us-east-1 --cluster appl-tracky-production --launch-type FARGATE "
            "--task-definition arn:migrate:1",
            "awsvpcConfiguration={subnets=[subnet-a,subnet-b],securityGroups=[sg-1],assignPublicIp=DISABLED}",
            "aws ecs wait tasks-stopped --region us-east-1 --cluster appl-tracky-production --tasks arn:task:1",
            "terraform -chdir=tf plan -input=false -var image_tag=abc123 -out=deploy.tfplan",
            "terraform -chdir=tf apply -input=false deploy.tfplan",
            "aws ecs wait services-stable",
        ],
    )
    assert "secret-password" not in result.stdout + result.stderr


def test_deploy_stops_at_the_first_failing_step(stubs) -> None:
    env, calls = stubs
    result = deploy({**env, "IMAGE_TAG": "abc123", "FAIL_RUN_TASK": "1"})
    assert result.returncode != 0
    assert 'FAILED during step "Migrate the database (one-off ECS task)"' in result.stderr
    assert "AccessDenied" in result.stderr
    log = calls.read_text()
    assert "aws ecs run-task" in log
    assert "tasks-stopped" not in log and "terraform -chdir=tf apply" not in log
    assert "Deployed" not in result.stdout


def test_deploy_stops_when_the_migration_fails(stubs) -> None:
    env, calls = stubs
    result = deploy({**env, "IMAGE_TAG": "abc123", "MIGRATE_EXIT": "1"})
    assert result.returncode != 0
    assert "the migration task exited with '1'" in result.stderr
    assert "The service was not changed" in result.stderr
    assert "terraform -chdir=tf plan" not in calls.read_text()


def test_deploy_reports_a_rolled_back_deployment(stubs) -> None:
    env, _ = stubs
    result = deploy({**env, "IMAGE_TAG": "abc123", "RUNNING_TASK_DEFINITION": "arn:old:6"})
    assert result.returncode != 0
    assert "rolled back" in result.stderr
    assert "Deployed" not in result.stdout


def test_deploy_refuses_uncommitted_changes_unless_allowed(stubs, tmp_path: Path) -> None:
    env, calls = stubs
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", "--no-local", str(ROOT), str(clone)], check=True)
    (clone / "README.md").write_text("changed\n")
    subprocess.run(["git", "add", "README.md"], cwd=clone, check=True)
    env = {key: value for key, value in env.items() if key != "ALLOW_DIRTY"}
    result = subprocess.run(
        ["bash", "scripts/deploy.sh"], cwd=clone, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "uncommitted changes" in result.stderr
    assert not calls.exists()
