"""The GIFT writer, checked two independent ways.

1. gift-pegjs (npm, pinned in package-lock.json) parses every file we write, and every
   question must come back with the bank's text (as HTML from the shared text layer), keys,
   weights and feedback. It is a different implementation from Moodle's importer, so an
   escaping that only "works" for one of them fails here.
2. Moodle's own rules, as the README ("GIFT export") states them from question/format/gift/format.php:
   the escape/unescape steps (escapedchar_pre / escapedchar_post), the blank-line and `//`
   splitting, the `[id:…]` / `[tag:…]` patterns and the question-type decision. These are
   written out literally below, a few lines each, not a re-implementation of the importer.

Node is needed for (1); without it those tests are skipped (CI installs node and runs
`npm ci`). If node is there but gift-pegjs is not, they fail: run `npm ci`.
"""

from __future__ import annotations

import base64
import re
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exporter.diagnostics import Collector
from exporter.writers.moodle_grades import multiple_answers_weights, percent
from exporter.load import load_banks
from exporter.model import Answer, Bank, Choice, Feedback, Loc, Pair, Question
from exporter.text import plain_text, to_html
from exporter import credit, variants
from exporter.writers import gift
from exporter.writers.moodle_bank import escape_wildcards
from exporter.outputs import without_skipped
from gift_pegjs import gift_pegjs

REPO = Path(__file__).resolve().parents[1]
L = Loc("nasty.yaml", 1, 1)


# --------------------------------------------------------------------------- gift-pegjs


def parse_ok(document: str) -> list[dict]:
    [result] = gift_pegjs([document])
    assert "error" not in result, (result, document)
    return result["questions"]


# gift-pegjs 1.0.2 leaves its own placeholders in a matching answer (its PlainText rule
# skips the decoding its RichText does); this undoes exactly that, nothing more.
_PEGJS_PLACEHOLDERS = {
    "&&092;": "\\", "&&058;": ":", "&&035;": "#", "&&061;": "=",
    "&&123;": "{", "&&125;": "}", "&&126;": "~", "&&010": "\n",
}


def pegjs_subanswer(text: str) -> str:
    for placeholder, char in _PEGJS_PLACEHOLDERS.items():
        text = text.replace(placeholder, char)
    return text


# --------------------------------------------------------------- Moodle's rules, literally

_PRE = [("\\:", "&&058;"), ("\\#", "&&035;"), ("\\=", "&&061;"), ("\\{", "&&123;"),
        ("\\}", "&&125;"), ("\\~", "&&126;"), ("\\n", "&&010")]


def moodle_pre(text: str) -> str:
    """escapedchar_pre(): `\\\\` out of the way, escapes to placeholders, `\\\\` → `\\`."""
    text = text.replace("\\\\", "&&092;")
    for escaped, placeholder in _PRE:  # str_replace with arrays: one pair after another
        text = text.replace(escaped, placeholder)
    return text.replace("&&092;", "\\")


def moodle_post(text: str) -> str:
    """escapedchar_post(): placeholders → `: # = { } ~` and newline."""
    for escaped, placeholder in _PRE:
        text = text.replace(placeholder, "\n" if escaped == "\\n" else escaped[1])
    return text


def moodle_blocks(gift_text: str) -> list[tuple[list[str], str]]:
    """readdata() + readquestions() + the comment split of readquestion(): blocks at lines
    that trim() to empty (PHP's empty() also takes "0"), `//` lines are comments."""
    blocks, current = [], []
    for line in gift_text.split("\n") + [""]:
        line = line.strip(" \t\n\r\0\x0b")
        if line in ("", "0"):
            if current:
                comments = [x for x in current if x.startswith("//")]
                body = "\n".join(" " if x.startswith("//") else x for x in current).strip(" \t\n\r\0\x0b")
                blocks.append((comments, body))
            current = []
        else:
            current.append(line)
    return blocks


def moodle_id(comment: str) -> str:
    """extract_idnumber_and_tags_from_comment(), the id half (PCRE → Python re)."""
    found = re.search(r"\[id:((?:\\]|[^\]\x00-\x1f\x7f])+)]", comment)
    return found.group(1).strip().replace("\\]", "]") if found else ""


