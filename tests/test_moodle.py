"""Moodle XML writer: parse the output back and check it the way Moodle's importer reads it.

The central test recomputes, from the XML alone, which responses earn full marks in each
question (for multiple answers: which subsets of boxes score 100 % under Moodle's own
grading rule) and compares that with the bank. Around it: every grade is one Moodle's
importer accepts, the importer's other traps are designed out (lower-case `single`, CDATA,
plain names, '.' decimals, unique idnumbers, categories), nasty text survives, and the
same bank always gives the same bytes.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import lxml.html
import pytest
from lxml import etree

from exporter.diagnostics import Collector
from exporter.writers.moodle_grades import multiple_answers_weights, percent
from exporter.model import Answer, Bank, Choice, Feedback, Loc, Pair, Question
from exporter.text import to_html
from exporter.writers import moodle
from exporter.writers.moodle_cloze import inline as cloze_inline
from moodle_multianswer import extract_question  # noqa: E402
from exporter.text import decimal_text

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "bank" / "quiz2-differentiation.yaml"

# question_bank::fraction_options_full() as Moodle keys it (7-decimal strings), copied from
# question/engine/bank.php independently of exporter.writers.moodle_grades.
_RAW = [0.9, 0.8333333, 0.8, 0.75, 0.7, 0.6666667, 0.6, 0.5, 0.4, 0.3333333, 0.3, 0.25,
        0.2, 0.1666667, 0.1428571, 0.125, 0.1111111, 0.1, 0.05]
MOODLE_KEYS = sorted({0.0, 1.0, -1.0, *_RAW, *(-v for v in _RAW)})

NASTY = "a < b & c ]]> d — Ünïcödé ~ = # { } : \\ \\neq $x_1 < x_2$ and $a \\neq b$"


def L(line: int, col: int = 1) -> Loc:
    return Loc("bank/test.yaml", line, col)


def choice(text: str, correct: bool, line: int, feedback: str | None = None) -> Choice:
    return Choice(text=text, correct=correct, loc=L(line), feedback=feedback)


def make_bank() -> Bank:
    """Every question type, with the text that breaks naive writers."""
    questions = (
        Question(
            id="mc-nasty",
            type="multiple_choice",
            title="Nasty <title> & ]]> — ü",
            text=NASTY,
            loc=L(10),
            points=2.5,
            choices=(
                choice("$x_1 < x_2$", False, 11, feedback="no: ]]> & <"),
                choice("Ünïcödé & ]]>", True, 12, feedback="yes"),
                choice("`~ = # { } :`", False, 13),
            ),
            solution="Because $\\frac{1}{2} < 1$ & ]]>.",
            feedback=Feedback(correct="Right!", partial=None, incorrect="Wrong <sorry>"),
            tags=("chain-rule", "ünï"),
        ),
        Question(
            id="ma-three-of-five",
            type="multiple_answers",
            text="Pick the true ones.",
            loc=L(20),
            choices=(
                choice("A", True, 21),
                choice("B", False, 22, feedback="B is false"),
                choice("C", True, 23),
                choice("D", False, 24),
                choice("E", True, 25),
            ),
            feedback=Feedback(correct="All right", partial="Some right", incorrect="None right"),
            category=("Sub/one", "deeper"),
        ),
        Question(
            id="ma-all-correct",
            type="multiple_answers",
            text="All of these are true.",
            loc=L(30),
            choices=(choice("P", True, 31), choice("Q", True, 32)),
        ),
        Question(
            id="tf-false",
            type="true_false",
            text="$e^{i\\pi} + 1 \\neq 0$",
            loc=L(40),
            answer=False,
            feedback=Feedback(correct="Indeed.", incorrect="It is Euler's identity."),
            solution="Euler: $e^{i\\pi} = -1$.",
        ),
        Question(
            id="num-small",
            type="numerical",
            text="What is $\\frac{\\partial C}{\\partial w_2}$?",
            loc=L(50),
            answer=0.064,
            tolerance=0.0005,
            feedback=Feedback(correct="Yes.", incorrect="Check the chain rule."),
            category=("Sub/one", "deeper"),
        ),
        Question(
            id="num-tiny",
            type="numerical",
            text="A tiny number.",
            loc=L(55),
            answer=1e-7,
            tolerance=0.0,
        ),
        Question(
            id="sa-star",
            type="short_answer",
            text="Name it.",
            loc=L(60),
            answers=(
                Answer(text="x*y", loc=L(61), feedback="star kept literal"),
                Answer(text="ÿ & <z>", loc=L(62)),
            ),
            feedback=Feedback(correct="Correct.", incorrect="Not that."),
            category=("Other",),
        ),
        Question(
            id="essay-1",
            type="essay",
            text="Explain backpropagation.",
            loc=L(70),
            points=5,
            solution="Chain rule, layer by layer.",
        ),
        Question(
            id="match-1",
            type="matching",
            text="Match derivatives.",
            loc=L(80),
            pairs=(
                Pair(left="$x^2$", right="2x", loc=L(81)),
                Pair(left="$\\sin x$", right="cos x", loc=L(82)),
                Pair(left="a < b & c", right="a < b & c ]]>", loc=L(83)),
            ),
            distractors=("-sin x",),
            feedback=Feedback(correct="All matched.", partial="Some.", incorrect="None."),
        ),
    )
    return Bank(
        name="test",
        title="Test bank",
        path="bank/test.yaml",
        questions=questions,
        category=("Course & Co", "Quiz <1>"),
        description="Everything & more.",
    )


def write(bank: Bank) -> tuple[bytes, Collector]:
    report = Collector()
    return moodle.write(bank, report), report


def parse(data: bytes) -> etree._Element:
    # A strict parser: no entity resolution, no network, recover=False.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=False)
    return etree.fromstring(data, parser)


def questions(root: etree._Element) -> list[etree._Element]:
    return [q for q in root.findall("question") if q.get("type") != "category"]


def by_idnumber(root: etree._Element) -> dict[str, etree._Element]:
    return {q.findtext("idnumber"): q for q in questions(root)}


def importer_fraction(percent_text: str) -> float:
    """question/format.php + match_grade_options(…, 'error'): the stored list value, or fail."""
    value = float(percent_text) / 100
    matches = [k for k in MOODLE_KEYS if abs(value - k) < 0.00001]
    assert matches, f"Moodle's importer would refuse grade {percent_text}"
    return matches[0]


def text_of(element: etree._Element | None) -> str:
    """What Moodle's import_text/getpath reads: the <text> child, trimmed."""
    assert element is not None
    return (element.findtext("text") or "").strip()


