"""Remake docs/preview-seed.png: the seed bank's preview page in Debian's Chromium.

    .venv/bin/qbank preview && .venv/bin/python docs/preview_screenshot.py
"""

from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "dist" / "preview" / "pages" / "quiz2-differentiation.html"

with sync_playwright() as p:
    browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
    page = browser.new_page(viewport={"width": 1000, "height": 1250})
    page.goto(PAGE.as_uri())
    page.click("article[data-qid='diff-chain-tanh'] details.key summary")  # one answer key revealed
    page.screenshot(path=str(ROOT / "docs" / "preview-seed.png"))
    browser.close()