def moodle_tags(comment: str) -> list[str]:
    return [t.strip().replace("\\]", "]")
            for t in re.findall(r"\[tag:((?:\\]|[^\]<>`\x00-\x1f\x7f]|)+)]", comment)]


def moodle_category_names(block: str) -> list[str]:
    """The `$CATEGORY:` block as Moodle reads it: escapedchar_pre() only (never post), then
    split_category_path(): split at single '/', '//' → '/', trim."""
    path = moodle_pre(block)[len("$CATEGORY:"):].strip()
    return [n.replace("//", "/").strip() for n in re.split(r"(?<!/)/(?!/)", path)]


def moodle_qtype(block: str) -> str:
    """readquestion()'s type decision, on the block after escapedchar_pre()."""
    text = moodle_pre(block)
    if text.startswith("$CATEGORY:"):
        return "category"
    if text.startswith("::"):
        text = text[2:][text[2:].index("::") + 2:].strip()
    start, finish = text.find("{"), text.find("}")
    answers = text[start + 1:finish].strip()
    gf = answers.rfind("####")
    if gf >= 0:
        answers = answers[:gf].strip()
    if answers == "":
        return "essay"
    if answers[0] == "#":
        return "numerical"
    if "~" in answers:
        return "multichoice"
    if "=" in answers and "->" in answers:
        return "match"
    check = answers[: answers.index("#")].strip() if answers.find("#") > 0 else answers
    return "truefalse" if check in ("T", "TRUE", "F", "FALSE") else "shortanswer"


# --------------------------------------------------------------------------- the banks

NASTY = (
    "Evaluate $\\frac{\\partial C}{\\partial w_2} = 0.064$ and $x_1 \\neq x_2$, $\\nabla f$, "
    "$\\nu$: is `a < b & c` true? ]]> ~ = # { } : \\ [x] {#1} ::not a title:: #### -> "
    "&#39; &amp; — Übung, naïve, λ, 中文\n\n// not a comment\n\n$$\\{x : x = 1\\}$$"
)


def q(id: str, type: str, **kw) -> Question:
    return Question(id=id, type=type, text=kw.pop("text", NASTY), loc=Loc("nasty.yaml", len(id), 3), **kw)


def nasty_bank() -> Bank:
    c = lambda text, correct, feedback=None: Choice(text, correct, L, feedback)  # noqa: E731
    return Bank(
        name="nasty",
        title="Nasty: {all} the ~traps~",
        path="nasty.yaml",
        category=("Machine: learning", "a/b = c", "Ω #1"),
        questions=(
            q("mc", "multiple_choice", title="Pick {one}: a=b? #1 \\neq",
              choices=(c("$a = b$", False, "No: $a \\neq b$ {really}"),
                       c("`x ~ y` & <z>", True, "Yes #1 &#39;quoted&#39;"),
                       c("$$\\frac{1}{2}$$", False)),
              solution="Because $\\frac{a}{b} = c$:\n\n$$\\nabla \\cdot \\nu = 0$$",
              tags=("chain-rule", "naïve λ"), feedback=Feedback(correct="Well {done}")),
            q("ma", "multiple_answers",
              choices=(c("$x_1$ = 1", True, "fb: #one"), c("~two~", True), c("{three}", True),
                       c("four -> five", False, "no = never")),
              solution="All but the last."),
            q("tf-false", "true_false", answer=False,
              feedback=Feedback(correct="Right: it is {false}", incorrect="Wrong = $1 \\ne 2$",
                                partial="never")),
            q("tf-true", "true_false", answer=True, feedback=Feedback(correct="only right fb")),
            q("tf-wrong-only", "true_false", answer=True, feedback=Feedback(incorrect="only wrong fb")),
            q("num", "numerical", answer=0.064, tolerance=1e-05, solution="$0.064$",
              feedback=Feedback(correct="Yes: $0.064$", incorrect="No ~ try $\\frac{1}{2}$")),
            q("num-neg", "numerical", answer=-2.5, tolerance=0.0),
            q("sa", "short_answer",
              answers=(Answer("x = 2", L, "right: {x}"), Answer("%50% off", L),
                       Answer("[html] b", L), Answer("2*x", L), Answer("über~{all}#1", L)),
              feedback=Feedback(correct="good", incorrect="Nope: $x \\neq 2$")),
            q("essay", "essay", solution="Model answer: $e^{i\\pi} = -1$", category=("Essays",)),
            q("match", "matching",
              pairs=(Pair("$\\frac{d}{dx} x^2$", "2x = x+x", L), Pair("{left} ~", "a -> b", L),
                     Pair("`<&>`", "{#1} ~ \\neq :", L)),
              distractors=("none = 0",), solution="Differentiate."),
        ),
    )