def unescape_wildcards(pattern: str) -> str:
    return pattern.replace("\\*", "*")


# -- recomputing the key from the XML alone -----------------------------------------------


def full_marks_from_xml(q: etree._Element):
    """Which responses score 100 % in Moodle, from the XML alone (by Moodle's rules)."""
    qtype = q.get("type")
    if qtype == "multichoice":
        answers = q.findall("answer")
        texts = [text_of(a) for a in answers]
        fractions = [importer_fraction(a.get("fraction")) for a in answers]
        if q.findtext("single") == "true":
            # qtype_multichoice_single_question: the chosen answer's fraction.
            return ("one of", frozenset(t for t, f in zip(texts, fractions) if f > 0.999999))
        # qtype_multichoice_multi_question::grade_response: sum of ticked, clamped to
        # [0, 1]; question_state::graded_state_for_fraction calls > 0.999999 correct.
        full = set()
        for r in range(len(answers) + 1):
            for ticked in itertools.combinations(range(len(answers)), r):
                grade = min(max(0.0, sum(fractions[i] for i in ticked)), 1.0)
                if grade > 0.999999:
                    full.add(frozenset(texts[i] for i in ticked))
        return ("subsets", frozenset(full))
    if qtype == "truefalse":
        return ("tf", frozenset(text_of(a) for a in q.findall("answer") if float(a.get("fraction")) == 100))
    if qtype == "numerical":
        return (
            "number",
            frozenset(
                (float(text_of(a)), float(a.findtext("tolerance")))
                for a in q.findall("answer")
                if importer_fraction(a.get("fraction")) == 1.0
            ),
        )
    if qtype == "shortanswer":
        return (
            "text",
            frozenset(
                unescape_wildcards(text_of(a))
                for a in q.findall("answer")
                if importer_fraction(a.get("fraction")) == 1.0
            ),
        )
    if qtype == "matching":
        subs = q.findall("subquestion")
        return (
            "pairs",
            frozenset((text_of(s), text_of(s.find("answer"))) for s in subs if text_of(s)),
            frozenset(text_of(s.find("answer")) for s in subs if not text_of(s)),
        )
    if qtype == "essay":
        assert q.find("answer") is None
        return ("manual",)
    if qtype == "cloze":
        # what Moodle's own parser makes of the question text (tests/moodle_multianswer.py)
        _, wrapped = extract_question(text_of(q.find("questiontext")))
        return ("cloze", tuple(
            (w.qtype, w.mark, frozenset(
                (float(a), float(t)) if w.qtype == "numerical" else (unescape_wildcards(a) if w.qtype == "shortanswer" else a)
                for a, t, f in zip(w.answers, w.tolerance or [""] * len(w.answers), w.fractions) if f == 1.0))
            for w in wrapped))
    raise AssertionError(f"unexpected type {qtype}")


