"""The HTML report in a real browser: headless Chromium (Debian's package) loads it offline.

Checked: no console error, no request but the file itself, the style block allowed by the page's
own Content-Security-Policy, and every expected part present, visible and inside the page, at a
desktop width and a phone width. Screenshots go to SBN_SCREENSHOTS when that is set.

Skipped only where no Chromium is installed and CI is unset; in CI (CI set) a missing Chromium
or driver fails the test, so it cannot pass by not running.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support import CLI_ENV, ROOT
from typer.testing import CliRunner

from sbn.cli import app

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def _unavailable(why: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{why}, and CI is set: .ci/run installs what this test needs")
    pytest.skip(f"{why} (CI runs this test)")


def _chromium() -> str:
    found = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if found is None:
        _unavailable("no Chromium installed (apt-get install chromium)")
    assert found is not None
    return found


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A headless Chromium with a fresh profile, driven by Playwright (which downloads no browser)."""
    executable = _chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed (pip install '.[test]')")
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=executable, headless=True, args=ARGS, viewport=DESKTOP
        )
        try:
            yield context
        finally:
            context.close()


def report(tmp_path: Path, *args: str) -> tuple[Path, dict[str, Any]]:
    """The HTML report of `sbn plan ARGS` written to a file, and the same plans as JSON."""
    target = tmp_path / "plan.html"
    runner = CliRunner()
    old = Path.cwd()
    os.chdir(ROOT)
    try:
        written = runner.invoke(app, ["plan", *args, "--format", "html", "--output", str(target)], env=CLI_ENV)
        shown = runner.invoke(app, ["plan", *args, "--format", "json"], env=CLI_ENV)
    finally:
        os.chdir(old)
    assert written.exit_code in (0, 1), written.stderr
    return target, json.loads(shown.stdout)


class Visit:
    """A page opened from a file, with everything it logged and asked for."""

    def __init__(self, browser: Any, path: Path) -> None:
        self.url = path.resolve().as_uri()
        self.console: list[str] = []
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page = browser.new_page()
        self.page.on("console", lambda message: self.console.append(f"{message.type}: {message.text}"))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.set_viewport_size(DESKTOP)
        self.page.goto(self.url, wait_until="load")

    def size(self) -> tuple[float, float]:
        script = "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
        width, height = self.page.evaluate(script)
        return width, height

    def shown(self, locator: Any, *, inside: bool = True) -> None:
        """Visible, of non-zero size, and (unless it scrolls in its own box) inside the page."""
        assert locator.is_visible()
        box = locator.bounding_box()
        assert box is not None and box["width"] > 0 and box["height"] > 0
        if inside:
            width, height = self.size()
            assert box["x"] >= 0 and box["y"] >= 0
            assert box["x"] + box["width"] <= width + 0.5
            assert box["y"] + box["height"] <= height + 0.5

    def screenshot(self, name: str, tmp_path: Path) -> Path:
        folder = Path(os.environ.get("SBN_SCREENSHOTS") or tmp_path)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / name
        self.page.screenshot(path=str(path), full_page=True)
        return path


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_webshop_report_in_chromium(browser: Any, tmp_path: Path) -> None:
    path, document = report(tmp_path, "examples/webshop/requests.yaml")
    visit = Visit(browser, path)
    page = visit.page
    # Nothing is fetched: the one request is the file itself. Nothing goes wrong.
    assert visit.requests == [visit.url]
    assert visit.errors == []
    assert [line for line in visit.console if line.startswith("error")] == []
    # The style block ran: the Content-Security-Policy's hash allowed it (a blocked one logs an error too).
    assert page.evaluate("getComputedStyle(document.body).fontSize") == "15px"

    assert page.title() == "Plan: voltwerk-webshop"
    visit.shown(page.locator("h1"))
    assert page.locator("h1").inner_text() == "voltwerk-webshop"
    visit.shown(page.locator("blockquote.ambition"))
    visit.shown(page.locator("table.overview"))
    plans = document["plans"]
    assert page.locator("section.plan").count() == len(plans) == 4
    assert page.locator("table.assignments").count() == len(plans)
    for plan in plans:
        section = page.locator(f"section#plan-{plan['request']}")
        visit.shown(section)
        visit.shown(section.locator(".status"))
        assert section.locator(".status").inner_text() == plan["status"]
        table = section.locator("table.assignments")
        visit.shown(table)
        assert table.locator("tbody tr").count() == len(plan["assignments"])
        gantt = section.locator("svg.gantt")
        visit.shown(gantt)
        bars = gantt.locator("g.bar")
        assert bars.count() == len(plan["assignments"])
        for index in range(bars.count()):
            visit.shown(bars.nth(index))
        graph = section.locator("svg.plug-graph")
        visit.shown(graph)
        assert graph.locator("g.node").count() == len(plan["assignments"])
        assert graph.locator("g.edge").count() == sum(len(a["handoffs"]) for a in plan["assignments"])
        for index in range(graph.locator("g.node").count()):
            visit.shown(graph.locator("g.node").nth(index))
    # No backups were asked for, and every request is planned: neither part is there.
    assert page.locator(".backups").count() == 0
    assert page.locator("ul.reasons").count() == 0
    width, height = png_size(visit.screenshot("webshop-desktop.png", tmp_path))
    assert width == DESKTOP["width"] and height > DESKTOP["height"]

    # On a phone the page never scrolls sideways: tables become cards, charts scroll in their own box.
    page.set_viewport_size(PHONE)
    assert visit.size()[0] <= PHONE["width"]
    for plan in plans:
        section = page.locator(f"section#plan-{plan['request']}")
        visit.shown(section.locator("table.assignments"))
        visit.shown(section.locator("svg.gantt"), inside=False)
        visit.shown(section.locator(".schedule .scroll"))
        visit.shown(section.locator(".plugs .scroll"))
    width, _ = png_size(visit.screenshot("webshop-phone.png", tmp_path))
    assert width == PHONE["width"]
    page.close()


def test_report_with_backups_and_an_infeasible_request_in_chromium(browser: Any, tmp_path: Path) -> None:
    path, document = report(tmp_path, "examples/webshop", "--backups")
    visit = Visit(browser, path)
    page = visit.page
    assert visit.requests == [visit.url]
    assert visit.errors == []
    assert [line for line in visit.console if line.startswith("error")] == []
    for plan in document["plans"]:
        section = page.locator(f"section#plan-{plan['request']}")
        visit.shown(section)
        if plan["status"] == "infeasible":
            assert section.locator("table.assignments").count() == 0
            reasons = section.locator("ul.reasons li")
            assert reasons.count() == len(plan["reasons"]) > 0
            for index in range(reasons.count()):
                visit.shown(reasons.nth(index))
            continue
        backups = section.locator("div.backups")
        visit.shown(backups)
        assert backups.locator("tbody tr").count() == len(plan["assignments"])
        if plan["single_points_of_failure"]:
            visit.shown(backups.locator(".warning"))
    visit.screenshot("webshop-backups-desktop.png", tmp_path)
    page.close()


def test_missing_browser_fails_under_ci_and_skips_elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI is set"):
        _unavailable("no Chromium installed")
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="CI runs this test"):
        _unavailable("no Chromium installed")
