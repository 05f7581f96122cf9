"""The Helm chart (chart/) and compose describe the same lab: for each value set, what the chart
renders is compared with compose's services as compose resolves them from .env (images,
environment, commands, health checks, config files, mounts, ports), and with the rules the lab
keeps (non-root, no Service outside the cluster unless asked). Renders with the helm that
`make lint` builds into the lab's cache (scripts/k8s-tools.sh)."""

import json
import os
import re
import subprocess
from functools import cache
from pathlib import Path

import pytest
import yaml

import lab_env

ROOT = Path(__file__).resolve().parents[2]
# The lab's cache, as scripts/lib.sh names it.
_USER_CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "obslab"
CACHE = Path(os.environ.get("OBSLAB_CACHE") or ("/var/cache/obslab" if os.getuid() == 0 else _USER_CACHE))
HELM = CACHE / "bin" / "k8s" / "helm"

# compose service -> the chart's workload, per value set (compose.scale.yaml's services only
# in the scaled one; Locust's master and workers in both, as make load-ui and load WORKERS=N).
LAPTOP = ["backend-flask", "users-api", "otel-collector", "console", "prometheus", "jaeger", "xray-daemon",
          "localstack", "locust"]  # fmt: skip
SCALED = LAPTOP + ["jaeger-collector", "jaeger-ingester", "kafka", "opensearch", "kafka-init", "locust-worker"]
# Environment the chart sets differently on purpose: each broker's id and address come from its
# pod (a StatefulSet's ordinal and DNS name), where compose names the one broker `kafka`.
BY_POD = {"kafka": {"KAFKA_NODE_ID", "KAFKA_ADVERTISED_LISTENERS", "KAFKA_CONTROLLER_QUORUM_VOTERS", "POD_NAME"}}


def _interpolate(text: str, env: dict[str, str]) -> str:
    """compose's ${VAR}, ${VAR:-default} and ${VAR:+alternative}, from .env."""

    def one(match):
        name, op, word = match.group(1), match.group(2), match.group(3) or ""
        value = env.get(name, "")
        if op == ":-":
            return value or word
        if op == ":+":
            return word if value else ""
        return value

    return re.sub(r"\$\{([A-Z_][A-Z0-9_]*)(?:(:-|:\+)([^}]*))?\}", one, text)


def _merge(base, override):
    """compose's merge of an override file: mappings key by key, environment and the rest replaced."""
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = _merge(base.get(key), value) if key in base else value
        return merged
    return override


@cache
def compose(profile: str) -> dict:
    env = lab_env.env_file()
    files = ["compose.yaml"] + (["compose.scale.yaml"] if profile == "scaled" else [])
    services: dict = {}
    for name in files:
        document = yaml.safe_load(_interpolate((ROOT / name).read_text(), env))
        for service, spec in document["services"].items():
            services[service] = _merge(services[service], spec) if service in services else spec
    return services


@cache
def render(values: str, *sets: str) -> list[dict]:
    if not HELM.exists():
        pytest.skip(f"{HELM} is built by make lint (scripts/k8s-tools.sh lint)")
    args = [str(HELM), "template", "obslab", str(ROOT / "chart"), "-f", str(ROOT / "chart" / f"values-{values}.yaml")]
    for setting in sets:
        args += ["--set", setting]
    result = subprocess.run(args, capture_output=True, text=True, check=True)
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def _objects(docs, kind):
    return {doc["metadata"]["name"]: doc for doc in docs if doc["kind"] == kind}


def _workloads(docs):
    return {name: doc for kind in ("Deployment", "StatefulSet", "Job") for name, doc in _objects(docs, kind).items()}


def _container(docs, name) -> dict:
    [container] = _workloads(docs)[name]["spec"]["template"]["spec"]["containers"]
    return container


# The scaled value set with compose's default of one broker, to compare Kafka with compose.
SHAPES = [("laptop", LAPTOP, ()), ("scaled", SCALED, ("kafka.brokers=1",))]


def _cases():
    for values, services, sets in SHAPES:
        for service in services:
            yield pytest.param(values, service, sets, id=f"{values}-{service}")


@pytest.mark.parametrize(("values", "services"), [(v, s) for v, s, _ in SHAPES])
def test_the_chart_has_a_workload_for_each_compose_service_of_the_shape(values, services):
    docs = render(values)
    assert set(_workloads(docs)) == set(services)
    profile = "scaled" if values == "scaled" else "laptop"
    # Every service the profile runs, and Locust's (profile "load"); workers only when scaled.
    runs = {name for name, spec in compose(profile).items() if spec.get("profiles") in (None, [], ["load"])}
    assert runs - {"locust-worker"} == set(services) - {"locust-worker"}


@pytest.mark.parametrize(("values", "service", "sets"), list(_cases()))
def test_the_container_runs_what_compose_runs(values, service, sets):
    docs = render(values, *sets)
    spec = compose("scaled" if values == "scaled" else "laptop")[service]
    container = _container(docs, service)
    assert container["image"] == spec["image"]
    # What runs: compose's entrypoint and command, the chart's command and args.
    argv = (container.get("command") or []) + (container.get("args") or [])
    wanted = [str(a) for a in (spec.get("entrypoint") or []) + (spec.get("command") or [])]
    if service == "locust" and values == "scaled":
        # make load WORKERS=N gives compose's master these on its command line.
        wanted = ["--master", "--expect-workers", str(_workers(docs))]
    assert argv == wanted