def full_marks_from_bank(q: Question):
    """The same, from the bank (HTML through the shared text layer, as the writer must)."""
    if q.type == "multiple_choice":
        return ("one of", frozenset(to_html(c.text) for c in q.choices if c.correct))
    if q.type == "multiple_answers":
        return ("subsets", frozenset({frozenset(to_html(c.text) for c in q.choices if c.correct)}))
    if q.type == "true_false":
        return ("tf", frozenset({"true" if q.answer else "false"}))
    if q.type == "numerical":
        return ("number", frozenset({(q.answer, q.tolerance or 0.0)}))
    if q.type == "short_answer":
        return ("text", frozenset(a.text.strip() for a in q.answers))
    if q.type == "matching":
        return (
            "pairs",
            frozenset((to_html(p.left), p.right.strip()) for p in q.pairs),
            frozenset(d.strip() for d in q.distractors),
        )
    if q.type == "essay":
        return ("manual",)
    if q.type == "cloze":
        kinds = {"numerical": "numerical", "short_answer": "shortanswer", "multiple_choice": "multichoice"}
        return ("cloze", tuple(
            (kinds[p.type], p.points, frozenset(
                {(p.answer, p.tolerance or 0.0)} if p.type == "numerical"
                else {a.text.strip() for a in p.answers} if p.type == "short_answer"
                else {cloze_inline(to_html(c.text)) for c in p.choices if c.correct}))
            for p in q.parts))
    raise AssertionError(q.type)


def importer_problems(data: bytes) -> list[str]:
    """The checks Moodle's importer and question types apply, as far as they refuse or
    silently change a question. An empty list means it would import as written."""
    problems = []
    root = parse(data)
    assert root.tag == "quiz"
    first = root.find("question")
    if first is None or first.get("type") != "category":
        problems.append("first question is not a category")
    for cat in root.findall("question[@type='category']"):
        path = text_of(cat.find("category"))
        # split_category_path(): '/' not doubled separates names.
        names = [n.replace("//", "/").strip() for n in re.split(r"(?<!/)/(?!/)", path)]
        if names[:2] != ["$course$", "top"] or len(names) < 3 or "" in names:
            problems.append(f"category path {path!r}")
    seen_ids = set()
    for q in questions(root):
        name = text_of(q.find("name"))
        if not name or len(name) > 255 or "<" in name or ">" in name:
            problems.append(f"name {name!r}")
        idnumber = q.findtext("idnumber")
        if not idnumber or len(idnumber) > 100 or idnumber in seen_ids:
            problems.append(f"idnumber {idnumber!r}")
        seen_ids.add(idnumber)
        for a in q.iter("answer"):
            if a.get("fraction") is not None:
                importer_fraction(a.get("fraction"))
        if q.get("type") == "multichoice":
            single = q.findtext("single")
            if single not in ("true", "false") or q.findtext("shuffleanswers") not in ("true", "false"):
                problems.append(f"single/shuffleanswers not lower-case true/false: {single!r}")
            fractions = [importer_fraction(a.get("fraction")) for a in q.findall("answer")]
            if single == "true" and max(fractions) != 1.0:
                problems.append("single: no 100 % answer (fractionsnomax)")
            if single == "false" and round(sum(f for f in fractions if f > 0), 2) != 1:
                problems.append("multi: positive grades do not add to 100 % (fractionsaddwrong)")
        if q.get("type") == "truefalse":
            if sorted(text_of(a) for a in q.findall("answer")) != ["false", "true"]:
                problems.append("truefalse answers are not 'true'/'false'")
        if q.get("type") == "numerical":
            for a in q.findall("answer"):
                t = text_of(a)
                if t != "*" and not re.fullmatch(r"-?\d+(\.\d+)?", t):
                    problems.append(f"numerical answer {t!r} is not a plain '.' decimal")
                if not re.fullmatch(r"\d+(\.\d+)?", a.findtext("tolerance")):
                    problems.append("tolerance")
            if q.findtext("showunits") != "3" or q.find("units") is not None:
                problems.append("units are not off")
        for field in ("questiontext", "generalfeedback"):
            if q.find(field).get("format") != "html":
                problems.append(f"{field} format")
    return problems