def write(bank: Bank) -> tuple[str, Collector]:
    report = Collector()
    data = gift.write(bank, report)
    return data.decode("utf-8"), report


def expected_categories(bank: Bank) -> dict[str, tuple[str, ...]]:
    root = bank.category or (bank.title,)
    return {x.id: tuple(plain_text(n, 255) for n in root + x.category) for x in bank.questions}


def html_or_none(markdown: str | None) -> str | None:
    """What an optional field must come back as: its HTML, or nothing if that is empty."""
    return (to_html(markdown, "mathjax") if markdown else "") or None


def text_of(field: dict | None) -> str | None:
    if field is None:
        return None
    assert field["format"] == "html"
    return field["text"]


def embedded(bank: Bank):
    """The image hook for the expected HTML: a figure is a data: URI of the file's bytes
    (the README ("Figures")), read here straight from the bank folder."""
    types = {".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif"}

    def hook(src: str, alt: str) -> str:
        path = Path(bank.path).parent / src
        return f"data:{types[path.suffix]};base64,{base64.b64encode(path.read_bytes()).decode()}"

    return hook


def check_against_bank(bank: Bank, parsed: list[dict]) -> None:
    """Every question of `bank` is in `parsed`, in its category, equal field by field."""
    by_id, category = {}, None
    where = {}
    for item in parsed:
        if item["type"] == "Category":
            category = item["title"]
            continue
        assert item["id"] not in by_id
        by_id[item["id"]] = item
        where[item["id"]] = category
    assert sorted(by_id) == sorted(x.id for x in bank.questions)
    categories = expected_categories(bank)
    for question in bank.questions:
        got = by_id[question.id]
        names = categories[question.id]
        assert where[question.id] == "$course$/top/" + "/".join(n.replace("/", "//") for n in names)
        assert got["title"] == (plain_text(question.display_title, 255) or question.id)
        assert got["tags"] == (list(question.tags) or None)
        assert got["hasEmbeddedAnswers"] is False
        assert text_of(got["stem"]) == to_html(question.text, "mathjax", images=embedded(bank))
        assert text_of(got["globalFeedback"]) == html_or_none(question.solution)
        CHECKS[question.type](question, got)


def pct(weight) -> float:
    """A grade as gift-pegjs reports it: the percent number written between `%`s."""
    return float(percent(weight))


def check_multiple_choice(question: Question, got: dict) -> None:
    assert got["type"] == "MC"
    weights = credit.choice_weights(question)
    expected = [None if c.correct or not weights or weights[i] == 0 else pct(weights[i])
                for i, c in enumerate(question.choices)]
    assert [(text_of(c["text"]), c["isCorrect"], c["weight"], text_of(c["feedback"])) for c in got["choices"]] == [
        (to_html(c.text, "mathjax"), c.correct, w, html_or_none(c.feedback)) for c, w in zip(question.choices, expected)
    ]


def check_multiple_answers(question: Question, got: dict) -> None:
    assert got["type"] == "MC"
    n = sum(c.correct for c in question.choices)
    right, wrong = multiple_answers_weights(n, len(question.choices) - n)
    explicit = credit.choice_weights(question)
    weights = [pct(w) for w in explicit] if explicit else [pct(right if c.correct else wrong) for c in question.choices]
    assert [(text_of(c["text"]), c["isCorrect"], c["weight"], text_of(c["feedback"])) for c in got["choices"]] == [
        (to_html(c.text, "mathjax"), False, w, html_or_none(c.feedback)) for c, w in zip(question.choices, weights)
    ]
    assert sum(w for w in weights if w > 0) == pytest.approx(100, abs=1e-4)


