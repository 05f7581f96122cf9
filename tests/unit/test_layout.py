"""The repository keeps the shape its design card draws, and every path that names a folder of it
(compose's build contexts and mounts, the image driver's recipes, `make lint`'s scripts) points at
something that is there."""

import re
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
# The design card's top level, then the components it does not name, one folder each.
CARD_TOP_LEVEL = ["services", "collector", "jaeger", "localstack", "loadtest", "compose.yaml", "Makefile", "tests"]
COMPONENTS = [
    "services/backend-flask", "services/users-api", "services/flask-common", "services/console",
    "collector", "jaeger", "localstack", "loadtest", "prometheus", "xray-daemon", "kafka", "opensearch", "chart",
]  # fmt: skip


def _compose() -> dict:
    """compose.yaml with the scale profile's services laid over it (compose.scale.yaml)."""
    laptop = yaml.safe_load((ROOT / "compose.yaml").read_text())
    scale = yaml.safe_load((ROOT / "compose.scale.yaml").read_text())
    services = dict(laptop["services"])
    for name, service in scale["services"].items():
        merged = {**services.get(name, {}), **service}
        merged["volumes"] = services.get(name, {}).get("volumes", []) + service.get("volumes", [])
        services[name] = merged
    return {"services": services}


def test_the_top_level_is_the_design_cards():
    assert [name for name in CARD_TOP_LEVEL if not (ROOT / name).exists()] == []
    assert not (ROOT / "src").exists()


@pytest.mark.parametrize("component", COMPONENTS)
def test_every_component_has_a_readme(component):
    assert (ROOT / component / "README.md").is_file()


def test_compose_builds_and_mounts_what_is_there():
    for name, service in _compose()["services"].items():
        build = service.get("build")
        if build:
            context = ROOT / build["context"]
            assert (context / build.get("dockerfile", "Dockerfile")).is_file(), name
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith("./") and not source.startswith("./reports/"):  # reports/: made by runs
                assert (ROOT / source).exists(), f"{name}: {source}"


def test_every_offline_recipe_the_image_driver_names_is_there():
    driver = (ROOT / "scripts" / "build-images.sh").read_text()
    recipes = re.findall(r'^\s+"\S+\s+(\S+)"$', driver, re.MULTILINE)
    assert len(recipes) >= 6
    for recipe in recipes:
        assert (ROOT / recipe / "build.sh").is_file(), recipe
    # Each component whose image compose runs from upstream keeps its recipe in its own folder.
    assert {r.split("/offline-image")[0] for r in recipes if "/offline-image" in r} <= set(COMPONENTS)


def test_make_lint_checks_every_shell_script():
    listed = subprocess.run(
        ["make", "--no-print-directory", "-s", "-n", "lint"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    [command] = [line for line in listed.splitlines() if line.startswith("shellcheck ")]
    checked = set(command.split()[2:])
    tracked = subprocess.run(["git", "ls-files", "*.sh"], cwd=ROOT, capture_output=True, text=True, check=True)
    assert set(tracked.stdout.split()) <= checked


def test_the_charts_links_point_at_the_labs_own_files():
    # chart/files/ holds links, not copies: the chart reads .env and each component's config
    # where compose reads them.
    links = sorted((ROOT / "chart" / "files").iterdir())
    assert links
    for link in links:
        assert link.is_symlink(), f"{link.name} is a copy"
        assert link.resolve().exists() and ROOT in link.resolve().parents, link.name