# -- the bank under test ------------------------------------------------------------------


@pytest.fixture(scope="module")
def bank() -> Bank:
    return make_bank()


@pytest.fixture(scope="module")
def output(bank) -> tuple[bytes, Collector]:
    return write(bank)


def seed_bank() -> Bank:
    load = pytest.importorskip("exporter.load")
    banks, diagnostics = load.load_banks([str(SEED)])
    assert not [d for d in diagnostics if d.severity == "error"], diagnostics
    (bank,) = banks
    return bank


def readme_bank(tmp_path: Path) -> Bank:
    """The README's "one example per type" bank, through the real loader."""
    load = pytest.importorskip("exporter.load")
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8") if readme.is_file() else ""
    if "### One example per type" not in text:
        pytest.skip("README has no example bank yet")
    section = text.split("### One example per type", 1)[1]
    block = re.search(r"```yaml\n(.*?)```", section, re.S).group(1)
    path = tmp_path / "examples.yaml"
    path.write_text("title: README examples\nquestions:\n" + block, encoding="utf-8")
    banks, diagnostics = load.load_banks([str(path)])
    assert not [d for d in diagnostics if d.severity == "error"], diagnostics
    return banks[0]


def test_writer_contract():
    assert moodle.TARGET == "moodle"
    assert moodle.SUFFIX == ".xml"


def test_no_findings_for_a_clean_bank(output):
    _, report = output
    assert report.errors == []
    assert [d.code for d in report.warnings] == []


def test_importer_would_take_it(output):
    data, _ = output
    assert importer_problems(data) == []


@pytest.mark.parametrize("source", ["constructed", "seed", "readme"])
def test_full_marks_recomputed_from_xml_match_the_bank(source, bank, tmp_path):
    if source == "seed":
        bank = seed_bank()
    elif source == "readme":
        bank = readme_bank(tmp_path)
    data, report = write(bank)
    assert report.errors == []
    assert importer_problems(data) == []
    written = by_idnumber(parse(data))
    assert list(written) == [q.id for q in sorted_by_category(bank)]
    if source != "constructed":
        # Real banks cover the choice types at least; the constructed one covers all seven.
        assert {"multichoice"} <= {q.get("type") for q in written.values()}
    for q in bank.questions:
        assert full_marks_from_xml(written[q.id]) == full_marks_from_bank(q), q.id


def sorted_by_category(bank: Bank) -> list[Question]:
    """The order the writer promises: bank category first, then subcategories by first use."""
    order: dict[tuple[str, ...], list[Question]] = {(): []}
    for q in bank.questions:
        order.setdefault(tuple(q.category), []).append(q)
    return [q for qs in order.values() for q in qs]


def test_seed_bank_types_and_grades():
    bank = seed_bank()
    data, _ = write(bank)
    written = by_idnumber(parse(data))
    # diff-cross-entropy-sigmoid: 3 correct, 1 incorrect → 33.33333 each, −100 for the wrong one.
    q = written["diff-cross-entropy-sigmoid"]
    assert [a.get("fraction") for a in q.findall("answer")] == ["-100", "33.33333", "33.33333", "33.33333"]
    assert q.findtext("single") == "false"
    assert written["diff-chain-tanh"].findtext("single") == "true"


def test_every_fraction_is_in_moodles_list(output):
    data, _ = output
    fractions = [a.get("fraction") for a in parse(data).iter("answer") if a.get("fraction")]
    assert fractions
    for text in fractions:
        importer_fraction(text)
        assert "," not in text


