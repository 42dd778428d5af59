"""`qbank preview`: the HTML site's content, its determinism, and the math finding codes.
(What a browser makes of the pages is tests/test_preview_browser.py.)"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml import html

from exporter.cli import main
from exporter.mathml import E_MATH, W_MATH, convert, problem
from preview_site import REPO, build_site, committed_question_ids


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_site(tmp_path_factory.mktemp("preview"))


def page(path: Path) -> html.HtmlElement:
    return html.fromstring(path.read_bytes())


def test_site_has_an_index_and_a_page_per_bank_and_quiz(site: Path) -> None:
    index = page(site / "index.html")
    links = sorted(a.get("href") for a in index.iter("a") if a.get("href", "").endswith(".html"))
    assert links == sorted([f"pages/{stem}.html" for stem in committed_question_ids()] + ["pages/quizzes/midterm-practice.html"])
    for link in links:
        assert (site / link).is_file()
    assert (site / "assets" / "preview.css").is_file()


def test_every_committed_question_is_on_its_bank_page(site: Path) -> None:
    for stem, ids in committed_question_ids().items():
        shown = {a.get("data-qid") for a in page(site / "pages" / f"{stem}.html").iter("article")}
        for qid in ids:
            # a parametrised question is shown as its variants, `<id>-v1`, `<id>-v2`, …
            assert qid in shown or any(s.startswith(f"{qid}-v") for s in shown), qid


def test_math_is_mathml_and_no_dollar_is_left(site: Path) -> None:
    assert len(page(site / "pages" / "quiz2-differentiation.html").xpath("//math")) > 100
    for f in [site / "index.html", *sorted((site / "pages").rglob("*.html"))]:
        doc = page(f)
        assert doc.xpath("//*[contains(@class, 'math-error') or contains(@class, 'math-unknown')]") == [], f
        body_text = "".join(doc.xpath("//body//text()[not(ancestor::annotation)][not(ancestor::script)]"))
        assert "$" not in body_text, f  # titles and contents lists too, not only question text
        assert "\\frac" not in body_text, f


INLINE = """\
title: "Quantiles $t_{0.975}$ *as written*"
questions:
  - id: inline-tails
    type: multiple_choice
    title: "The value $t_{0.975,9}$, roughly"
    text: Pick one.
    choices:
      - text: "$x$ and some words after it"
        correct: true
      - text: "nothing"
        correct: false
    check:
      manual: a wording question, nothing to compute