def check_true_false(question: Question, got: dict) -> None:
    assert got["type"] == "TF"
    assert got["isTrue"] is question.answer
    # gift-pegjs names the two feedbacks trueFeedback/falseFeedback by position only; in
    # Moodle the first is shown for a wrong response and the second for a right one.
    assert text_of(got["trueFeedback"]) == html_or_none(question.feedback.incorrect)
    assert text_of(got["falseFeedback"]) == html_or_none(question.feedback.correct)


def check_numerical(question: Question, got: dict) -> None:
    assert got["type"] == "Numerical"
    first, *rest = got["choices"]
    assert first["isCorrect"] is True and first["weight"] is None
    assert first["text"] == {"type": "range", "number": question.answer, "range": question.tolerance or 0}
    assert text_of(first["feedback"]) == html_or_none(question.feedback.correct)
    others, rest = rest[: len(question.other_answers)], rest[len(question.other_answers):]
    assert [(o["weight"], o["text"], text_of(o["feedback"])) for o in others] == [
        (pct(credit.exact(o.credit)), {"type": "range", "number": o.answer, "range": o.tolerance},
         html_or_none(o.feedback)) for o in question.other_answers]
    if question.feedback.incorrect:
        [other] = rest
        assert other["isCorrect"] is False and other["text"]["text"] == "*"
        assert text_of(other["feedback"]) == html_or_none(question.feedback.incorrect)
    else:
        assert rest == []


def check_short_answer(question: Question, got: dict) -> None:
    assert got["type"] == "Short"
    expected = []
    for a in question.answers:
        weight = credit.answer_weight(a.credit)
        feedback = a.feedback or (question.feedback.correct if weight == 1 else None)
        expected.append((escape_wildcards(a.text.strip()), pct(weight), html_or_none(feedback)))
    if question.feedback.incorrect:
        expected.append(("*", 0, html_or_none(question.feedback.incorrect)))
    assert [(c["text"]["text"], c["weight"], text_of(c["feedback"])) for c in got["choices"]] == expected
    assert all(c["isCorrect"] for c in got["choices"])


def check_essay(question: Question, got: dict) -> None:
    assert got["type"] == "Essay"


def check_matching(question: Question, got: dict) -> None:
    assert got["type"] == "Matching"
    expected = [(to_html(p.left, "mathjax"), p.right.strip()) for p in question.pairs]
    expected += [("", d.strip()) for d in question.distractors]
    assert [(m["subquestion"]["text"], pegjs_subanswer(m["subanswer"])) for m in got["matchPairs"]] == expected


CHECKS = {
    "multiple_choice": check_multiple_choice,
    "multiple_answers": check_multiple_answers,
    "true_false": check_true_false,
    "numerical": check_numerical,
    "short_answer": check_short_answer,
    "essay": check_essay,
    "matching": check_matching,
}


# --------------------------------------------------------------------------- tests


def test_every_type_round_trips_through_gift_pegjs() -> None:
    bank = nasty_bank()
    text, report = write(bank)
    assert report.errors == []
    check_against_bank(bank, parse_ok(text))


def test_seed_bank_round_trips_through_gift_pegjs() -> None:
    banks, found = load_banks([str(REPO / "bank")])
    assert found == []
    banks = variants.expand(banks)  # as the build writes them: templates become their variants
    documents = []
    banks = [without_skipped(bank, "gift") for bank in banks]  # as the build does: `skip: {gift: …}`
    for bank in banks:
        text, report = write(bank)
        assert report.items == [], [str(d) for d in report.items]
        documents.append(text)
    for bank, result in zip(banks, gift_pegjs(documents)):
        assert "error" not in result, result
        check_against_bank(bank, result["questions"])