def test_multiple_answers_weights_in_xml(output):
    data, _ = output
    q = by_idnumber(parse(data))["ma-three-of-five"]
    w_c, w_i = multiple_answers_weights(3, 2)
    expected = [percent(w_c if c else w_i) for c in (True, False, True, False, True)]
    assert [a.get("fraction") for a in q.findall("answer")] == expected == [
        "33.33333", "-50", "33.33333", "-50", "33.33333"
    ]
    # Ticking every box scores 0 (clamped), the correct set 100 %.
    fractions = [importer_fraction(f) for f in expected]
    assert min(max(0.0, sum(fractions)), 1.0) < 0.000001
    all_correct = by_idnumber(parse(data))["ma-all-correct"]
    assert [a.get("fraction") for a in all_correct.findall("answer")] == ["50", "50"]


def test_single_and_shuffle_are_lower_case(output):
    data, _ = output
    text = data.decode()
    assert re.findall(r"<single>(.*?)</single>", text) == ["true", "false", "false"]
    assert set(re.findall(r"<shuffleanswers>(.*?)</shuffleanswers>", text)) == {"true", "false"}


def test_header_fields(output, bank):
    data, _ = output
    q = by_idnumber(parse(data))["mc-nasty"]
    assert q.get("type") == "multichoice"
    assert q.findtext("defaultgrade") == "2.5"
    assert [t.findtext("text") for t in q.find("tags")] == ["chain-rule", "ünï"]
    name = text_of(q.find("name"))
    assert "<" not in name and ">" not in name and len(name) <= 255
    assert name.startswith("Nasty") and "&" in name and "ü" in name
    essay = by_idnumber(parse(data))["essay-1"]
    assert essay.findtext("defaultgrade") == "5"


def test_feedback_lands_where_moodle_shows_it(output):
    data, _ = output
    written = by_idnumber(parse(data))
    mc = written["mc-nasty"]
    assert text_of(mc.find("generalfeedback")) == to_html("Because $\\frac{1}{2} < 1$ & ]]>.")
    assert text_of(mc.find("correctfeedback")) == "<p>Right!</p>"
    assert text_of(mc.find("partiallycorrectfeedback")) == ""
    assert text_of(mc.find("incorrectfeedback")) == to_html("Wrong <sorry>")
    assert [text_of(a.find("feedback")) for a in mc.findall("answer")] == [
        to_html("no: ]]> & <"), "<p>yes</p>", ""
    ]
    ma = written["ma-three-of-five"]
    assert text_of(ma.find("partiallycorrectfeedback")) == "<p>Some right</p>"
    assert ma.find("shownumcorrect") is not None

    tf = written["tf-false"]
    answers = {text_of(a): a for a in tf.findall("answer")}
    assert answers["false"].get("fraction") == "100" and answers["true"].get("fraction") == "0"
    assert text_of(answers["false"].find("feedback")) == "<p>Indeed.</p>"
    assert text_of(answers["true"].find("feedback")) == "<p>It is Euler's identity.</p>"
    assert tf.findtext("penalty") == "1"

    num = written["num-small"]
    wildcard = [a for a in num.findall("answer") if text_of(a) == "*"]
    assert len(wildcard) == 1 and wildcard[0].get("fraction") == "0"
    assert text_of(wildcard[0].find("feedback")) == "<p>Check the chain rule.</p>"

    sa = written["sa-star"]
    feedbacks = {text_of(a): text_of(a.find("feedback")) for a in sa.findall("answer")}
    assert feedbacks == {
        "x\\*y": "<p>star kept literal</p>",
        "ÿ & <z>": "<p>Correct.</p>",
        "*": "<p>Not that.</p>",
    }

    essay = written["essay-1"]
    assert text_of(essay.find("graderinfo")) == text_of(essay.find("generalfeedback")) != ""

    match = written["match-1"]
    assert text_of(match.find("correctfeedback")) == "<p>All matched.</p>"
    assert match.findtext("shuffleanswers") == "true"


def test_numerical_answers_are_plain_dot_decimals(output):
    data, _ = output
    written = by_idnumber(parse(data))
    first = written["num-small"].find("answer")
    assert (text_of(first), first.findtext("tolerance")) == ("0.064", "0.0005")
    tiny = written["num-tiny"].find("answer")
    assert (text_of(tiny), tiny.findtext("tolerance")) == ("0.0000001", "0")
    assert written["num-small"].findtext("showunits") == "3"


