"""Facts that more than one file must state (a compose port and the port a service binds, an
attribute the code sets and the collector's list of searchable ones, ...) agree. Each test
names the places; when one fails, change them together."""

import json
import re
import runpy
from pathlib import Path

import pytest
import yaml

import lab_env
from obslab_common import seed
from telemetry_contract import FAULT_ATTRIBUTES, attributes_in_contract

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ROOT / "services"
COLLECTOR = ROOT / "collector"


def _yaml(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def _attributes_set_in_code() -> set[str]:
    """Every "app.*" span attribute the services' code sets (Work.set, span.set_attribute)."""
    names = set()
    for path in SERVICES.glob("*/*/**/*.py"):
        names |= set(re.findall(r'(?:\.set|\.set_attribute)\(\s*"(app\.[a-z_.]+)"', path.read_text()))
    return names


def test_every_attribute_the_code_sets_is_searchable_in_xray():
    # collector/config.yaml's indexed_attributes make span attributes X-Ray annotations
    # on the OpenTelemetry path; one missing there stays unsearchable, one extra is stale.
    indexed = set(_yaml(COLLECTOR / "config.yaml")["exporters"]["awsxray"]["indexed_attributes"])
    in_code = _attributes_set_in_code()
    assert in_code == indexed
    assert attributes_in_contract() | set(FAULT_ATTRIBUTES) <= in_code


# Component types whose module is not named <type><kind> (underscores dropped).
MODULE_OF_TYPE = {("exporters", "otlp_grpc"): "otlpexporter", ("extensions", "file_storage"): "filestorage"}


def test_the_collector_config_uses_only_components_of_the_offline_build():
    config = _yaml(COLLECTOR / "config.yaml")
    manifest = _yaml(COLLECTOR / "offline-image" / "builder-config.yaml")
    for kind in ("receivers", "processors", "exporters", "extensions", "connectors"):
        built = {entry["gomod"].split()[0].rsplit("/", 1)[1] for entry in manifest.get(kind) or []}
        for name in config.get(kind) or {}:
            component = name.split("/")[0]
            module = MODULE_OF_TYPE.get((kind, component), component.replace("_", "") + kind[:-1])
            assert module in built, f"{kind[:-1]} {component} of config.yaml is not in builder-config.yaml"


def test_dockerfiles_take_versions_from_env_without_defaults_of_their_own():
    # compose.yaml passes every version as a build argument from .env; a default in a
    # Dockerfile would be a second place to update.
    for dockerfile in ROOT.glob("**/Dockerfile"):
        defaults = re.findall(r"^ARG (\w+)=(.*)$", dockerfile.read_text(), re.MULTILINE)
        assert defaults == [], f"{dockerfile.relative_to(ROOT)}: {defaults}"


def test_the_fallback_sampling_rules_are_the_labs_rules():
    # The X-Ray SDK falls back to obslab_common's local rules when it cannot reach the daemon;
    # they must say what LocalStack's defaults say.
    local = json.loads((SERVICES / "flask-common" / "obslab_common" / "xray-sampling-rules.json").read_text())
    defaults = ROOT / "localstack" / "xray-defaults"
    cruddur = json.loads((defaults / "sampling-rule-cruddur.json").read_text())["SamplingRule"]
    health = json.loads((defaults / "sampling-rule-health-checks.json").read_text())["SamplingRule"]
    assert (local["default"]["fixed_target"], local["default"]["rate"]) == (
        cruddur["ReservoirSize"],
        cruddur["FixedRate"],
    )
    [rule] = local["rules"]
    assert (rule["http_method"], rule["url_path"], rule["fixed_target"], rule["rate"]) == (
        health["HTTPMethod"],
        health["URLPath"],
        health["ReservoirSize"],
        health["FixedRate"],
    )


def test_the_signed_in_user_is_one_users_api_knows():
    assert lab_env.env_file()["CRUDDUR_USER_HANDLE"] in {user["handle"] for user in seed.load()["users"]}


def _bound_port(service: str) -> str:
    """The port in the service's gunicorn.conf.py, where its process starts."""
    return runpy.run_path(str(SERVICES / service / "gunicorn.conf.py"))["bind"].rsplit(":", 1)[1]


@pytest.mark.parametrize("service", ["backend-flask", "users-api"])
def test_compose_publishes_the_port_the_service_binds(service):
    [published] = _yaml(ROOT / "compose.yaml")["services"][service]["ports"]
    assert published.endswith(f":{_bound_port(service)}")


def test_backend_calls_users_api_on_the_port_it_binds():
    url = _yaml(ROOT / "compose.yaml")["services"]["backend-flask"]["environment"]["USERS_API_URL"]
    assert url == f"http://users-api:{_bound_port('users-api')}"


def test_the_honeycomb_overlay_keeps_every_other_trace_exporter():
    # The collector replaces lists when it merges configs: honeycomb-on.yaml repeats the traces
    # pipeline's exporters of config.yaml, and must add only Honeycomb's.
    base = _yaml(COLLECTOR / "config.yaml")["service"]["pipelines"]["traces"]["exporters"]
    overlay = _yaml(COLLECTOR / "honeycomb-on.yaml")["service"]["pipelines"]["traces"]["exporters"]
    assert overlay == base + ["otlphttp/honeycomb"]
    assert _yaml(COLLECTOR / "honeycomb.yaml") == {}


def test_jaegers_image_and_source_name_one_release():
    # Jaeger v1.N.0 and v2.(N-63).0 were cut from one commit (v1.74.0 / v2.11.0 ... v1.76.0 /
    # v2.13.0): the offline image is built from the v1 tag of the release compose runs.
    env = lab_env.env_file()
    major, minor, patch = env["JAEGER_VERSION"].split(".")
    assert major == "2"
    assert env["JAEGER_SOURCE_TAG"] == f"v1.{int(minor) + 63}.{patch}"


def test_the_docs_name_the_versions_of_env():
    # images/README.md's table of offline builds and the README's sentence on Jaeger's version
    # repeat .env's versions for readers; they must not drift from it.
    env = lab_env.env_file()
    table = (ROOT / "images" / "README.md").read_text()
    named = dict(re.findall(r"^\| `([\w./-]+):([\w.-]+)`", table, re.MULTILINE))
    assert named == {
        "debian": f"{env['DEBIAN_SUITE']}-slim",
        "python": env["PYTHON_IMAGE"].split(":", 1)[1],
        "localstack/localstack": env["LOCALSTACK_VERSION"],
        "jaegertracing/jaeger": env["JAEGER_VERSION"],
        "otel/opentelemetry-collector-contrib": env["OTELCOL_VERSION"],
        "amazon/aws-xray-daemon": env["XRAY_DAEMON_VERSION"],
        "prom/prometheus": f"v{env['PROMETHEUS_VERSION']}",
        "apache/kafka": env["KAFKA_VERSION"],
        "opensearchproject/opensearch": env["OPENSEARCH_VERSION"],
    }
    assert f"`github.com/jaegertracing/jaeger@{env['JAEGER_SOURCE_TAG']}`" in table
    assert f"Jaeger runs {env['JAEGER_VERSION']}," in (ROOT / "README.md").read_text()


def _compose_references(text: str) -> set[str]:
    """Variables a compose file takes from the environment without a default of its own."""
    return set(re.findall(r"\$\{([A-Z_][A-Z0-9_]*)\}", text))


@pytest.mark.parametrize("compose_file", ["compose.yaml", "compose.scale.yaml"])
def test_compose_takes_every_variable_it_names_from_env(compose_file):
    # A variable missing from .env is an empty string to compose, silently.
    missing = _compose_references((ROOT / compose_file).read_text()) - set(lab_env.env_file())
    assert missing == set()


@pytest.mark.parametrize(
    ("config", "service"),
    [("collector.yaml", "jaeger-collector"), ("ingester.yaml", "jaeger-ingester"), ("query-opensearch.yaml", "jaeger")],
)
def test_each_jaeger_role_gets_the_variables_its_config_reads(config, service):
    wanted = set(re.findall(r"\$\{env:([A-Z_]+)\}", (ROOT / "jaeger" / config).read_text()))
    given = set(_yaml(ROOT / "compose.scale.yaml")["services"][service].get("environment", {}))
    assert wanted and wanted <= given


def test_the_edge_collector_sends_jaeger_its_spans_in_both_profiles():
    laptop = _yaml(ROOT / "compose.yaml")["services"]["otel-collector"]["environment"]["JAEGER_OTLP_ENDPOINT"]
    scale = _yaml(ROOT / "compose.scale.yaml")["services"]["otel-collector"]["environment"]["JAEGER_OTLP_ENDPOINT"]
    assert (laptop, scale) == ("jaeger:4317", "jaeger-collector:4317")
    receivers = _yaml(ROOT / "jaeger" / "collector.yaml")["receivers"]["otlp"]["protocols"]
    assert receivers["grpc"]["endpoint"].endswith(":4317")


def test_the_ingesters_and_the_query_role_read_and_write_the_same_indices():
    # A prefix on one side only splits the store in two: each role sees half of it.
    def backend(config):
        [store] = _yaml(ROOT / "jaeger" / config)["extensions"]["jaeger_storage"]["backends"].values()
        return store["opensearch"]["indices"]

    assert backend("ingester.yaml") == backend("query-opensearch.yaml")
