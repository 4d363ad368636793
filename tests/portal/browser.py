"""Driving the portal in Debian's Chromium: sign in, visit, check with axe, keep a screenshot."""

import json
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from axe_playwright_python.sync_playwright import Axe
from django.conf import settings

CHROMIUM = os.environ.get("PORTAL_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(settings.VAR_DIR) / "screenshots" / time.strftime("%Y%m%d-%H%M%S")
BLOCKING_IMPACTS = {"serious", "critical"}

# Every page checked in this run: (name, url, violations by impact), for the summary.
AXE_RESULTS: list[dict] = []


@dataclass
class Visitor:
    """A person at a browser: one page, the live server's address, the shots it took."""

    page: object
    base_url: str
    name: str
    shots: list[Path] = field(default_factory=list)

    def go(self, path: str):
        response = self.page.goto(self.base_url + path)
        return response

    def sign_in(self, username: str, password: str):
        self.go("/accounts/login/")
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", password)
        with self.page.expect_navigation():
            self.page.click("main button[type=submit]")

    def submit(self, selector: str):
        """Press a submit button and wait for the page that answers."""
        with self.page.expect_navigation():
            self.page.click(selector)

    def check(self, label: str) -> dict:
        """axe-core on the page as it is, and a full-page screenshot under the run's folder."""
        self.page.wait_for_load_state("load")
        results = Axe().run(self.page)
        violations = results.response["violations"]
        by_impact: dict[str, list[str]] = {}
        for violation in violations:
            by_impact.setdefault(violation["impact"] or "none", []).append(violation["id"])
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        slug = re.sub(r"[^a-z0-9]+", "-", f"{self.name}-{label}".lower()).strip("-")
        shot = SCREENSHOTS / f"{len(AXE_RESULTS) + 1:02d}-{slug}.png"
        self.page.screenshot(path=str(shot), full_page=True)
        self.shots.append(shot)
        entry = {"page": slug, "url": self.page.url, "violations": by_impact, "shot": str(shot)}
        AXE_RESULTS.append(entry)
        blocking = {
            v["id"]: [node["target"] for node in v["nodes"]][:3]
            for v in violations
            if v["impact"] in BLOCKING_IMPACTS
        }
        assert not blocking, f"axe on {slug}: {json.dumps(blocking)}"
        return entry

    def main_text(self) -> str:
        return self.page.inner_text("main")