@pytest.mark.parametrize(
    "number, text",
    [(0.064, "0.064"), (2.0, "2"), (-0.5, "-0.5"), (1e-7, "0.0000001"), (1234567.25, "1234567.25"),
     (1e21, "1000000000000000000000"), (-0.0, "0")],
)
def test_decimal_text_shared_by_all_writers(number, text):
    assert decimal_text(number) == text
    assert float(text) == number


def test_html_is_cdata_and_survives(output):
    data, _ = output
    raw = data.decode("utf-8")
    # Every non-empty HTML field is one CDATA section (Moodle's reader drops
    # whitespace-only chunks between entities; a CDATA section is one chunk).
    for field in re.finditer(r'format="html">\s*<text>(.*?)</text>', raw, re.S):
        body = field.group(1)
        assert body == "" or (body.startswith("<![CDATA[") and body.endswith("]]>")), body
    q = by_idnumber(parse(data))["mc-nasty"]
    html = text_of(q.find("questiontext"))
    assert html == to_html(NASTY)
    # Parsed as HTML, the text reads exactly as the author wrote it (math in \( \)).
    shown = lxml.html.fragment_fromstring(html, create_parent="div").text_content()
    assert "a < b & c ]]> d — Ünïcödé ~ = # { } : \\ \\neq" in shown
    assert "\\(x_1 < x_2\\)" in shown and "\\(a \\neq b\\)" in shown


def test_plain_text_with_markup_characters_round_trips(output):
    data, _ = output
    written = by_idnumber(parse(data))
    sa = written["sa-star"]
    assert "ÿ & <z>" in {text_of(a) for a in sa.findall("answer")}
    raw = data.decode()
    assert "<![CDATA[ÿ & <z>]]>" in raw
    match = written["match-1"]
    rights = [text_of(s.find("answer")) for s in match.findall("subquestion")]
    # ']]>' cannot be in CDATA: written escaped instead, and it still reads back exactly.
    assert rights == ["2x", "cos x", "a < b & c ]]>", "-sin x"]
    assert "a &lt; b &amp; c ]]&gt;" in raw


def test_cdata_terminator_inside_html_is_neutralised():
    # to_html never produces ']]>', but the CDATA helper must not break if it ever does.
    element = etree.Element("text")
    moodle._set_html(element, '<p title="x]]>y">a ]]> b</p>')
    data = etree.tostring(element, encoding="UTF-8")
    assert data.count(b"<![CDATA[") == 1
    back = parse(data).text
    original = lxml.html.fragment_fromstring('<p title="x]]>y">a ]]> b</p>')
    reread = lxml.html.fragment_fromstring(back)
    assert reread.get("title") == original.get("title") == "x]]>y"
    assert reread.text_content() == original.text_content() == "a ]]> b"


@pytest.mark.parametrize("text", ["plain", "a < b", "a & b", "x ]]> y", "]]>", "< & >", "ünï ]]]]>>"])
def test_plain_text_helper_round_trips(text):
    element = etree.Element("text")
    moodle._set_text(element, text)
    assert parse(etree.tostring(element, encoding="UTF-8")).text == text


def test_whitespace_moodle_would_drop_is_a_warning():
    bank = make_bank()
    q = Question(
        id="sa-terminator",
        type="short_answer",
        text="?",
        loc=L(90),
        answers=(Answer(text="]]> <&", loc=L(91)),),
    )
    data, report = write(Bank(bank.name, bank.title, bank.path, (q,), bank.category))
    assert [(d.code, d.severity, d.loc) for d in report.items] == [("M205", "warning", L(91))]
    assert text_of(parse(data).find("question[@type='shortanswer']/answer")) == "]]> <&"


def test_categories(output):
    data, _ = output
    root = parse(data)
    entries = []
    for q in root.findall("question"):
        if q.get("type") == "category":
            entries.append(("category", text_of(q.find("category"))))
        else:
            entries.append(("question", q.findtext("idnumber")))
    top = "$course$/top/Course & Co/Quiz ‹1›"
    assert entries == [
        ("category", top),
        ("question", "mc-nasty"),
        ("question", "ma-all-correct"),
        ("question", "tf-false"),
        ("question", "num-tiny"),
        ("question", "essay-1"),
        ("question", "match-1"),
        ("category", top + "/Sub//one/deeper"),
        ("question", "ma-three-of-five"),
        ("question", "num-small"),
        ("category", top + "/Other"),
        ("question", "sa-star"),
    ]
    info = root.find("question[@type='category']/info")
    assert info.get("format") == "html" and text_of(info) == "<p>Everything &amp; more.</p>"