"""


def test_text_after_inline_math_and_math_in_titles(tmp_path: Path) -> None:
    bank = tmp_path / "inline.yaml"
    bank.write_text(INLINE, encoding="utf-8")
    assert main(["preview", str(bank), "--no-cache", "-j", "1", "-o", str(tmp_path / "site")]) == 0
    doc = page(tmp_path / "site" / "pages" / "inline.html")
    choice = doc.xpath("//ol[contains(@class, 'choices')]/li")[0].text_content()
    assert choice.count("and some words after it") == 1
    h1 = doc.xpath("//h1")[0]
    assert h1.xpath(".//math") and "*as written*" in h1.text_content() and "$" not in h1.text_content()
    heading = doc.xpath("//article//h2")[0]
    assert heading.xpath(".//math//msub") and heading.text_content().count("roughly") == 1


def test_status_says_what_was_proved(site: Path) -> None:
    doc = page(site / "pages" / "quiz2-differentiation.html")
    status = doc.xpath("//article[@data-qid='diff-chain-tanh']//div[contains(@class, 'status')]")[0]
    text = " ".join(status.text_content().split())
    assert "Machine-verified" in text
    assert "diff(y, t) =" in text and "3 distractors differ" in text
    manual = doc.xpath("//article[@data-qid='backprop-statements']//div[contains(@class, 'status')]")
    assert manual and "Checked by hand" in manual[0].text_content()


def test_key_feedback_and_solution_are_behind_details(site: Path) -> None:
    doc = page(site / "pages" / "quiz2-differentiation.html")
    art = doc.xpath("//article[@data-qid='diff-chain-tanh']")[0]
    summaries = [s.text_content() for s in art.xpath(".//details/summary")]
    assert summaries == ["Answer key and feedback", "Worked solution"]
    key = art.xpath(".//details[contains(@class, 'key')]")[0].text_content()
    assert "✓ correct" in key and "The derivative of" in key
    # the student's view above the key marks no option as correct
    assert "correct" not in art.xpath(".//ol[contains(@class, 'choices')]")[0].text_content()


def test_variants_side_by_side_with_drawn_values(site: Path) -> None:
    doc = page(site / "pages" / "quiz2-differentiation.html")
    grid = doc.xpath("//section[contains(@class, 'variants')]//div[@class='variant-grid']")[0]
    cards = grid.xpath("./article")
    assert len(cards) >= 2
    drawn = [" ".join(c.xpath(".//dl[@class='drawn']")[0].text_content().split()) for c in cards]
    assert all(d.startswith("s") for d in drawn) and len(set(drawn)) == len(drawn)


def test_figures_are_in_the_site_and_linked(site: Path) -> None:
    doc = page(site / "pages" / "quiz2-differentiation.html")
    imgs = doc.xpath("//main//img")
    assert imgs
    for img in imgs:
        assert img.get("alt")
        assert (site / "pages" / img.get("src")).resolve().is_file()


def test_same_bank_same_bytes(site: Path, tmp_path: Path) -> None:
    again = build_site(tmp_path / "again")
    files = sorted(p.relative_to(site) for p in site.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file())
    for rel in files:
        assert (site / rel).read_bytes() == (again / rel).read_bytes(), rel


BAD_MATH = """\
title: Bad math
questions:
  - id: broken-math
    type: essay
    text: |
      Compare $x^$ with
      $\\sqrt$ and $\\bbox[red]{x}$, $\\frac{1}{2$.
    check:
      manual: an essay, graded by a person
"""


def test_math_the_preview_cannot_render_is_a_located_finding(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bank = tmp_path / "bad.yaml"
    bank.write_text(BAD_MATH, encoding="utf-8")
    assert main(["check", str(bank), "--no-cache", "-j", "1"]) == 1
    err = capsys.readouterr().err
    assert re.search(rf"bad\.yaml:6:16: {E_MATH} math `x\^` in `broken-math` text: it does not parse", err), err
    assert f"bad.yaml:7:8: {E_MATH} math `\\sqrt` in `broken-math` text: it does not parse" in err, err
    assert f"bad.yaml:7:20: {W_MATH} warning: math `\\bbox[red]{{x}}` in `broken-math` text: the command `\\bbox`" in err, err
    # what MathJax cannot draw either is the math lint's (T101), not reported twice
    assert "T101" in err and f"{E_MATH} math `\\frac{{1}}{{2`" not in err, err


def test_preview_of_a_failing_bank_shows_the_finding(tmp_path: Path) -> None:
    bank = tmp_path / "bad.yaml"
    bank.write_text(BAD_MATH.replace("check:", "tags: [x]\n    check:"),
                    encoding="utf-8")
    assert main(["preview", str(bank), "--no-cache", "-j", "1", "-o", str(tmp_path / "site")]) == 1
    doc = page(tmp_path / "site" / "pages" / "bad.html")
    status = doc.xpath("//article[@data-qid='broken-math']//div[contains(@class, 'status')]")[0]
    assert "failing" in status.get("class")
    assert E_MATH in status.text_content()
    # the span is shown as its source, marked, not as a broken page
    assert doc.xpath("//code[@class='math-error']/text()") == ["x^", "\\sqrt", "\\frac{1}{2"]
    assert doc.xpath("//code[@class='math-unknown']/text()") == ["\\bbox[red]{x}"]


def test_bank_text_cannot_inject_markup(tmp_path: Path) -> None:
    bank = tmp_path / "evil.yaml"
    bank.write_text(BAD_MATH.replace("Compare $x^$ with", "<script>alert(1)</script> and $a<b$ & <img src=x onerror=alert(1)>")
                    .replace("$\\sqrt$ and $\\bbox[red]{x}$, $\\frac{1}{2$.", "fine"), encoding="utf-8")
    assert main(["preview", str(bank), "--no-cache", "-j", "1", "-o", str(tmp_path / "site")]) == 0
    doc = page(tmp_path / "site" / "pages" / "evil.html")
    assert doc.xpath("//main//script") == [] and doc.xpath("//main//img") == []
    assert "<script>alert(1)</script>" in doc.xpath("//article")[0].text_content()


@pytest.mark.parametrize("latex", [r"\text{<script>alert(1)</script>}", r"\text{a & b < c}", r"\mathrm{<b>}"])
def test_math_text_cannot_inject_markup(latex: str) -> None:
    """latex2mathml's own convert() un-escapes its serialised output (`\\text{<b>}` → a raw
    `<b>`); ours must give well-formed MathML whose text is the text."""
    out = html.fragment_fromstring(convert(latex, False))
    assert [e.tag for e in out.iter()][:3] == ["math", "semantics", "mrow"]
    assert not out.xpath("//script | //b")
    assert "<" in out.xpath("string(.//mrow)") or "&" in out.xpath("string(.//mrow)")


@pytest.mark.parametrize("latex", [r"\frac{dy}{dt}", r"\begin{pmatrix}1 & 2\end{pmatrix}", r"\{x\}", r"a<b"])
def test_good_math_converts(latex: str) -> None:
    assert problem(latex) is None
    assert convert(latex, False).startswith('<math display="inline">')


@pytest.mark.parametrize("latex, code", [("x^", E_MATH), ("}", E_MATH), (r"\left( x", E_MATH),
                                         (r"\foo", W_MATH), (r"\begin{weird}x\end{weird}", W_MATH)])
def test_bad_math_is_found(latex: str, code: str) -> None:
    found = problem(latex)
    assert found is not None and found.code == code


def test_build_target_preview_writes_standalone_pages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`qbank build --targets preview`: one file per bank or quiz, nothing linked outside it."""
    monkeypatch.chdir(REPO)
    assert main(["build", "--targets", "preview", "-o", str(tmp_path), "-j", "1"]) == 0
    quiz = page(tmp_path / "preview" / "quizzes" / "midterm-practice.html")
    assert quiz.xpath("//p[@class='kicker']")[0].text_content().startswith("Quiz")
    assert quiz.xpath("//head/style") and not quiz.xpath("//link[@href] | //script[@src]")
    assert all(img.get("src").startswith("data:image/") for img in quiz.xpath("//img"))
    assert quiz.xpath("//img")
