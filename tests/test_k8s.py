"""The Kubernetes description (k8s/): rendered by the real `kubectl kustomize`, validated offline against
the Kubernetes schemas (kubernetes-validate), scanned by checkov, and read for what the deployment promises.

Without kubectl or kubernetes-validate these tests skip, unless REQUIRE_KUBERNETES=1 (as in CI), which
turns a missing tool into a failure. checkov follows REQUIRE_CHECKOV (tests/infra.py).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from infra import ROOT, run_checkov

from app.config import ProductionConfig

K8S = ROOT / "k8s"
KUSTOMIZATIONS = {"base": K8S / "base", "production": K8S / "overlays" / "production"}
# The oldest Kubernetes minor still commonly run, and the newest the validator knows.
SCHEMA_VERSIONS = ["1.30.0", "latest"]
SECRET_NAME = "appl-tracky-secrets"
SECRET_SETTINGS = {"SECRET_KEY", "DATABASE_URL", "RATELIMIT_STORAGE_URI", "SUPERUSER_PASSWORD", "GOOGLE_CLIENT_SECRET"}
APP_UID = 10001  # docker/app.Dockerfile
NGINX_UID = 101  # the nginx user of the official nginx image (docker/nginx.Dockerfile: USER nginx)


def _missing(what: str) -> None:
    if os.environ.get("REQUIRE_KUBERNETES") == "1":
        pytest.fail(f"REQUIRE_KUBERNETES=1 but {what}")
    pytest.skip(what)


def _render(directory: Path) -> list[dict]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        _missing("kubectl is not installed")
    result = subprocess.run([kubectl, "kustomize", str(directory)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return [document for document in yaml.safe_load_all(result.stdout) if document]


@pytest.fixture(scope="module", params=list(KUSTOMIZATIONS))
def rendered(request: pytest.FixtureRequest) -> tuple[str, list[dict]]:
    return request.param, _render(KUSTOMIZATIONS[request.param])


@pytest.fixture(scope="module")
def production() -> list[dict]:
    return _render(KUSTOMIZATIONS["production"])


@pytest.fixture(scope="module")
def base() -> list[dict]:
    return _render(KUSTOMIZATIONS["base"])


def _one(documents: list[dict], kind: str, name: str) -> dict:
    found = [d for d in documents if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind} {name}, found {len(found)}"
    return found[0]


def _of_kind(documents: list[dict], kind: str) -> list[dict]:
    return [d for d in documents if d["kind"] == kind]


def _workloads(documents: list[dict]) -> list[dict]:
    return [d for d in documents if d["kind"] in ("Deployment", "Job")]


def _container(workload: dict) -> dict:
    (container,) = workload["spec"]["template"]["spec"]["containers"]
    return container


def _settings(documents: list[dict]) -> dict[str, str]:
    (config_map,) = [d for d in _of_kind(documents, "ConfigMap") if d["metadata"]["name"].startswith("app-settings")]
    return config_map["data"]


def _named_port(container: dict, port: int | str) -> int:
    if isinstance(port, int):
        return port
    return next(p["containerPort"] for p in container["ports"] if p["name"] == port)


# --- rendering, schemas, checkov -----------------------------------------------------------------------------


def test_renders_the_pieces_of_the_deployment(rendered: tuple[str, list[dict]]) -> None:
    _, documents = rendered
    kinds = {(d["kind"], d["metadata"]["name"]) for d in documents}
    for expected in [
        ("Namespace", "appl-tracky"),
        ("Deployment", "appl-tracky-app"),
        ("Service", "appl-tracky-app"),
        ("Job", "appl-tracky-migrate"),
        ("Deployment", "appl-tracky-nginx"),
        ("Service", "appl-tracky-nginx"),
        ("HorizontalPodAutoscaler", "appl-tracky-app"),
        ("PodDisruptionBudget", "appl-tracky-app"),
        ("PodDisruptionBudget", "appl-tracky-nginx"),
        ("NetworkPolicy", "default-deny"),
    ]:
        assert expected in kinds, expected
    namespaced = [d for d in documents if d["kind"] != "Namespace"]
    assert {d["metadata"].get("namespace") for d in namespaced} == {"appl-tracky"}


@pytest.mark.parametrize("version", SCHEMA_VERSIONS)
def test_every_manifest_matches_the_kubernetes_schema(rendered: tuple[str, list[dict]], version: str) -> None:
    try:
        import kubernetes_validate
        from kubernetes_validate import utils
    except ImportError:
        _missing("kubernetes-validate is not installed (requirements-dev.in)")
    version = utils.latest_version() if version == "latest" else version
    for document in rendered[1]:
        try:
            kubernetes_validate.validate(document, version, strict=True)
        except kubernetes_validate.ValidationError as error:
            pytest.fail(f"{document['kind']} {document['metadata']['name']} (Kubernetes {version}): {error.message}")


def test_checkov_finds_no_failed_checks_in_the_rendered_manifests(tmp_path: Path) -> None:
    for name, directory in KUSTOMIZATIONS.items():
        documents = _render(directory)
        (tmp_path / f"{name}.yaml").write_text(yaml.safe_dump_all(documents))
    results = run_checkov(tmp_path, "kubernetes", min_passed=200)
    skipped = {check["check_id"] for r in results for check in r["skipped_checks"]}
    assert skipped <= {"CKV_K8S_35", "CKV_K8S_40", "CKV_K8S_43"}, skipped


def test_checkov_skips_in_the_manifests_carry_a_written_reason() -> None:
    skips = [
        (path.name, line.strip())
        for path in K8S.rglob("*.yaml")
        for line in path.read_text().splitlines()
        if "checkov.io/skip" in line
    ]
    assert skips
    for name, line in skips:
        assert re.fullmatch(r"checkov\.io/skip\d+: CKV2?_K8S_\d+=\S.{30,}", line), (name, line)


# --- pods: non-root, read-only, no capabilities, resources ---------------------------------------------------


def test_every_pod_runs_unprivileged_on_a_read_only_root(rendered: tuple[str, list[dict]]) -> None:
    workloads = _workloads(rendered[1])
    assert len(workloads) == 3
    for workload in workloads:
        pod = workload["spec"]["template"]["spec"]
        security = pod["securityContext"]
        assert security["runAsNonRoot"] is True
        assert security["runAsUser"] > 0
        assert security["seccompProfile"] == {"type": "RuntimeDefault"}
        assert pod["automountServiceAccountToken"] is False
        volumes = {v["name"]: v for v in pod["volumes"]}
        for container in pod["containers"]:
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True
            assert context["allowPrivilegeEscalation"] is False
            assert context["capabilities"] == {"drop": ["ALL"]}
            assert "privileged" not in context or context["privileged"] is False
            (tmp,) = [m for m in container["volumeMounts"] if m["mountPath"] == "/tmp"]
            assert "emptyDir" in volumes[tmp["name"]]
            for bound in ("requests", "limits"):
                assert set(container["resources"][bound]) == {"cpu", "memory"}, (workload["metadata"]["name"], bound)


def test_the_pods_run_as_the_users_of_their_images(base: list[dict]) -> None:
    dockerfile = (ROOT / "docker" / "app.Dockerfile").read_text()
    assert f"--uid {APP_UID}" in dockerfile
    assert f"USER {NGINX_UID}:{NGINX_UID}" in (ROOT / "docker" / "nginx.Dockerfile").read_text()
    expected = {"appl-tracky-app": APP_UID, "appl-tracky-migrate": APP_UID, "appl-tracky-nginx": NGINX_UID}
    for workload in _workloads(base):
        assert (
            workload["spec"]["template"]["spec"]["securityContext"]["runAsUser"]
            == expected[workload["metadata"]["name"]]
        )


def test_the_namespace_enforces_the_restricted_pod_security_standard(base: list[dict]) -> None:
    labels = _one(base, "Namespace", "appl-tracky")["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"


# --- probes, ports, upstream ---------------------------------------------------------------------------------


def test_app_probes_ask_health_check_on_the_gunicorn_port(rendered: tuple[str, list[dict]]) -> None:
    documents = rendered[1]
    app = _container(_one(documents, "Deployment", "appl-tracky-app"))
    assert _settings(documents)["GUNICORN_BIND"] == "0.0.0.0:8000"
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        check = app[probe]["httpGet"]
        assert (check["path"], _named_port(app, check["port"])) == ("/health-check", 8000), probe
    # A database outage makes pods unready long before it restarts them.
    liveness, readiness = app["livenessProbe"], app["readinessProbe"]
    assert liveness["periodSeconds"] * liveness["failureThreshold"] > 4 * (
        readiness["periodSeconds"] * readiness["failureThreshold"]
    )


def test_nginx_proxies_to_the_app_service_and_is_ready_only_with_it(rendered: tuple[str, list[dict]]) -> None:
    documents = rendered[1]
    nginx = _container(_one(documents, "Deployment", "appl-tracky-nginx"))
    assert _named_port(nginx, "http") == 8080
    assert "listen 8080" in (ROOT / "nginx.conf").read_text()
    check = nginx["readinessProbe"]["httpGet"]
    assert (check["path"], _named_port(nginx, check["port"])) == ("/health-check", 8080)
    upstream = {e["name"]: e["value"] for e in nginx["env"]}["APP_UPSTREAM"]
    host, port = upstream.split(":")
    service = _one(documents, "Service", host)
    assert [p["port"] for p in service["spec"]["ports"]] == [int(port)]
    app_pod = _one(documents, "Deployment", "appl-tracky-app")["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= app_pod.items()


def test_the_nginx_image_accepts_the_upstream_the_manifest_gives_it(base: list[dict], tmp_path: Path) -> None:
    """docker/nginx-start.sh, as the image runs it, renders nginx.conf with the manifest's APP_UPSTREAM."""
    nginx = _container(_one(base, "Deployment", "appl-tracky-nginx"))
    upstream = {e["name"]: e["value"] for e in nginx["env"]}["APP_UPSTREAM"]
    rendered = tmp_path / "nginx.conf"
    result = subprocess.run(
        ["sh", str(ROOT / "docker" / "nginx-start.sh"), "--render"],
        env={
            **os.environ,
            "APP_UPSTREAM": upstream,
            "NGINX_CONF_TEMPLATE": str(ROOT / "nginx.conf"),
            "NGINX_CONF_RENDERED": str(rendered),
        },
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert re.search(rf"^\s+server {re.escape(upstream)};$", rendered.read_text(), re.MULTILINE)


# --- secrets -------------------------------------------------------------------------------------------------


def test_secrets_are_referenced_never_written_down(rendered: tuple[str, list[dict]]) -> None:
    documents = rendered[1]
    assert not _of_kind(documents, "Secret"), "no Secret with values belongs in k8s/"
    assert not SECRET_SETTINGS & set(_settings(documents))
    for workload in _workloads(documents):
        for container in workload["spec"]["template"]["spec"]["containers"]:
            literal = {e["name"]: e.get("value") for e in container.get("env", []) if "value" in e}
            assert not SECRET_SETTINGS & set(literal), workload["metadata"]["name"]
            assert not any("@" in (value or "") for value in literal.values())
    for component in ("Deployment/appl-tracky-app", "Job/appl-tracky-migrate"):
        kind, name = component.split("/")
        env_from = _container(_one(documents, kind, name))["envFrom"]
        assert {"secretRef": {"name": SECRET_NAME}} in env_from
        assert any(source.get("configMapRef", {}).get("name", "").startswith("app-settings") for source in env_from)


# --- scaling -------------------------------------------------------------------------------------------------


def test_autoscaler_budget_and_app_instances_agree(rendered: tuple[str, list[dict]]) -> None:
    documents = rendered[1]
    deployment = _one(documents, "Deployment", "appl-tracky-app")
    autoscaler = _one(documents, "HorizontalPodAutoscaler", "appl-tracky-app")["spec"]
    assert autoscaler["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "appl-tracky-app"}
    assert 2 <= autoscaler["minReplicas"] == deployment["spec"]["replicas"] < autoscaler["maxReplicas"]
    assert int(_settings(documents)["APP_INSTANCES"]) == autoscaler["maxReplicas"]
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    budget = _one(documents, "PodDisruptionBudget", "appl-tracky-app")["spec"]
    assert budget["selector"]["matchLabels"].items() <= pod_labels.items()
    assert 1 <= budget["minAvailable"] < autoscaler["minReplicas"]
    assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0


# --- network policies ----------------------------------------------------------------------------------------


def _policy(documents: list[dict], name: str) -> dict:
    return _one(documents, "NetworkPolicy", name)["spec"]


def _ports(rules: list[dict]) -> set[tuple[str, int]]:
    return {(port["protocol"], port["port"]) for rule in rules for port in rule["ports"]}


def _component(component: str) -> dict:
    return {"matchLabels": {"app.kubernetes.io/name": "appl-tracky", "app.kubernetes.io/component": component}}


def test_network_policies_deny_by_default_and_allow_only_the_paths_used(rendered: tuple[str, list[dict]]) -> None:
    documents = rendered[1]
    deny = _policy(documents, "default-deny")
    assert deny == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    dns = _policy(documents, "allow-dns")
    assert dns["podSelector"] == {} and _ports(dns["egress"]) == {("UDP", 53), ("TCP", 53)}

    nginx = _policy(documents, "nginx")
    assert nginx["podSelector"] == _component("nginx")
    assert _ports(nginx["ingress"]) == {("TCP", 8080)}
    to_app = {"to": [{"podSelector": _component("app")}], "ports": [{"protocol": "TCP", "port": 8000}]}
    assert nginx["egress"] == [to_app]

    app = _policy(documents, "app")
    assert app["podSelector"] == _component("app")
    from_nginx = {"from": [{"podSelector": _component("nginx")}], "ports": [{"protocol": "TCP", "port": 8000}]}
    assert app["ingress"] == [from_nginx]
    assert _ports(app["egress"]) == {("TCP", 5432), ("TCP", 6379), ("TCP", 443)}

    migrate = _policy(documents, "migrate")
    assert migrate["podSelector"] == _component("migrate")
    assert "ingress" not in migrate and _ports(migrate["egress"]) == {("TCP", 5432)}

    policies = _of_kind(documents, "NetworkPolicy")
    selected = {tuple(sorted(p["spec"]["podSelector"].get("matchLabels", {}).items())) for p in policies}
    for workload in _workloads(documents):
        labels = workload["spec"]["template"]["metadata"]["labels"]
        assert tuple(sorted(labels.items())) in selected, workload["metadata"]["name"]


def test_production_admits_nginx_traffic_only_from_the_ingress_controller(production: list[dict]) -> None:
    (rule,) = _policy(production, "nginx")["ingress"]
    assert rule["from"] == [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}]
    ingress = _one(production, "Ingress", "appl-tracky")["spec"]
    backend = ingress["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend == {"name": "appl-tracky-nginx", "port": {"name": "http"}}
    assert ingress["tls"][0]["secretName"]


# --- the migration Job ---------------------------------------------------------------------------------------


def test_migration_job_runs_the_migrate_script_of_the_app_image(rendered: tuple[str, list[dict]]) -> None:
    documents = rendered[1]
    job = _one(documents, "Job", "appl-tracky-migrate")
    container = _container(job)
    assert container["command"] == ["appl-tracky-migrate"]
    assert (
        "COPY --chmod=0755 docker/migrate.sh /usr/local/bin/appl-tracky-migrate"
        in (ROOT / "docker" / "app.Dockerfile").read_text()
    )
    app = _container(_one(documents, "Deployment", "appl-tracky-app"))
    assert (container["image"], container["envFrom"]) == (app["image"], app["envFrom"])
    spec = job["spec"]
    assert spec["template"]["spec"]["restartPolicy"] == "Never"
    assert spec["backoffLimit"] >= 1 and spec["activeDeadlineSeconds"] > 0


# --- settings per deployment ---------------------------------------------------------------------------------


def test_base_trusts_nginx_alone(base: list[dict]) -> None:
    assert _settings(base)["PROXY_HOPS"] == "1"


def test_production_stores_images_in_s3_behind_nginx(production: list[dict]) -> None:
    settings = _settings(production)
    assert settings["IMAGE_STORAGE"] == "s3"
    assert settings["S3_BUCKET"] and settings["S3_REGION"]
    assert settings["PROXY_HOPS"] == "1"  # nginx resolves the Ingress controller's hop itself
    assert int(settings["APP_INSTANCES"]) > 1
    for workload in _workloads(production):
        image = _container(workload)["image"]
        name, _, tag = image.rpartition(":")
        assert "/" in name and tag and tag not in ("latest", "local"), image
    assert _one(production, "Deployment", "appl-tracky-nginx")["spec"]["replicas"] >= 2


def test_production_settings_are_accepted_by_the_app(production: list[dict], monkeypatch: pytest.MonkeyPatch) -> None:
    """The ConfigMap plus the Secret's keys (with stand-in values) make a configuration the app starts with."""
    for key in [key for key in os.environ if key.startswith(("APP_", "S3_", "IMAGE_", "RATELIMIT_", "PROXY_"))]:
        monkeypatch.delenv(key)
    for key, value in _settings(production).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("SECRET_KEY", "k" * 48)
    monkeypatch.setenv("DATABASE_URL", "postgresql://appl_tracky:pw@db.internal:5432/appl_tracky?sslmode=require")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "rediss://:token@redis.internal:6379/0")
    config = ProductionConfig()
    config.validate()
    assert config.IMAGE_STORAGE == "s3" and config.RATELIMIT_STORAGE_URI.startswith("rediss://")