def test_category_path_escaping():
    assert moodle.category_path(["a/b", "/lead", "trail/"]) == "$course$/top/a//b/ //lead/trail// "
    # ... which Moodle's split_category_path() turns back into the names.
    path = moodle.category_path(["a/b", "/lead", "trail/"])
    names = [n.replace("//", "/").strip() for n in re.split(r"(?<!/)/(?!/)", path)]
    assert names == ["$course$", "top", "a/b", "/lead", "trail/"]


def test_bank_without_category_uses_its_title():
    bank = make_bank()
    data, _ = write(Bank(bank.name, "Plain title", bank.path, bank.questions[:1]))
    assert text_of(parse(data).find("question/category")) == "$course$/top/Plain title"


def test_deterministic():
    first, _ = write(make_bank())
    second, _ = write(make_bank())
    assert first == second
    assert first.startswith(b"<?xml version='1.0' encoding='UTF-8'?>\n<quiz>")


# -- errors and warnings ------------------------------------------------------------------


def one_question_bank(q: Question) -> Bank:
    return Bank(name="t", title="T", path="bank/test.yaml", questions=(q,), category=("C",))


def test_multiple_choice_needs_exactly_one_key():
    q = Question(
        id="two-keys", type="multiple_choice", text="?", loc=L(5),
        choices=(choice("a", True, 6), choice("b", True, 7)),
    )
    data, report = write(one_question_bank(q))
    assert [(d.code, d.severity, d.loc) for d in report.items] == [("M102", "error", L(5))]
    assert questions(parse(data)) == []


def test_impossible_fraction_is_a_located_error():
    choices = tuple(choice(f"c{i}", True, 100 + i) for i in range(11)) + (choice("w", False, 200),)
    q = Question(id="eleven", type="multiple_answers", text="?", loc=L(99), choices=choices)
    data, report = write(one_question_bank(q))
    (d,) = report.items
    assert (d.code, d.severity, d.loc) == ("M101", "error", L(110))
    assert "11 correct options" in d.message and "at most 10" in d.message
    assert str(d).startswith("bank/test.yaml:110:1: M101 ")
    # Nothing is written with a different grade: the question is left out.
    assert questions(parse(data)) == []


def test_too_many_incorrect_options_points_at_the_eleventh():
    choices = (choice("ok", True, 1),) + tuple(choice(f"w{i}", False, 10 + i) for i in range(12))
    q = Question(id="twelve-wrong", type="multiple_answers", text="?", loc=L(9), choices=choices)
    _, report = write(one_question_bank(q))
    (d,) = report.items
    assert (d.code, d.loc) == ("M101", L(20))


def test_twenty_options_each_are_expressible():
    choices = tuple(choice(f"c{i}", i < 20, i + 1) for i in range(40))
    q = Question(id="forty", type="multiple_answers", text="?", loc=L(1), choices=choices)
    data, report = write(one_question_bank(q))
    assert report.items == []
    assert {a.get("fraction") for a in parse(data).iter("answer")} == {"5", "-5"}


def test_unsupported_feedback_is_a_warning_not_dropped_silently():
    q = Question(
        id="essay-fb", type="essay", text="?", loc=L(3),
        feedback=Feedback(correct="c", partial="p", incorrect="i"),
    )
    data, report = write(one_question_bank(q))
    assert [(d.code, d.severity) for d in report.items] == [("W201", "warning")] * 3
    assert len(questions(parse(data))) == 1


def test_matching_math_in_answers_and_size_warnings():
    q = Question(
        id="m", type="matching", text="?", loc=L(3),
        pairs=(Pair(left="a", right="$x$", loc=L(4)),),
    )
    _, report = write(one_question_bank(q))
    assert sorted(d.code for d in report.warnings) == ["M202", "M203"]


