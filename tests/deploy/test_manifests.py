"""The compose file and the Kubernetes manifests set only variables mlgov
reads, and every variable production mode cannot start without.

What mlgov reads is read from its source (mlgov/settings.py, gunicorn.conf.py,
the image's entrypoint); what production requires is found by loading the
settings with the compose file's environment, one variable left out at a
time. The schemas themselves are checked by scripts/ci-deploy-checks.sh
(podman-compose config, kubernetes-validate, promtool), which need tools
the test suite does not."""

import re
import runpy
from pathlib import Path

import pytest
import yaml
from django.core.exceptions import ImproperlyConfigured

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
BASE = DEPLOY / "k8s" / "base"
PRODUCTION = DEPLOY / "k8s" / "overlays" / "production"
MLGOV_IMAGE = "localhost/mlgov"
# Official images (Docker's library and the projects' own organisations).
OFFICIAL_IMAGES = (
    "docker.io/library/postgres:",
    "docker.io/library/redis:",
    "docker.io/library/haproxy:",
    "docker.io/prom/prometheus:",
    "docker.io/grafana/grafana:",
)
# Images the repository builds from its own files.
BUILT_IMAGES = ("localhost/mlgov:", "localhost/mlgov-pgbouncer:")
# The periodic commands (mlgov.scheduler.SCHEDULE where the scheduler exists).
PERIODIC_COMMANDS = {
    "snapshot_portfolio",
    "notify_expiring_waivers",
    "send_review_reminders",
    "send_notification_digests",
    "import_mlflow",
    "verify_audit",
}
# Read by libraries or the image rather than by mlgov's own source.
READ_ELSEWHERE = {"DJANGO_SETTINGS_MODULE"}


def variables_read() -> set[str]:
    """Every environment variable the settings, gunicorn's configuration and
    the entrypoint read."""
    names = set(READ_ELSEWHERE)
    settings = (ROOT / "mlgov" / "settings.py").read_text()
    names |= set(re.findall(r"\benv(?:\.\w+)?\(\s*\"([A-Z][A-Z0-9_]*)\"", settings))
    gunicorn = (ROOT / "gunicorn.conf.py").read_text()
    names |= set(re.findall(r"_env\(\s*\"([A-Z][A-Z0-9_]*)\"", gunicorn))
    environ_read = r"environ(?:\.get)?[\(\[]\s*\"([A-Z][A-Z0-9_]*)\""
    names |= set(re.findall(environ_read, gunicorn))
    entrypoint = DEPLOY / "entrypoint.sh"
    if entrypoint.exists():
        names |= set(re.findall(r"\$\{?([A-Z][A-Z0-9_]*)", entrypoint.read_text()))
    return names


def load_all(path: Path) -> list[dict]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def mlgov_compose_services() -> dict[str, dict]:
    return {
        name: service
        for name, service in compose()["services"].items()
        if service.get("image", "").startswith(MLGOV_IMAGE + ":")
    }


def k8s_objects(folder: Path) -> list[dict]:
    """The folder's objects (or patches), its kustomization left out."""
    return [
        doc
        for path in sorted(folder.glob("*.yaml"))
        if path.name != "kustomization.yaml"
        for doc in load_all(path)
    ]


