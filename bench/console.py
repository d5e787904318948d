"""The console's budgets, measured in Debian's Chromium against the real local stack (`python -m local.run`):
- JavaScript on the first load (sign in, then the Overview drawn), gzipped: goal <= 150 KB;
- the Overview of 90 days rendered after its data arrived (performance marks set by the console: data
  received -> chart drawn), slowest of 15 renders: goal < 200 ms;
- API calls made by a page switch, most of any page: goal <= 3."""
from __future__ import annotations

import gzip
import json
import random
import re
import statistics
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import goals  # noqa: E402
from tests.e2e.stack import CHROMIUM, CHROMIUM_ARGS, start_stack  # noqa: E402

JS_GOAL_KB = 150
RENDER_GOAL_MS = 200
CALLS_GOAL = 3
RENDERS = 15
PAGES = ["applications", "templates", "monitoring", "reports", "settings", "inbox", "overview"]
API_PATH = re.compile(r"^/(auth|applications|simulator)(/|$)")


def _overview_90_days(channels: list[str]) -> dict:
    """A busy application's 90 days: what the API answers, with made-up daily counts."""
    rng = random.Random(90)
    today = date.today()
    days = [(today - timedelta(days=89 - i)).isoformat() for i in range(90)]
    result = []
    for channel in channels:
        series = []
        for day in days:
            total = rng.randint(200, 5000)
            success = int(total * rng.uniform(0.7, 0.95))
            failed = int((total - success) * rng.uniform(0.3, 0.9))
            series.append({"date": day, "total": total, "success": success, "failed": failed})
        total = sum(p["total"] for p in series)
        success = sum(p["success"] for p in series)
        failed = sum(p["failed"] for p in series)
        result.append({"channel": channel, "total": total, "success": success, "failed": failed,
                       "pending": total - success - failed, "success_rate": round(success / total, 2),
                       "failed_rate": round(failed / total, 2), "by_status": {}, "series": series})
    latest = [{"message_id": f"01M8P0TYKGRCTHJYY1EY5HYN{i:02d}", "channel": "sms", "target": "+6281234567890",
               "status": "Delivered", "created_at": "2026-11-30T10:00:00.000Z", "updated_at": "2026-11-30T10:00:05.000Z"}
              for i in range(5)]
    return {"from": days[0] + "T00:00:00.000Z", "to": days[-1] + "T23:59:59.999Z", "channels": result,
            "latest": latest, "today_by_hour": [rng.randint(0, 300) for _ in range(24)]}


def run() -> dict[str, float]:
    from playwright.sync_api import expect, sync_playwright

    with tempfile.TemporaryDirectory() as folder:
        stack = start_stack(Path(folder) / "demo.env")
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
                scripts: dict[str, bytes] = {}
                page.on("response", lambda r: scripts.setdefault(r.url, r.body())
                        if r.request.resource_type == "script" else None)

                # 1. First load: the sign-in page, sign in, the Overview drawn.
                page.goto(stack.console)
                page.get_by_label("Email").fill(stack.demo["KIRIM_EMAIL"])
                page.get_by_label("Password").fill(stack.demo["KIRIM_PASSWORD"])
                page.get_by_role("button", name="Sign in").click()
                page.get_by_test_id("overview-chart").wait_for()
                raw = sum(len(body) for body in scripts.values())
                gzipped = sum(len(gzip.compress(body, compresslevel=6)) for body in scripts.values())
                js_kb = gzipped / 1000
                print(f"console first load: {len(scripts)} JavaScript file(s), {raw / 1000:.1f} KB, "
                      f"{js_kb:.1f} KB gzipped (goal <= {JS_GOAL_KB} KB)")

                # 2. The Overview of 90 days, all five channels, data served as the API shapes it.
                body = json.dumps(_overview_90_days(["whatsapp", "sms", "sms_otp", "ivr", "email"]))
                page.route("**/overview?*", lambda route: route.fulfill(status=200, body=body,
                                                                       content_type="application/json"))
                page.get_by_role("button", name="Custom").click()
                count = "performance.getEntriesByName('kirim:overview:render').length"
                before = page.evaluate(count)
                durations = []
                for i in range(RENDERS):
                    start = date.today() - timedelta(days=89 + (i % 2))
                    page.get_by_label("From").fill(start.strftime("%d/%m/%Y"))  # the console's date field
                    page.get_by_role("button", name="Apply").click()
                    expect(page.get_by_test_id("overview-chart")).to_have_attribute("data-points", "90")
                    entries: list[float] = []
                    while len(entries) < before + i + 1:  # the measure lands just after the chart is drawn
                        page.wait_for_timeout(50)
                        entries = page.evaluate("performance.getEntriesByName('kirim:overview:render')"
                                                ".map(e => e.duration)")
                    durations.append(entries[-1])
                worst = max(durations)
                print(f"Overview, 90 days x 5 channels, data received -> chart drawn: median "
                      f"{statistics.median(durations):.1f} ms, slowest {worst:.1f} ms of {RENDERS} "
                      f"(goal < {RENDER_GOAL_MS} ms)")
                page.unroute("**/overview?*")

                # 3. API calls per page switch.
                calls: list[str] = []
                page.on("request", lambda r: calls.append(r.method + " " + urlparse(r.url).path)
                        if API_PATH.match(urlparse(r.url).path) else None)
                per_page = {}
                for name in PAGES:
                    calls.clear()
                    page.locator(f"[data-nav={name}]").click()
                    page.locator(f"[data-nav={name}][aria-current=page]").wait_for(state="attached")
                    expect(page.locator(".state-loading")).to_have_count(0, timeout=20_000)
                    page.wait_for_timeout(300)
                    per_page[name] = len(calls)
                most = max(per_page.values())
                print(f"API calls per page switch: {per_page} -> at most {most} (goal <= {CALLS_GOAL})")
                browser.close()
        finally:
            stack.stop()
    met = all([goals.check("console JavaScript on first load, gzipped", f"{js_kb:.1f} KB", f"<= {JS_GOAL_KB} KB",
                           js_kb <= JS_GOAL_KB),
               goals.check("Overview of 90 days, data to chart drawn (slowest)", f"{worst:.0f} ms",
                           f"< {RENDER_GOAL_MS} ms", worst < RENDER_GOAL_MS),
               goals.check("API calls per console page switch", str(most), f"<= {CALLS_GOAL}", most <= CALLS_GOAL)])
    print(f"console budgets: {'met' if met else 'NOT met'}")
    return {"js_gzip_kb": js_kb, "overview_render_ms": worst, "page_switch_calls": most, "met": met}


if __name__ == "__main__":
    sys.exit(0 if run()["met"] else 1)