def _workers(docs) -> int:
    return _workloads(docs)["locust-worker"]["spec"]["replicas"]


def _compose_value(value) -> str:
    """An environment value as compose passes it: YAML booleans as true/false, nothing as ""."""
    if isinstance(value, bool):
        return str(value).lower()
    return "" if value is None else str(value)


def _env_of(container) -> dict[str, str]:
    env = {}
    for variable in container.get("env", []):
        if "value" in variable:
            env[variable["name"]] = variable["value"]
        elif "secretKeyRef" in variable.get("valueFrom", {}):
            # The chart's Secret holds .env's value (both empty by default).
            env[variable["name"]] = lab_env.env_file()[variable["valueFrom"]["secretKeyRef"]["key"]]
        else:
            env[variable["name"]] = "<from the pod>"
    return env


@pytest.mark.parametrize(("values", "service", "sets"), list(_cases()))
def test_the_container_gets_the_environment_compose_gives(values, service, sets):
    docs = render(values, *sets)
    spec = compose("scaled" if values == "scaled" else "laptop")[service]
    wanted = {key: _compose_value(value) for key, value in (spec.get("environment") or {}).items()}
    given = _env_of(_container(docs, service))
    skip = BY_POD.get(service, set())
    assert {k: v for k, v in given.items() if k not in skip} == {k: v for k, v in wanted.items() if k not in skip}


def _dockerfile_healthcheck(path: Path) -> list[str]:
    text = path.read_text().replace("\\\n", " ")
    [check] = re.findall(r"^HEALTHCHECK .*? CMD (\[.*\])$", text, re.MULTILINE)
    return json.loads(check)


# Where a service's health check is written when compose does not say it.
DOCKERFILE_HEALTHCHECKS = {
    "backend-flask": "services/flask-common/Dockerfile",
    "users-api": "services/flask-common/Dockerfile",
    "console": "services/console/Dockerfile",
}


@pytest.mark.parametrize(("values", "service", "sets"), list(_cases()))
def test_probes_run_the_health_check_compose_runs(values, service, sets):
    docs = render(values, *sets)
    spec = compose("scaled" if values == "scaled" else "laptop")[service]
    container = _container(docs, service)
    if "healthcheck" in spec:
        test = spec["healthcheck"]["test"]
        wanted = ["/bin/sh", "-c", test[1]] if test[0] == "CMD-SHELL" else test[1:]
    elif service in DOCKERFILE_HEALTHCHECKS:
        wanted = _dockerfile_healthcheck(ROOT / DOCKERFILE_HEALTHCHECKS[service])
    else:
        # No check in compose (scratch images, a Job, Locust's workers): the chart probes the
        # port the service answers on, or nothing for those that serve nothing.
        assert all("exec" not in container.get(p, {}) for p in ("startupProbe", "readinessProbe", "livenessProbe"))
        return
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[probe]["exec"]["command"] == wanted, probe


@pytest.mark.parametrize(("values", "service", "sets"), list(_cases()))
def test_the_container_mounts_where_compose_mounts(values, service, sets):
    docs = render(values, *sets)
    spec = compose("scaled" if values == "scaled" else "laptop")[service]
    mounted = [m["mountPath"] for m in _container(docs, service).get("volumeMounts", [])]
    for volume in spec.get("volumes") or []:
        target = volume.split(":")[1]
        if target == "/mnt/reports":  # Locust's reports: on the host with compose, in the pod here
            assert target in mounted
            continue
        assert any(target == path or target.startswith(path.rstrip("/") + "/") for path in mounted), target


@pytest.mark.parametrize(("values", "service", "sets"), list(_cases()))
def test_the_services_ports_are_the_ones_compose_publishes(values, service, sets):
    docs = render(values, *sets)
    spec = compose("scaled" if values == "scaled" else "laptop")[service]
    services = _objects(docs, "Service")
    for published in spec.get("ports") or []:
        port = int(published.rsplit(":", 1)[1].split("/")[0])
        assert port in {p["port"] for p in services[service]["spec"]["ports"]}, published


def _files_in(folder: str, pattern: str = "*") -> dict[str, str]:
    return {path.name: path.read_text() for path in sorted((ROOT / folder).glob(pattern)) if path.is_file()}