def pod_spec(obj: dict) -> dict | None:
    if obj["kind"] == "CronJob":
        return obj["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    if obj["kind"] in ("Deployment", "Job"):
        return obj["spec"]["template"]["spec"]
    return None


def k8s_containers(folder: Path) -> dict[str, dict]:
    """The mlgov containers of the folder's workloads, by workload name."""
    containers = {}
    for obj in k8s_objects(folder):
        spec = pod_spec(obj)
        if spec is not None:
            for container in spec["containers"]:
                containers[obj["metadata"]["name"]] = container
    return containers


def k8s_config_keys() -> set[str]:
    keys: set[str] = set()
    for folder in (BASE, PRODUCTION):
        for obj in k8s_objects(folder):
            if obj["kind"] == "ConfigMap":
                keys |= set(obj.get("data", {}))
    return keys


def k8s_variables(container: dict) -> set[str]:
    """The variables a container gets: its env entries and the ConfigMap
    it takes whole (every mlgov container takes mlgov-config)."""
    names = {entry["name"] for entry in container.get("env", [])}
    for source in container.get("envFrom", []):
        assert source == {"configMapRef": {"name": "mlgov-config"}}, source
        names |= k8s_config_keys()
    return names


def interpolated(value: str) -> str:
    """A compose value with ${VAR:-default} as its default and any other
    ${VAR…} as a strong stand-in (the real ones come from deploy/.env)."""

    def substitute(match: re.Match) -> str:
        default = re.fullmatch(r"[A-Z_]+:-(.*)", match.group(1))
        if default:
            return default.group(1)
        return "Stand-in-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJ"

    return re.sub(r"\$\{([^}]*)\}", substitute, str(value))


def load_settings(environment: dict[str, str], monkeypatch) -> dict:
    """mlgov/settings.py run with exactly these variables of its own."""
    with monkeypatch.context() as patch:
        for name in variables_read():
            patch.delenv(name, raising=False)
        for name, value in environment.items():
            patch.setenv(name, value)
        return runpy.run_path(str(ROOT / "mlgov" / "settings.py"))


def web_environment() -> dict[str, str]:
    web = mlgov_compose_services()["web-1"]
    return {name: interpolated(value) for name, value in web["environment"].items()}


def required_in_production(monkeypatch) -> set[str]:
    """The variables whose absence stops the settings in production mode."""
    environment = web_environment()
    load_settings(environment, monkeypatch)  # the whole set is accepted
    required = set()
    for name in environment:
        if name == "MLGOV_MODE":
            continue  # without it the mode is embedded, which needs nothing
        rest = {key: value for key, value in environment.items() if key != name}
        try:
            load_settings(rest, monkeypatch)
        except ImproperlyConfigured:
            required.add(name)
    return required


def test_the_settings_need_what_production_mode_documents(monkeypatch):
    # The derivation below must find the settings' own refusals, or the
    # checks that use it would pass on nothing.
    assert {"SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL"} <= (
        required_in_production(monkeypatch)
    )


def test_compose_sets_only_variables_mlgov_reads():
    read = variables_read()
    for name, service in mlgov_compose_services().items():
        unknown = set(service["environment"]) - read
        assert not unknown, f"compose service {name} sets {sorted(unknown)}"


def test_compose_sets_every_variable_production_needs(monkeypatch):
    needed = required_in_production(monkeypatch) | {"METRICS_TOKEN"}
    for name, service in mlgov_compose_services().items():
        environment = service["environment"]
        missing = needed - set(environment)
        assert not missing, f"compose service {name} lacks {sorted(missing)}"
        assert environment["MLGOV_MODE"] == "production"


def test_kubernetes_sets_only_variables_mlgov_reads():
    read = variables_read()
    assert not k8s_config_keys() - read
    for name, container in k8s_containers(BASE).items():
        unknown = k8s_variables(container) - read
        assert not unknown, f"{name} sets {sorted(unknown)}"


def test_kubernetes_sets_every_variable_production_needs(monkeypatch):
    needed = required_in_production(monkeypatch)
    containers = k8s_containers(BASE)
    assert containers
    for name, container in containers.items():
        missing = needed - k8s_variables(container)
        assert not missing, f"{name} lacks {sorted(missing)}"
    config = next(o for o in k8s_objects(BASE) if o["kind"] == "ConfigMap")
    assert config["data"]["MLGOV_MODE"] == "production"
    # Prometheus needs the token on the app servers, which serve /metrics.
    assert "METRICS_TOKEN" in k8s_variables(containers["mlgov-web"])


def test_behind_pgbouncer_prepared_statements_are_off_in_both():
    # Debian's PgBouncer 1.18 in transaction mode cannot keep them.
    for service in mlgov_compose_services().values():
        assert service["environment"]["DATABASE_PREPARED_STATEMENTS"] == "false"
    config = next(o for o in k8s_objects(BASE) if o["kind"] == "ConfigMap")
    assert config["data"]["DATABASE_PREPARED_STATEMENTS"] == "false"


def test_sessions_that_listen_or_migrate_bypass_pgbouncer():
    services = mlgov_compose_services()
    for name in ("worker", "migrate"):
        assert "@postgres:5432/" in services[name]["environment"]["DATABASE_URL"]
    for name in ("web-1", "web-2", "scheduler"):
        assert "@pgbouncer:6432/" in services[name]["environment"]["DATABASE_URL"]
    containers = k8s_containers(BASE)
    for name in ("mlgov-worker", "mlgov-migrate"):
        env = containers[name]["env"]
        (database,) = [e for e in env if e["name"] == "DATABASE_URL"]
        assert database["valueFrom"]["secretKeyRef"]["key"] == "DATABASE_DIRECT_URL"


def test_compose_names_only_official_images_or_the_repositorys_own():
    for name, service in compose()["services"].items():
        image = service["image"]
        assert image.startswith(OFFICIAL_IMAGES + BUILT_IMAGES), (name, image)
        if image.startswith("localhost/mlgov-"):
            assert (DEPLOY / service["build"]["context"] / "Containerfile").exists()


def test_compose_runs_two_app_servers_after_the_migration():
    services = compose()["services"]
    for name in ("web-1", "web-2", "worker", "scheduler"):
        assert services[name]["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"
        }
        assert services[name]["read_only"] is True
    assert services["migrate"]["restart"] == "no"
    haproxy = (DEPLOY / "haproxy" / "haproxy.cfg").read_text()
    assert re.search(r"server web-1 web-1:8000 check", haproxy)
    assert re.search(r"server web-2 web-2:8000 check", haproxy)
    assert "uri /readyz" in haproxy
    scrape = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    (job,) = scrape["scrape_configs"]
    assert job["static_configs"][0]["targets"] == ["web-1:8000", "web-2:8000"]
    assert "credentials_file" in job["authorization"]


@pytest.mark.parametrize("folder", [BASE, PRODUCTION], ids=["base", "production"])
def test_each_kustomization_lists_every_file_of_its_folder(folder):
    kustomization = yaml.safe_load((folder / "kustomization.yaml").read_text())
    listed = list(kustomization.get("resources", [])) + [
        patch["path"] for patch in kustomization.get("patches", [])
    ]
    files = {p.name for p in folder.glob("*.yaml")} - {"kustomization.yaml"}
    local = {entry for entry in listed if not entry.startswith("..")}
    assert local == files
    assert len(local) == len([e for e in listed if not e.startswith("..")])


def test_every_production_patch_targets_an_object_of_the_base():
    base = {(o["kind"], o["metadata"]["name"]) for o in k8s_objects(BASE)}
    patches = k8s_objects(PRODUCTION)
    assert patches
    for patch in patches:
        assert (patch["kind"], patch["metadata"]["name"]) in base


def test_the_web_deployment_is_probed_hardened_and_kept_available():
    objects = {(o["kind"], o["metadata"]["name"]): o for o in k8s_objects(BASE)}
    web = objects["Deployment", "mlgov-web"]
    assert web["spec"]["replicas"] == 2
    pod = web["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    (container,) = pod["containers"]
    assert container["args"] == ["web"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert {"requests", "limits"} <= set(container["resources"])
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    config = objects["ConfigMap", "mlgov-config"]["data"]
    assert {"/tmp", config["PROMETHEUS_MULTIPROC_DIR"]} <= mounts
    assert objects["PodDisruptionBudget", "mlgov-web"]["spec"]["minAvailable"] == 1
    hpa = objects["HorizontalPodAutoscaler", "mlgov-web"]["spec"]
    assert hpa["minReplicas"] == 2
    assert hpa["scaleTargetRef"]["name"] == "mlgov-web"


def test_every_periodic_command_has_a_cronjob_that_never_overlaps():
    try:
        from mlgov.scheduler import SCHEDULE  # type: ignore[import-not-found]

        periodic = {job.command for job in SCHEDULE}
    except ImportError:
        periodic = PERIODIC_COMMANDS
    commands = {}
    for obj in k8s_objects(BASE):
        if obj["kind"] == "CronJob":
            assert obj["spec"]["concurrencyPolicy"] == "Forbid"
            (container,) = pod_spec(obj)["containers"]
            assert container["args"][0] == "manage"
            commands[container["args"][1]] = obj["spec"]["schedule"]
    assert set(commands) == periodic


def test_every_mlgov_pod_runs_as_a_non_root_user_on_a_read_only_root():
    for obj in k8s_objects(BASE):
        spec = pod_spec(obj)
        if spec is None:
            continue
        assert spec["securityContext"]["runAsNonRoot"] is True, obj["metadata"]
        assert spec["automountServiceAccountToken"] is False
        for container in spec["containers"]:
            assert container["image"] == "mlgov"
            assert container["securityContext"]["readOnlyRootFilesystem"] is True
            assert container["securityContext"]["allowPrivilegeEscalation"] is False
