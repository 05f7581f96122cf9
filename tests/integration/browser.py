"""Debian's chromium driven by Playwright, for the console's browser tests: never a browser
Playwright downloads. Screenshots go to reports/screenshots/ (look at them)."""

from .lab import ROOT

CHROMIUM = "/usr/bin/chromium"
# Without the networking flags, chromium keeps calling home, which this machine's network refuses.
LAUNCH_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--no-first-run"]  # fmt: skip
SCREENSHOTS = ROOT / "reports" / "screenshots"


def shoot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"console-{name}.png"), full_page=True)
