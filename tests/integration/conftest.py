"""The real lab (compose.yaml; with compose.scale.yaml over it when OBSLAB_PROFILE=scale), brought
up once per test session with testcontainers. It is torn down at the end of the session, also
when tests fail or start-up fails."""

import sys

import pytest
from playwright.sync_api import sync_playwright
from testcontainers.compose import DockerCompose

from .browser import CHROMIUM, LAUNCH_FLAGS
from .lab import COMPOSE_FILES, ENV_FILE, ROOT, TEST_ENV, Lab


def _print_logs(compose: DockerCompose) -> None:
    try:
        stdout, stderr = compose.get_logs()
        print(stdout[-20000:], stderr[-5000:], sep="\n", file=sys.stderr)
    except Exception as error:  # logs are a debugging aid; never mask the real failure
        print(f"(could not read compose logs: {error})", file=sys.stderr)


@pytest.fixture(scope="session")
def lab():
    with pytest.MonkeyPatch.context() as env:
        # The stack under test is the repository's: .env decides, not variables that happen to
        # be set in the caller's shell (compose would let those win).
        for key in ENV_FILE:
            env.delenv(key, raising=False)
        for key, value in TEST_ENV.items():
            env.setenv(key, value)
        compose = DockerCompose(ROOT, compose_file_name=COMPOSE_FILES, build=True, wait=True)
        try:
            compose.start()
            yield Lab(compose)
        except Exception:
            _print_logs(compose)
            raise
        finally:
            compose.stop()


@pytest.fixture(scope="session")
def browser():
    """One chromium for the session's browser tests."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser):
    """A fresh page; the test fails if the page threw a JavaScript error."""
    pages, errors = [], []

    def make():
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.on("pageerror", lambda error: errors.append(str(error)))
        pages.append(page)
        return page

    yield make
    for page in pages:
        page.close()
    assert errors == []
