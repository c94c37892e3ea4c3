"""Take phone-sized (390×844) screenshots of Daiban's screens for a human to look at.

Usage: .venv/bin/python scripts/screenshots.py [BASE_URL] [USERNAME] [PATH ...]
Writes PNGs to screenshots/ (ignored by git) and reports horizontal overflow.
"""

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"
USER = sys.argv[2] if len(sys.argv) > 2 else "worker"
PATHS = sys.argv[3:] or ["/", "/network/", "/network/map/", "/account/"]
OUT = Path("screenshots")
OUT.mkdir(exist_ok=True)

with sync_playwright() as p:
    browser = p.chromium.launch(
        executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-background-networking"]
    )
    for width, height in [(390, 844)]:
        page = browser.new_page(viewport={"width": width, "height": height}, device_scale_factor=1, locale="zh-CN")
        page.on("console", lambda m: print("console:", m.type, m.text))
        page.goto(f"{BASE}/account/login/")
        page.fill("#id_username", USER)
        page.fill("#id_password", "daiban-demo")
        page.click("button[type=submit]")
        for path in PATHS:
            page.goto(BASE + path)
            page.wait_for_timeout(800)
            overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            name = f"{USER}{path.strip('/').replace('/', '_') or 'home'}_{width}.png"
            page.screenshot(path=str(OUT / name), full_page=False)
            print(f"{path} -> {OUT / name} overflow={overflow}px")
    browser.close()
