"""scripts/provision-docker.sh decides what to install. These tests run it with stand-ins for
`docker`, `id` and `go` on PATH, so no engine is touched: they check the decisions and the
messages a user sees, not the installation itself (CI's cold run exercises that)."""

import subprocess
import textwrap
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "provision-docker.sh"

# docker stand-in: behaviour chosen by environment variables set per test.
DOCKER = """\
#!/bin/sh
case "$1 $2" in
  "info "*) [ "$FAKE_DOCKER_INFO" = ok ] && exit 0
            [ "$FAKE_DOCKER_INFO" = denied ] && echo "permission denied while trying to connect" >&2
            exit 1 ;;
  "compose version") [ -n "$FAKE_COMPOSE_VERSION" ] && echo "$FAKE_COMPOSE_VERSION" && exit 0
                     echo "docker: 'compose' is not a docker command." >&2; exit 1 ;;
  "version --format"*) echo 28.2.2 ;;
esac
"""


def make_bin(tmp_path: Path, uid: int, with_docker: bool, with_go: bool) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    stubs = {"id": f"#!/bin/sh\necho {uid}\n"}
    if with_docker:
        stubs["docker"] = DOCKER
    if with_go:
        stubs["go"] = "#!/bin/sh\nexit 1\n"
    for name, body in stubs.items():
        path = bin_dir / name
        path.write_text(textwrap.dedent(body))
        path.chmod(0o755)
    # The script also needs the ordinary tools (sed, grep, dirname, ...), but none of the real
    # docker, dockerd, apt-get or go: link the system's tools except those.
    for tool in ("bash", "sh", "sed", "grep", "dirname", "cat", "date", "seq", "sleep", "mkdir", "tail"):
        for directory in ("/usr/bin", "/bin"):
            source = Path(directory) / tool
            if source.exists() and not (bin_dir / tool).exists():
                (bin_dir / tool).symlink_to(source)
    return bin_dir


def run(
    tmp_path: Path, uid: int = 1000, with_docker: bool = True, with_go: bool = False, **fake
) -> subprocess.CompletedProcess:
    bin_dir = make_bin(tmp_path, uid, with_docker, with_go)
    env = {"PATH": str(bin_dir), "HOME": str(tmp_path), **{f"FAKE_{k.upper()}": v for k, v in fake.items()}}
    return subprocess.run(["bash", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=30)


def test_nothing_to_do_when_engine_and_compose_v2_work(tmp_path):
    result = run(tmp_path, docker_info="ok", compose_version="2.29.1")

    assert result.returncode == 0
    assert "Compose 2.29.1 ready" in result.stdout
    assert "Installing" not in result.stdout + result.stderr


@pytest.mark.parametrize("version", ["v5.0.2", "2.40.3-desktop.1"])
def test_compose_versions_with_prefix_or_suffix_count_as_v2_plus(tmp_path, version):
    result = run(tmp_path, docker_info="ok", compose_version=version)

    assert result.returncode == 0, result.stderr


def test_without_root_it_says_what_to_install(tmp_path):
    result = run(tmp_path, uid=1000, with_docker=False)

    assert result.returncode != 0
    assert "No docker command found" in result.stderr
    assert "Install Docker Engine with the Compose plugin" in result.stderr


def test_a_user_outside_the_docker_group_is_told_so(tmp_path):
    result = run(tmp_path, docker_info="denied", compose_version="2.29.1")

    assert result.returncode != 0
    assert "'docker' group" in result.stderr


@pytest.mark.parametrize("compose_version", ["", "dev", "1.29.2"])
def test_missing_or_old_compose_without_go_is_refused_clearly(tmp_path, compose_version):
    result = run(tmp_path, docker_info="ok", compose_version=compose_version)

    assert result.returncode != 0
    assert "Docker Compose v2+ is missing and Go is not installed" in result.stderr