@pytest.mark.parametrize("values", ["laptop", "scaled"])
def test_config_maps_hold_the_components_own_files(values):
    maps = {name: doc.get("data") or {} for name, doc in _objects(render(values), "ConfigMap").items()}
    assert maps["otel-collector-config"] == _files_in("collector", "*.yaml")
    assert maps["jaeger-config"] == _files_in("jaeger", "*.yaml")
    assert maps["prometheus-config"] == {"config.yaml": (ROOT / "prometheus/config.yaml").read_text()}
    scrape = _files_in("prometheus/scrape.d/scale", "*.yaml") if values == "scaled" else {}
    assert maps["prometheus-scrape"] == scrape
    assert maps["xray-daemon-config"] == _files_in("xray-daemon", "*.yaml")
    assert maps["localstack-init"] == _files_in("localstack/init/ready.d")
    assert maps["localstack-xray-defaults"] == _files_in("localstack/xray-defaults", "*.json")
    assert maps["locust-files"] == {
        "locustfile.py": (ROOT / "loadtest/locustfile.py").read_text(),
        "seed.json": (ROOT / "services/flask-common/obslab_common/seed.json").read_text(),
    }


@pytest.mark.parametrize("values", ["laptop", "scaled"])
def test_every_pod_runs_as_a_user_that_is_not_root_without_an_api_token(values):
    for name, workload in _workloads(render(values)).items():
        pod = workload["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["runAsUser"] > 0, name
        assert pod["automountServiceAccountToken"] is False, name
        for container in pod["containers"]:
            assert container["securityContext"]["allowPrivilegeEscalation"] is False, name


@pytest.mark.parametrize("values", ["laptop", "scaled"])
def test_every_store_keeps_its_data_on_a_claim(values):
    # compose's named volumes (the stores) become PersistentVolumeClaims.
    profile = "scaled" if values == "scaled" else "laptop"
    statefulsets = _objects(render(values), "StatefulSet")
    for service, spec in compose(profile).items():
        named = [v for v in spec.get("volumes") or [] if not v.startswith(("./", "/")) and not v.startswith("*")]
        if not named or spec.get("profiles"):
            continue
        claims = statefulsets[service]["spec"].get("volumeClaimTemplates", [])
        [mount] = [m for m in _container(render(values), service)["volumeMounts"] if m["name"] in
                   {c["metadata"]["name"] for c in claims}]  # fmt: skip
        assert mount["mountPath"] == named[0].split(":")[1], service


@pytest.mark.parametrize("values", ["laptop", "scaled"])
def test_every_service_selects_a_workloads_pods_and_none_is_exposed_unless_asked(values):
    docs = render(values)
    templates = [w["spec"]["template"]["metadata"]["labels"] for w in _workloads(docs).values()]
    for name, service in _objects(docs, "Service").items():
        selector = service["spec"]["selector"]
        assert any(all(labels.get(k) == v for k, v in selector.items()) for labels in templates), name
        assert service["spec"].get("type", "ClusterIP") == "ClusterIP", name
    exposed = _objects(render(values, "expose.enabled=true"), "Service")
    assert {n for n, s in exposed.items() if s["spec"].get("type") == "NodePort"} == {
        "console",
        "jaeger",
        "backend-flask",
        "prometheus",
    }


def test_images_can_come_from_a_registry():
    docs = render("scaled", "images.registry=registry.example.com/obslab")
    images = {c["image"] for w in _workloads(docs).values() for c in w["spec"]["template"]["spec"]["containers"]}
    assert images and all(image.startswith("registry.example.com/obslab/") for image in images)
    env = lab_env.env_file()
    assert f"registry.example.com/obslab/jaegertracing/jaeger:{env['JAEGER_VERSION']}" in images


def test_values_override_the_labs_env_as_the_environment_does_for_compose():
    docs = render("scaled", "env.SAMPLING_PERCENT=100")
    assert _env_of(_container(docs, "jaeger-ingester"))["SAMPLING_PERCENT"] == "100"


def test_three_brokers_make_a_quorum_of_three_with_replication():
    docs = render("scaled")
    kafka = _workloads(docs)["kafka"]
    env = _env_of(_container(docs, "kafka"))
    assert kafka["spec"]["replicas"] == 3
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"] == ",".join(f"{i}@kafka-{i}.kafka-headless:9093" for i in range(3))
    assert (env["KAFKA_DEFAULT_REPLICATION_FACTOR"], env["KAFKA_MIN_INSYNC_REPLICAS"]) == ("3", "2")
    assert "--replication-factor=3" in _container(docs, "kafka-init")["command"]


def test_the_charts_versions_are_the_labs():
    chart = yaml.safe_load((ROOT / "chart" / "Chart.yaml").read_text())
    env = lab_env.env_file()
    assert chart["version"] == chart["appVersion"] == env["APP_VERSION"]


def test_a_profile_other_than_the_two_is_refused():
    if not HELM.exists():
        pytest.skip(f"{HELM} is built by make lint")
    result = subprocess.run([str(HELM), "template", "obslab", str(ROOT / "chart"), "--set", "profile=huge"],
                            capture_output=True, text=True)  # fmt: skip
    assert result.returncode != 0
    assert 'profile is "huge": laptop or scaled' in result.stderr


def test_the_chart_runs_every_image_compose_runs_and_no_other():
    # make k8s-images builds and pushes compose's images (both files, every profile) for the chart.
    in_compose = {service["image"] for service in compose("scaled").values()}
    in_chart = {c["image"] for values in ("laptop", "scaled") for w in _workloads(render(values)).values()
                for c in w["spec"]["template"]["spec"]["containers"]}  # fmt: skip
    assert in_chart == in_compose