def test_control_characters_are_reported_and_removed():
    q = Question(id="ff", type="essay", text="\x0crac{1}{2}", loc=L(3))
    data, report = write(one_question_bank(q))
    assert [d.code for d in report.errors] == ["M107"]
    assert "U+000C" in report.errors[0].message
    assert b"\x0c" not in data


def test_duplicate_ids_and_long_idnumbers_are_errors():
    q = Question(id="same", type="essay", text="?", loc=L(3))
    q2 = Question(id="same", type="essay", text="?", loc=L(8))
    long_q = Question(id="x" * 101, type="essay", text="?", loc=L(12))
    _, report = write(Bank("t", "T", "bank/test.yaml", (q, q2, long_q), ("C",)))
    assert [(d.code, d.loc) for d in report.errors] == [("M104", L(8)), ("M103", L(12))]


@pytest.mark.parametrize(
    "q, loc",
    [
        (Question(id="q", type="multiple_answers", text="?", loc=L(1),
                  choices=(choice("a", True, 2), choice("  ", False, 3))), L(3)),
        (Question(id="q", type="multiple_choice", text="?", loc=L(1),
                  choices=(choice("a", True, 2),)), L(1)),
        (Question(id="q", type="short_answer", text="?", loc=L(1),
                  answers=(Answer(text="ok", loc=L(2)), Answer(text=" ", loc=L(3)))), L(3)),
        (Question(id="q", type="matching", text="?", loc=L(1),
                  pairs=(Pair(left="a", right="b", loc=L(2)), Pair(left="c", right=" ", loc=L(3)))), L(3)),
    ],
    ids=["blank-choice", "one-choice", "blank-short-answer", "blank-match-side"],
)
def test_blank_parts_moodle_would_drop_are_errors(q, loc):
    # Moodle skips blank choices and answers (changing the grades) and stops the rest of
    # the import with a notice at a matching stem without an answer.
    data, report = write(one_question_bank(q))
    assert [(d.code, d.severity, d.loc) for d in report.items] == [("M106", "error", loc)]
    assert questions(parse(data)) == []


def test_category_name_problems_are_reported_once_where_they_come_from():
    qs = (
        Question(id="a", type="essay", text="?", loc=L(3), category=("***",)),
        Question(id="b", type="essay", text="?", loc=L(7), category=("***", "x")),
    )
    data, report = write(Bank("t", "T", "bank/test.yaml", qs, ("top",)))
    assert [(d.code, d.severity, d.loc) for d in report.items] == [
        ("M207", "warning", Loc("bank/test.yaml", 1, 1)),
        ("M108", "error", L(3)),
    ]


def test_tags_moodle_would_change_are_warnings():
    q = Question(id="t", type="essay", text="?", loc=L(3), tags=("ok", "a<b", "x" * 51))
    data, report = write(one_question_bank(q))
    assert [(d.code, d.severity) for d in report.items] == [("M204", "warning")] * 2
    tags = [t.findtext("text") for t in parse(data).find("question[@type='essay']/tags")]
    assert tags == ["ok", "a<b", "x" * 51]


def test_statistics_bank_keys_read_back_from_the_committed_export():
    """dist/moodle/statistics-basics.xml: every full-mark answer is what sympy recomputes."""
    from recomputed_keys import ROOT, numerical_answer_is_right, option_is_right, statistics_bank

    bank = statistics_bank()
    committed = (ROOT / "dist" / "moodle" / "statistics-basics.xml").read_bytes()
    assert committed == write(bank)[0]  # dist/ is up to date
    assert importer_problems(committed) == []
    written = by_idnumber(parse(committed))
    assert set(written) == {q.id for q in bank.questions}
    for q in bank.questions:
        xml = written[q.id]
        if q.type == "numerical":
            (answer,) = xml.findall("answer")
            assert answer.get("fraction") == "100"
            value, tolerance = float(answer.findtext("text")), float(answer.findtext("tolerance"))
            assert numerical_answer_is_right(q, value, tolerance), q.id
            assert not numerical_answer_is_right(q, value + 3 * tolerance + 0.001, tolerance), q.id
            continue
        texts = [to_html(c.text) for c in q.choices]
        for a in xml.findall("answer"):
            index = texts.index(text_of(a))
            assert (importer_fraction(a.get("fraction")) > 0.999999) == option_is_right(q, index), (q.id, index)
