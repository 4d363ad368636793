"""Driving the portal in Debian's Chromium: sign in, visit, check with axe, keep a screenshot,
weigh every page."""

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
# What a page may transfer once the browser holds its shared assets (slow links, DESIGN 10).
PAGE_WEIGHT_BUDGET = 150 * 1024

# Every page checked in this run: (name, url, violations by impact), for the summary.
AXE_RESULTS: list[dict] = []
# Every page loaded in this run: who, url, bytes transferred, whether the cache was still cold.
PAGE_WEIGHTS: list[dict] = []


class PageScale:
    """Bytes a page transfers, from Chromium's own count (DevTools ``encodedDataLength``).

    A page's weight is its document, its redirects, its assets and its htmx requests, all
    that arrives until the next document is asked for. The visitor's first page fills the cache.
    """

    def __init__(self, page, name: str):
        self.name = name
        self.current: dict | None = None
        self.weighed: list[dict] = []
        session = page.context.new_cdp_session(page)
        session.send("Network.enable")
        session.on("Network.requestWillBeSent", self._request)
        session.on("Network.loadingFinished", self._finished)

    def _request(self, event):
        redirect = event.get("redirectResponse")
        if redirect is not None:
            self._add(redirect.get("encodedDataLength", 0))
            if event.get("type") == "Document" and self.current is not None:
                self.current["url"] = event["request"]["url"]
        elif event.get("type") == "Document":  # the portal has no frames: a new page
            self.close()
            url = event["request"]["url"]
            self.current = {"visitor": self.name, "url": url, "bytes": 0, "cold": not self.weighed}

    def _finished(self, event):
        self._add(event.get("encodedDataLength", 0))

    def _add(self, size: float) -> None:
        if self.current is not None:
            self.current["bytes"] += int(size)

    def close(self) -> None:
        """The page before is complete: record its weight."""
        if self.current is not None:
            self.weighed.append(self.current)
            PAGE_WEIGHTS.append(self.current)
            self.current = None

    def over_budget(self) -> list[dict]:
        return [p for p in self.weighed if not p["cold"] and p["bytes"] > PAGE_WEIGHT_BUDGET]


@dataclass
class Visitor:
    """A person at a browser: one page, the live server's address, the shots it took."""

    page: object
    base_url: str
    name: str
    shots: list[Path] = field(default_factory=list)
    scale: PageScale = field(init=False)

    def __post_init__(self):
        self.scale = PageScale(self.page, self.name)

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
        """axe-core on the page as it is, a full-page screenshot under the run's folder, and
        the page's weight within the budget once the cache is warm."""
        self.page.wait_for_load_state("load")
        weight = self.scale.current
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
        if weight is not None:
            weight["page"] = slug
            assert weight["cold"] or weight["bytes"] <= PAGE_WEIGHT_BUDGET, weight
        return entry

    def main_text(self) -> str:
        return self.page.inner_text("main")
