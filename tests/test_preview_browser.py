"""The preview in a real browser: Debian's Chromium, headless, driven by Playwright.

What a reviewer would see is checked where it is decided — in the browser: every committed
question is on its page, every math span is drawn as MathML (no `$` or LaTeX left in the
visible text, no error marker), every image loaded, the reveal controls work with the mouse
and the keyboard, printing hides or shows the answers as chosen, the page asks for nothing
beyond its own files, and the console stays clean.

No browser is downloaded: Playwright only drives the system's `chromium` (`.ci/run` installs
Debian's package). Without it the test fails, unless QBANK_SKIP_BROWSER_TESTS=1 says to skip
— so CI cannot pass by silently not running it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Iterator

import pytest

from preview_site import build_site, committed_question_ids

CHROMIUM = os.environ.get("QBANK_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _unavailable() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (pip install -e '.[test]')"
    if not Path(CHROMIUM).is_file():
        return f"no Chromium at {CHROMIUM} (apt-get install chromium, or set QBANK_CHROMIUM)"
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    missing = _unavailable()
    if missing:
        if os.environ.get("QBANK_SKIP_BROWSER_TESTS") == "1":
            pytest.skip(f"{missing}; skipped because QBANK_SKIP_BROWSER_TESTS=1")
        pytest.fail(f"{missing}. The preview's browser test needs it; set QBANK_SKIP_BROWSER_TESTS=1 to skip it on purpose.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_site(tmp_path_factory.mktemp("preview-browser"))


class Page:
    """A page opened from the site, with everything it complained about or asked for."""

    def __init__(self, browser, path: Path) -> None:  # noqa: ANN001 - a Playwright Browser
        self.context = browser.new_context(viewport={"width": 1200, "height": 900})
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.outside: list[str] = []
        self.page.on("console", lambda m: self.errors.append(f"console {m.type}: {m.text}") if m.type in ("error", "warning") else None)
        self.page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        self.page.on("requestfailed", lambda r: self.errors.append(f"request failed: {r.url}"))

        def route(r) -> None:  # noqa: ANN001
            if r.request.url.startswith("file://"):
                r.continue_()
            else:  # a self-contained site asks for nothing else
                self.outside.append(r.request.url)
                r.abort()

        self.page.route("**/*", route)
        self.page.goto(path.as_uri(), wait_until="load")

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def open_page(browser, site: Path) -> Iterator:  # noqa: ANN001
    opened: list[Page] = []

    def go(rel: str) -> Page:
        p = Page(browser, site / rel)
        opened.append(p)
        return p

    yield go
    for p in opened:
        assert p.errors == [], p.errors
        assert p.outside == [], f"the page asked the network for {p.outside}"
        p.close()


PAGES = ["index.html", *(f"pages/{stem}.html" for stem in sorted(committed_question_ids())), "pages/quizzes/midterm-practice.html"]


def test_every_committed_question_is_on_the_bank_page(open_page) -> None:  # noqa: ANN001
    for stem, ids in committed_question_ids().items():
        p = open_page(f"pages/{stem}.html").page
        shown = set(p.eval_on_selector_all("article.question", "els => els.map(e => e.dataset.qid)"))
        visible = p.eval_on_selector_all("article.question", "els => els.filter(e => e.getBoundingClientRect().height > 0).length")
        assert visible == len(shown)
        for qid in ids:
            assert qid in shown or any(s.startswith(f"{qid}-v") for s in shown), qid


@pytest.mark.parametrize("rel", PAGES)
def test_math_images_and_console(open_page, rel: str) -> None:  # noqa: ANN001
    p = open_page(rel).page
    # open every answer and solution, so that every span and image is laid out
    p.eval_on_selector_all("details", "ds => ds.forEach(d => { d.open = true; })")
    math = p.eval_on_selector_all(
        "math",
        """els => els.map(e => ({ns: e.namespaceURI, w: e.getBoundingClientRect().width,
                                h: e.getBoundingClientRect().height}))""",
    )
    if rel != "index.html":
        assert len(math) > 20
    assert all(m["ns"] == "http://www.w3.org/1998/Math/MathML" for m in math)
    assert all(m["w"] > 0 and m["h"] > 0 for m in math), [m for m in math if not m["w"]]
    # a fraction is drawn as one (taller than a line of text), not as its source
    fractions = p.eval_on_selector_all("mfrac", "els => els.map(e => e.getBoundingClientRect().height)")
    assert all(h > 0 for h in fractions) and (not fractions or max(fractions) > 20), fractions
    assert p.query_selector_all(".math-error, .math-unknown, merror") == []
    text = p.inner_text("body")
    assert "$" not in text and "\\frac" not in text and "\\(" not in text
    images = p.eval_on_selector_all("img", "els => els.map(e => [e.getAttribute('src'), e.complete, e.naturalWidth])")
    if rel in ("pages/quiz2-differentiation.html", "pages/quizzes/midterm-practice.html"):
        assert images  # the pages that show the seed's figure
    for src, complete, width in images:
        assert complete and width > 0, f"image {src} did not load"


def test_reveal_with_mouse_and_keyboard(open_page) -> None:  # noqa: ANN001
    p = open_page("pages/quiz2-differentiation.html").page
    key = p.locator("article[data-qid='diff-chain-tanh'] details.key")
    body = key.locator(".reveal-body")
    summary = key.locator("summary")
    assert not key.evaluate("d => d.open") and not body.is_visible()
    summary.click()
    assert key.evaluate("d => d.open") and body.is_visible()
    assert "✓ correct" in body.inner_text()
    summary.click()
    assert not body.is_visible()
    summary.focus()
    p.keyboard.press("Enter")
    assert body.is_visible()
    p.keyboard.press("Space")
    assert not body.is_visible()
    # Tab reaches the summaries: keyboard users can get to every reveal control
    reached = set()
    p.locator("body").focus()
    for _ in range(60):
        p.keyboard.press("Tab")
        reached.add(p.evaluate("() => document.activeElement.tagName + '.' + (document.activeElement.closest('details') || {className: ''}).className"))
    assert "SUMMARY.reveal key" in reached and "SUMMARY.reveal solution" in reached


def test_reveal_all_and_print(open_page) -> None:  # noqa: ANN001
    p = open_page("pages/quiz2-differentiation.html").page
    count = p.locator("details.reveal").count()
    p.click("button.reveal-all")
    assert p.locator("details.reveal[open]").count() == count
    p.click("button.hide-all")
    assert p.locator("details.reveal[open]").count() == 0
    body = p.locator("article[data-qid='diff-chain-tanh'] details.solution .reveal-body")
    p.emulate_media(media="print")
    assert not body.is_visible()  # questions only
    assert p.locator("article[data-qid='diff-chain-tanh'] .stem").is_visible()
    p.emulate_media(media="screen")
    p.check("#print-solutions")
    p.emulate_media(media="print")
    assert body.is_visible()  # with answers and solutions, though closed on screen
    assert p.locator("details.reveal[open]").count() == 0
