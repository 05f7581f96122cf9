"""Start and stop: `make up` on a warm machine (images built, volumes kept) until every service is
healthy (`docker compose up --wait`), and `make down`, each timed as a user runs them."""

from pathlib import Path

from . import lab


def measure(log: Path) -> dict[str, float]:
    if not lab.running_services():
        print("    the lab is down: starting it once first (not timed)", flush=True)
        lab.run(["make", "up"], log=log)
    down = lab.run(["make", "down"], log=log)
    up = lab.run(["make", "up"], log=log)
    return {"make up": up, "make down": down}