def test_moodle_reads_the_blocks_ids_tags_and_types_we_mean() -> None:
    bank = nasty_bank()
    text, _ = write(bank)
    blocks = moodle_blocks(text)
    header, *blocks = blocks
    assert header[1] == ""  # comments only: Moodle skips the block
    types = {"multiple_choice": "multichoice", "multiple_answers": "multichoice", "true_false": "truefalse",
             "numerical": "numerical", "short_answer": "shortanswer", "essay": "essay", "matching": "match"}
    questions = {x.id: x for x in bank.questions}
    categories = expected_categories(bank)
    current = None
    for comments, body in blocks:
        if body.startswith("$CATEGORY:"):
            assert comments == [] and "\n" not in body  # it stands alone
            current = moodle_category_names(body)
            continue
        assert len(comments) == 1
        question = questions.pop(moodle_id(comments[0]))
        assert moodle_tags(comments[0]) == list(question.tags)
        assert moodle_qtype(body) == types[question.type], question.id
        assert current == ["$course$", "top", *categories[question.id]]
        # the name Moodle reads: up to the first unescaped '::', then escapedchar_post()
        pre = moodle_pre(body)
        assert pre.startswith("::")
        name = moodle_post(pre[2:][: pre[2:].index("::")])
        assert name == plain_text(question.display_title, 255)
        # exactly one answer block, at the very end, and the format right after the name
        assert pre.count("{") == 1 and pre.count("}") == 1 and pre.endswith("}")
        assert pre[2:][pre[2:].index("::") + 2:].startswith("[html]")
    assert questions == {}


NASTY_FIELDS = [
    NASTY, "\\neq \\nabla \\nu \\n \\\\n \\", "a\nb\n\nc", "&#39;#&amp;", "{#1:2}", "~%50%x", "=a->b",
    "::t::", "####", "$CATEGORY: x", "\\\\\\{", "trailing backslash \\", "ünï¢ødé 中 🙂", "&&",
    "&&0 and &&01 and &", "x_1^{2} = \\{a\\}",
]


@pytest.mark.parametrize("raw", NASTY_FIELDS)
def test_moodle_unescape_gives_back_exactly_what_we_escaped(raw: str) -> None:
    for value in (raw, to_html(raw, "mathjax")):
        escaped = gift.escape(value, L, "field")
        assert moodle_post(moodle_pre(escaped)) == value
        # After escapedchar_pre() nothing Moodle splits on is left inside the field.
        parsed = moodle_pre(escaped)
        assert not set(parsed) & set("{}#=~:\n"), parsed


def test_every_html_field_is_written_as_its_escape() -> None:
    """The HTML each field must become is in the file verbatim, escaped: nothing else."""
    bank = nasty_bank()
    text, _ = write(bank)
    for question in bank.questions:
        for markdown in [question.text, question.solution, *(c.text for c in question.choices),
                         *(c.feedback for c in question.choices), *(p.left for p in question.pairs)]:
            if markdown:
                assert gift.escape(to_html(markdown, "mathjax"), L, "x") in text


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_property_texts_round_trip_through_gift_pegjs_and_moodle_rules(data: st.DataObject) -> None:
    """Question, choice, feedback, title and plain answer texts made of GIFT's special
    characters, HTML-special characters, math with braces and '=', and non-ASCII letters
    come back exactly, many questions per node call."""
    snippets = st.sampled_from([
        "$\\frac{\\partial C}{\\partial w_2} = 0.064$", "$x_1 = \\{a\\}$", "$$a = b$$", "\\neq", "\\nabla",
        "\\nu", "&#39;", "&amp;", "]]>", "::", "####", "->", "\n", "\n\n", "// ", "[html]", "%50%",
        "`{x}`", "$CATEGORY:", "\\", "\\\\", "\\n", "&&", "*", "_a_",
    ])
    chars = st.text(alphabet="~=#{}:\\[]<>& abcXY019éßЖλ中ğ", min_size=1, max_size=6)
    # a Moodle placeholder such as `&&010` has no escape: such a question is left out (tested elsewhere)
    rich = st.lists(st.one_of(snippets, chars), min_size=1, max_size=8).map("".join).filter(
        lambda s: not gift._PLACEHOLDER.search(s))
    plain = st.text(alphabet="~=#{}:\\[]<>&%$*abcXY019éßЖλ中", min_size=1, max_size=12).filter(
        lambda s: "->" not in s and "&&" not in s)
    items = data.draw(st.lists(st.tuples(rich, rich, rich, rich, plain, plain), min_size=1, max_size=30))
    questions = []
    for i, (text, right, wrong, fb, answer, match) in enumerate(items):
        if not all(to_html(t, "mathjax") for t in (text, right, wrong)):
            continue  # text that renders to nothing is left out, with a warning (tested below)
        questions.append(Question(
            id=f"mc{i}", type="multiple_choice", text=text, loc=L, title=text, solution=fb,
            choices=(Choice(right, True, L, fb), Choice(wrong, False, L, wrong)),
        ))
        questions.append(Question(
            id=f"sa{i}", type="short_answer", text=text, loc=L, answers=(Answer(answer, L, fb),)))
        questions.append(Question(
            id=f"m{i}", type="matching", text=text, loc=L,
            pairs=(Pair(right, match, L), Pair(wrong, answer, L)), distractors=(match + "x",)))
    if not questions:
        return
    bank = Bank(name="prop", title="Prop", path="prop.yaml", questions=tuple(questions))
    text, report = write(bank)
    assert report.errors == [] and not [d for d in report.warnings if d.code == "G200"]
    check_against_bank(bank, parse_ok(text))
    for field in (t for item in items for t in item):
        for value in (field, to_html(field, "mathjax")):
            try:
                escaped = gift.escape(value, L, "x")
            except gift.Unrepresentable:
                assert re.search(r"&&(058;|035;|061;|123;|125;|126;|092;|010)", value)
                continue
            assert moodle_post(moodle_pre(escaped)) == value


def test_output_is_deterministic_utf8_without_bom_or_cr() -> None:
    first, _ = write(nasty_bank())
    second, _ = write(nasty_bank())
    assert first == second
    data = gift.write(nasty_bank(), Collector())
    assert not data.startswith(b"\xef\xbb\xbf") and b"\r" not in data and data.endswith(b"}\n")


def test_file_name_is_plain_text_to_moodles_import_form() -> None:
    # Moodle's MIME table maps only the last extension; "txt" is text/plain by name, while
    # an unknown ".gift" is sniffed by libmagic, which calls HTML-looking text text/html.
    assert gift.TARGET == "gift" and gift.SUFFIX == ".gift.txt"
    assert Path("bank" + gift.SUFFIX).suffix == ".txt"


def test_points_combined_feedback_and_bad_tags_are_located_warnings() -> None:
    base = nasty_bank().questions[0]
    bank = replace(nasty_bank(), questions=(
        replace(base, points=2.0, tags=("ok", "a<b", "x" * 60),
                feedback=Feedback(correct="c", partial="p", incorrect="i")),
    ))
    text, report = write(bank)
    got = sorted((d.code, d.loc, d.severity) for d in report.items)
    assert got == sorted([
        ("G201", base.loc, "warning"),
        ("W201", base.loc, "warning"), ("W201", base.loc, "warning"), ("W201", base.loc, "warning"),
        ("G203", base.loc, "warning"), ("G203", base.loc, "warning"),
    ])
    assert "[tag:ok]" in text and "a<b" not in text and "[tag:" + "x" * 60 + "]" in text
    assert any("partial feedback" in d.message for d in report.items)


def test_partial_feedback_of_true_false_and_numerical_is_warned() -> None:
    bank = nasty_bank()
    _, report = write(bank)
    warned = {(d.code, d.loc) for d in report.warnings}
    tf = next(x for x in bank.questions if x.id == "tf-false")
    mc = next(x for x in bank.questions if x.id == "mc")
    assert ("W201", tf.loc) in warned and ("W201", mc.loc) in warned
    assert report.errors == []


@pytest.mark.parametrize(("answer", "tolerance"), [(float("nan"), 0.0), (float("inf"), 0.0), (1.0, float("inf")),
                                                   (None, 0.0), ("1.5", 0.0), (1.0, -0.5)])
def test_numerical_answer_that_moodle_would_store_as_star_is_an_error(answer, tolerance) -> None:
    where = Loc("n.yaml", 7, 13)
    bad = Question(id="bad", type="numerical", text="x", loc=L, answer=answer, answer_loc=where, tolerance=tolerance)
    good = Question(id="good", type="numerical", text="y", loc=L, answer=1e-7, tolerance=0.0)
    bank = Bank(name="n", title="N", path="n.yaml", questions=(bad, good))
    text, report = write(bank)
    assert [(d.code, d.loc) for d in report.errors] == [("G101", where)]
    assert "[id:bad]" not in text and "=0.0000001:0\n" in text
    assert parse_ok(text)[1]["choices"][0]["text"]["number"] == 1e-7


@pytest.mark.parametrize(("answer", "why"), [
    ("a -> b", "'->'"), ("x &&035; y", "'&&035;'"), ("line\rbreak", "carriage return"),
])
def test_unrepresentable_question_is_left_out_with_a_warning_naming_it(answer: str, why: str) -> None:
    where = Loc("s.yaml", 4, 9)
    bad = Question(id="sa-bad", type="short_answer", text="x", loc=L, answers=(Answer(answer, where),))
    good = Question(id="sa-good", type="short_answer", text="y", loc=L, answers=(Answer("fine", L),))
    bank = Bank(name="s", title="S", path="s.yaml", questions=(bad, good))
    text, report = write(bank)
    [warning] = report.items
    assert (warning.code, warning.loc, warning.severity) == ("G200", where, "warning")
    assert "'sa-bad'" in warning.message and why in warning.message
    assert "sa-bad" not in text
    assert [x["id"] for x in parse_ok(text) if x["type"] != "Category"] == ["sa-good"]


def test_grades_moodle_refuses_are_errors_at_the_option() -> None:
    choices = tuple(Choice(f"option {i}", i < 11, Loc("g.yaml", 10 + i, 5)) for i in range(12))
    bank = Bank(name="g", title="G", path="g.yaml", questions=(
        Question(id="many", type="multiple_answers", text="x", loc=L, choices=choices),
        Question(id="two-keys", type="multiple_choice", text="x", loc=L,
                 choices=(Choice("a", True, L), Choice("b", True, L))),
    ))
    text, report = write(bank)
    assert [(d.code, d.loc) for d in report.errors] == [("M101", choices[10].loc), ("M102", L)]
    assert "[id:" not in text


def test_category_names_with_slashes_and_backslashes_reach_moodle_intact() -> None:
    bank = Bank(name="c", title="C", path="c.yaml", category=("a/b", "back\\slash \\n {x}: #1"),
                questions=(Question(id="e", type="essay", text="x", loc=L),))
    text, _ = write(bank)
    [category] = [body for _, body in moodle_blocks(text) if body.startswith("$CATEGORY:")]
    assert moodle_category_names(category) == ["$course$", "top", "a/b", "back\\slash \\n {x}: #1"]


def test_matching_answer_with_math_is_warned_as_plain_text() -> None:
    pair = Pair("left", "$x^2$", Loc("m.yaml", 3, 5))
    bank = Bank(name="m", title="M", path="m.yaml", questions=(
        Question(id="m", type="matching", text="x", loc=L, pairs=(pair, Pair("l2", "r2", L)), distractors=("d",)),))
    _, report = write(bank)
    assert [(d.code, d.loc) for d in report.items] == [("M202", pair.loc)]


def test_text_that_renders_to_nothing_leaves_the_question_out() -> None:
    blank_choice = Choice("   ", False, Loc("b.yaml", 9, 7))
    bank = Bank(name="b", title="B", path="b.yaml", questions=(
        Question(id="no-text", type="essay", text=" \n ", loc=Loc("b.yaml", 2, 5)),
        Question(id="no-choice", type="multiple_choice", text="x", loc=L,
                 choices=(Choice("a", True, L), blank_choice)),
        Question(id="fine", type="essay", text="x", loc=L),
    ))
    text, report = write(bank)
    assert [(d.code, d.loc) for d in report.items] == [("G200", Loc("b.yaml", 2, 5)), ("G200", blank_choice.loc)]
    assert [x["id"] for x in parse_ok(text) if x["type"] != "Category"] == ["fine"]


def test_moodle_reads_every_weight_we_write() -> None:
    """readquestion()'s weight pattern and answerweightparser() on each `~%w%` line."""
    text, _ = write(nasty_bank())
    ma = next(x for x in nasty_bank().questions if x.id == "ma")
    right, wrong = multiple_answers_weights(3, 1)
    lines = [line.strip() for line in text.splitlines() if line.startswith("\t~%")]
    assert len(lines) == len(ma.choices)
    for line, choice in zip(lines, ma.choices):
        answer = line[1:]
        assert re.match(r"^%-*([0-9]{1,2})\.?([0-9]*)%", answer)
        weight = float(answer[1:][: answer[1:].index("%")]) / 100
        assert weight == pytest.approx(float(right if choice.correct else wrong), abs=1e-7)
