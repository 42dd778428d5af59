"""Canvas QTI 1.2 package: schema-valid, scores what the bank says, and free of Canvas's traps.

What is checked and against what:

- The assessment and the manifest validate against the IMS QTI ASI 1.2.1 and IMS CP 1.1
  schemas. The schema files are copied unchanged into tests/xsd/ (IMS-published, licence
  inside; the same files as ../shared/xsd) so the test runs on a clean clone; the CP schema
  imports the W3C xml.xsd from a web address, which a resolver maps to the local copy, and
  the parser may not touch the network.
- `run()` is a small interpreter of QTI 1.2 response processing (conditions in order,
  `setvar`, `continue`, varequal/vargte/varlte/not/and/or/other). Every item is run on every
  response in a probe space read from the item itself, and the responses that reach full
  marks must be exactly the ones the bank's key accepts. It never calls the writer.
- The trap tests emulate, over our QTI 1.2, the few lines of Canvas's importer each trap
  lives in (canvas-lms gems/plugins/qti_exporter, QTIMigrationTool lib/imsqtiv1.py); each
  emulation is shown to catch its trap on a deliberately broken copy.
"""

from __future__ import annotations

import copy
import html
import io
import itertools
import re
import zipfile
from dataclasses import replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Callable
from urllib.parse import unquote

import pytest
from lxml import etree
from lxml import html as lxml_html

from exporter.diagnostics import Collector
from exporter.model import Answer, Bank, Choice, Feedback, Loc, Pair, Question
from exporter.text import canvas_equation_image
from exporter.writers import canvas, ims

from ims_schemas import assert_valid, schema  # noqa: E402
QTI = canvas.QTI_NS
NS = {"q": QTI, "cp": ims.CP_NS, "cv": canvas.CANVAS_NS}


# ---------------------------------------------------------------------------------------
# A bank with every question type and text that breaks naive writers


def loc(line: int) -> Loc:
    return Loc("bank/nasty.yaml", line, 3)


NASTY = "If a<b & c>d then ]]> stays; ~ = # { } : \\ backslash, naïve Ünïcödé, and $x_1 \\neq x_2$ *here*."


def nasty_bank() -> Bank:
    qs = (
        Question(
            id="mc-nasty", type="multiple_choice", text=NASTY, loc=loc(1), title="MC <nasty> & co",
            choices=(
                Choice("a < b & c", False, loc(2), feedback="No: $a \\geq b$ here."),
                Choice("$\\frac{1}{2}$", True, loc(3), feedback="Yes, the correct one also has feedback."),
                Choice("plain", False, loc(4)),
            ),
            solution="Because $\\frac{1}{2} < 1$ & so on.",
            feedback=Feedback(correct="Well done ]]>", incorrect="Not quite < there"),
        ),
        Question(
            id="ma-two", type="multiple_answers", text="Pick the *true* ones about $x_1$.", loc=loc(10),
            points=2.5,
            choices=(
                Choice("$1 < 2$", True, loc(11), feedback="Yes."),
                Choice("$2 < 1$", False, loc(12), feedback="No: $2 > 1$."),
                Choice("$e^x > 0$", True, loc(13)),
                Choice("wrong", False, loc(14)),
            ),
            solution="Compare the numbers.",
            feedback=Feedback(correct="All right.", partial="Some right.", incorrect="Look again."),
        ),
        Question(
            id="tf-odd", type="true_false", text="$\\tanh$ is even.", loc=loc(20), answer=False,
            answer_loc=loc(21), solution="It is odd.",
        ),
        Question(
            id="num-tol", type="numerical", text="$\\sigma'(z)$ when $\\sigma = 0.6$?", loc=loc(30),
            answer=0.24, answer_loc=loc(31), tolerance=0.01, solution="$0.6 \\cdot 0.4$",
            feedback=Feedback(correct="Yes.", incorrect="Use $\\sigma(1-\\sigma)$."),
        ),
        Question(
            id="num-exact", type="numerical", text="$-3 \\cdot 1$?", loc=loc(35), answer=-3.0,
            answer_loc=loc(36), tolerance=0.0,
        ),
        Question(
            id="2nd-short", type="short_answer", text="Name the rule.", loc=loc(40),
            answers=(
                Answer("chain rule", loc(41), feedback="Exactly."),
                Answer("The Chain Rule", loc(42)),
                Answer("x < y & z", loc(43), feedback="Odd, but x < y & z is accepted."),
            ),
            solution="The chain rule.",
        ),
        Question(
            id="essay.one", type="essay", text="Explain $\\nabla$ & why.", loc=loc(50),
            solution="A model answer with **bold**.", feedback=Feedback(correct="Thanks."),
        ),
        Question(
            id="match-3", type="matching", text="Match each function with its derivative.", loc=loc(60),
            pairs=(
                Pair("$\\sin x$", "cos x", loc(61)),
                Pair("a < b", "a < b & c", loc(62)),
                Pair("$e^x$", "e^x", loc(63)),
            ),
            distractors=("-cos x", "e^x"),
            feedback=Feedback(correct="All matched.", incorrect="Some are off."),
        ),
    )
    return Bank(name="nasty", title="Nasty <bank> & \"quotes\"", path="bank/nasty.yaml", questions=qs,
                description="Description with $\\alpha$ and < & >.")


# ---------------------------------------------------------------------------------------
# Building and reading packages


def build(bank: Bank, style: str | None = None) -> tuple[bytes, Collector]:
    report = Collector()
    data = canvas.write(bank, report) if style is None else canvas.write(bank, report, canvas.Options(math_style=style))
    return data, report


def entries(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def parts(data: bytes) -> tuple[etree._Element, etree._Element, etree._Element, str]:
    """(manifest, assessment, assessment_meta, assessment ident) of a package."""
    files = entries(data)
    manifest = etree.fromstring(files["imsmanifest.xml"])
    qti_name = next(n for n in files if n.endswith(".xml") and not n.endswith(("imsmanifest.xml", "assessment_meta.xml")))
    assessment = etree.fromstring(files[qti_name])
    ident = assessment.find("q:assessment", NS).get("ident")
    meta = etree.fromstring(files[f"{ident}/assessment_meta.xml"])
    return manifest, assessment, meta, ident


def items(assessment: etree._Element) -> dict[str, etree._Element]:
    return {it.get("ident"): it for it in assessment.iter(f"{{{QTI}}}item")}


def local(el: etree._Element) -> str:
    return etree.QName(el).localname


def conditions(item: etree._Element) -> list[etree._Element]:
    return item.findall("q:resprocessing/q:respcondition", NS)


def metadata(item: etree._Element) -> dict[str, str]:
    return {
        f.findtext("q:fieldlabel", namespaces=NS): f.findtext("q:fieldentry", default="", namespaces=NS)
        for f in item.iterfind("q:itemmetadata/q:qtimetadata/q:qtimetadatafield", NS)
    }


def label_text(label: etree._Element) -> tuple[str, str]:
    mattext = label.find("q:material/q:mattext", NS)
    return mattext.get("texttype"), mattext.text or ""


# ---------------------------------------------------------------------------------------
# Schemas




# ---------------------------------------------------------------------------------------
# A QTI 1.2 response-processing interpreter


def response_kinds(item: etree._Element) -> dict[str, tuple[str, str]]:
    kinds = {}
    for lid in item.iterfind("q:presentation/q:response_lid", NS):
        kinds[lid.get("ident")] = ("lid", lid.get("rcardinality", "Single"))
    for rs in item.iterfind("q:presentation/q:response_str", NS):
        fib = rs.find("q:render_fib", NS)
        kinds[rs.get("ident")] = ("str", fib.get("fibtype", "String"))
    return kinds


def _number(text: Any) -> Decimal | None:
    try:
        return Decimal(str(text).strip())
    except (InvalidOperation, ValueError):
        return None


def evaluate(node: etree._Element, response: dict[str, Any], kinds: dict[str, tuple[str, str]]) -> bool:
    tag = local(node)
    if tag == "other":
        return True
    if tag == "not":
        (child,) = list(node)
        return not evaluate(child, response, kinds)
    if tag == "and":
        return all(evaluate(c, response, kinds) for c in node)
    if tag == "or":
        return any(evaluate(c, response, kinds) for c in node)
    respident = node.get("respident")
    value = response.get(respident)
    kind, detail = kinds[respident]
    if tag == "unanswered":
        return value is None
    if value is None:
        return False
    literal = node.text or ""
    if tag == "varequal":
        if kind == "lid":
            return literal in value if detail == "Multiple" else value == literal
        if detail in ("Decimal", "Integer", "Scientific"):
            a, b = _number(value), _number(literal)
            return a is not None and b is not None and a == b
        return value == literal if node.get("case") == "Yes" else value.lower() == literal.lower()
    if tag in ("vargte", "varlte", "vargt", "varlt"):
        a, b = _number(value), _number(literal)
        if a is None or b is None:
            return False
        return {"vargte": a >= b, "varlte": a <= b, "vargt": a > b, "varlt": a < b}[tag]
    raise AssertionError(f"the interpreter does not know <{tag}>: teach it before the writer emits it")


def run(item: etree._Element, response: dict[str, Any]) -> tuple[Decimal, list[str]]:
    """(SCORE, feedback idents shown) for one response, by QTI 1.2's rules."""
    rp = item.find("q:resprocessing", NS)
    decvar = rp.find("q:outcomes/q:decvar", NS)
    score = Decimal(decvar.get("defaultval", "0"))
    kinds = response_kinds(item)
    shown = []
    for cond in rp.findall("q:respcondition", NS):
        var = cond.find("q:conditionvar", NS)
        if all(evaluate(c, response, kinds) for c in var):
            for sv in cond.findall("q:setvar", NS):
                assert sv.get("varname", "SCORE") == "SCORE"
                v = Decimal(sv.text)
                action = sv.get("action", "Set")
                score = {"Set": v, "Add": score + v, "Subtract": score - v,
                         "Multiply": score * v, "Divide": score / v}[action]
            shown += [d.get("linkrefid") for d in cond.findall("q:displayfeedback", NS)]
            if cond.get("continue", "No") == "No":
                break
    return score, shown


def probe_space(item: etree._Element) -> list[dict[str, Any]]:
    """Every response worth trying, read from the item alone: each option (and every set of
    options for Multiple), each literal in the conditions, numbers just inside and outside
    each bound, case variants, junk, and no answer."""
    axes: list[list[tuple[str, Any]]] = []
    for ident, (kind, detail) in response_kinds(item).items():
        if kind == "lid":
            lid = item.find(f"q:presentation/q:response_lid[@ident='{ident}']", NS)
            labels = [l.get("ident") for l in lid.iter(f"{{{QTI}}}response_label")]
            if detail == "Multiple":
                values: list[Any] = [frozenset(c) for r in range(len(labels) + 1) for c in itertools.combinations(labels, r)]
            else:
                values = [*labels, None]
        else:
            literals = {n.text or "" for n in item.iter(f"{{{QTI}}}varequal", f"{{{QTI}}}vargte", f"{{{QTI}}}varlte")
                        if n.get("respident") == ident}
            values = {None, "", "qbank-junk", "12abc"}
            for lit in literals:
                values |= {lit, lit.upper(), lit + " x"}
                n = _number(lit)
                if n is not None:
                    eps = max(abs(n), Decimal(1)) * Decimal("1e-9")
                    values |= {str(n + eps), str(n - eps), str(n * 2 + 1), str(-n - 7)}
            values = sorted(values, key=lambda v: (v is None, str(v)))
        axes.append([(ident, v) for v in values])
    return [dict(combo) for combo in itertools.product(*axes)]


def full_marks(item: etree._Element) -> list[dict[str, Any]]:
    return [r for r in probe_space(item) if run(item, r)[0] == canvas.FULL]


def key_accepts(q: Question, item: etree._Element, response: dict[str, Any]) -> bool:
    """What the *bank* says about a response (labels matched to the bank by position/text)."""
    if q.type in ("multiple_choice", "multiple_answers", "true_false"):
        labels = [l.get("ident") for l in item.iter(f"{{{QTI}}}response_label")]
        if q.type == "true_false":
            texts = [label_text(l)[1] for l in item.iter(f"{{{QTI}}}response_label")]
            correct = {labels[texts.index("True" if q.answer else "False")]}
        else:
            correct = {label for label, c in zip(labels, q.choices) if c.correct}
        chosen = response["response1"]
        return chosen == frozenset(correct) if q.type == "multiple_answers" else chosen in correct and len(correct) == 1
    if q.type == "numerical":
        v = _number(response["response1"]) if response["response1"] is not None else None
        return v is not None and abs(v - canvas.decimal(q.answer)) <= canvas.decimal(q.tolerance or 0)
    if q.type == "short_answer":
        v = response["response1"]
        return v is not None and v.lower() in {a.text.strip().lower() for a in q.answers}
    if q.type == "essay":
        return False
    if q.type == "cloze":
        # each blank's chosen label stands for "typed this text" (fill-in) or "picked this
        # option" (drop-down); the bank decides whether that text or option is right
        for part in q.parts:
            lid = item.find(f"q:presentation/q:response_lid[@ident='response_{part.name}']", NS)
            texts = {l.get("ident"): label_text(l)[1] for l in lid.iter(f"{{{QTI}}}response_label")}
            typed = texts.get(response[lid.get("ident")])
            if typed is None:
                return False
            if part.type == "numerical":
                if _number(typed) is None or abs(_number(typed) - canvas.decimal(part.answer)) > canvas.decimal(part.tolerance or 0):
                    return False
            elif part.type == "short_answer":
                if typed.lower() not in {a.text.strip().lower() for a in part.answers}:
                    return False
            elif typed not in {" ".join(c.text.split()) for c in part.choices if c.correct}:
                return False
        return True
    if q.type == "matching":
        lids = item.findall("q:presentation/q:response_lid", NS)
        for lid, pair in zip(lids, q.pairs, strict=True):
            texts = {l.get("ident"): label_text(l)[1] for l in lid.iter(f"{{{QTI}}}response_label")}
            if texts.get(response[lid.get("ident")]) != pair.right:
                return False
        return True
    raise AssertionError(q.type)


def assert_scores_match_keys(bank: Bank, data: bytes) -> None:
    _, assessment, _, _ = parts(data)
    by_ident = items(assessment)
    assert len(by_ident) == len(bank.questions)
    for q in bank.questions:
        item = by_ident[canvas.item_ident(q.id)]
        probes = probe_space(item)
        assert probes
        for r in probes:
            score = run(item, r)[0]
            assert (score == canvas.FULL) == key_accepts(q, item, r), (q.id, r, score)
        if q.type != "essay":
            assert full_marks(item), f"{q.id}: no response scores full marks"


# ---------------------------------------------------------------------------------------
# Canvas importer emulations (one per trap), over our QTI 1.2


CANVAS_QUESTION_LEVEL = re.compile(r"general_|_all|wrong|incorrect|correct|(_IC$)|(_C$)", re.IGNORECASE)


def nmtoken_fix(ident: str, prefix: str) -> str:
    """QTIMigrationTool `CheckNMTOKEN`/`ReadIdentifier`: a non-letter start gets a prefix."""
    return ident if re.match(r"[A-Za-z_]", ident) else prefix + ident  # NMSTART_CHARS: letters and _


def canvas_feedback_kind(ident: str) -> tuple[str, str | None]:
    """assessment_item_converter.rb `get_feedback`, on the ident after the tool's rewrite."""
    i = nmtoken_fix(ident, "FEEDBACK_")
    if re.search(r"wrong|incorrect|(_IC$)", i, re.IGNORECASE):
        return "incorrect", None
    if re.search(r"correct|(_C$)", i, re.IGNORECASE):
        return "correct", None
    if re.search("solution", i, re.IGNORECASE):
        return "solution", None
    if re.search(r"general_|_all", i, re.IGNORECASE):
        return "neutral", None
    m = re.search(r"feedback_(\d*)_fb", i, re.IGNORECASE)
    return ("answer", f"RESPONSE_{m.group(1)}") if m else ("ignored", None)


def canvas_choice_weights(item: etree._Element) -> dict[str, int]:
    """choice_interaction.rb `process_response_conditions`: every condition naming a choice
    sets its weight (so the last one wins), except that a condition whose `and` directly
    holds `varequal`s marks exactly those as correct."""
    weights = {l.get("ident"): 0 for l in item.iter(f"{{{QTI}}}response_label")}
    for cond in conditions(item):
        var = cond.find("q:conditionvar", NS)
        positive = any(Decimal(s.text) > 0 for s in cond.findall("q:setvar", NS))
        ands = [a for a in var.iter(f"{{{QTI}}}and") if a.find("q:varequal", NS) is not None]
        if ands:
            for a in ands:
                for v in a.findall("q:varequal", NS):
                    weights[v.text] = 100
            continue
        first = next(var.iter(f"{{{QTI}}}varequal"), None)
        if first is not None:
            weights[first.text] = 100 if positive else 0
    return weights


# ---------------------------------------------------------------------------------------
# Tests: package


def test_package_layout_is_what_canvas_reads() -> None:
    data, report = build(nasty_bank())
    assert report.errors == []
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        infos = zf.infolist()
    ident = canvas.assessment_ident("nasty")
    assert [i.filename for i in infos] == ["imsmanifest.xml", f"{ident}/{ident}.xml", f"{ident}/assessment_meta.xml"]
    for info in infos:
        assert info.date_time == (1980, 1, 1, 0, 0, 0)
        assert info.external_attr >> 16 == 0o100644 and info.create_system == 3
    manifest, assessment, meta, found = parts(data)
    assert found == ident
    # quiz_metadata_converter.rb: quiz_map key File.join(migration_id, "assessment_meta.xml"),
    # looked up from <file href> of resources whose type ends in learning-application-resource.
    hrefs = [f.get("href") for r in manifest.iterfind("cp:resources/cp:resource", NS)
             if r.get("type").endswith("learning-application-resource") for f in r.iterfind("cp:file", NS)]
    assert hrefs == [f"{ident}/assessment_meta.xml"]
    assert meta.tag == f"{{{canvas.CANVAS_NS}}}quiz" and meta.get("identifier") == ident
    assert meta.findtext("cv:title", namespaces=NS) == 'Nasty ‹bank› & "quotes"'
    assert meta.findtext("cv:points_possible", namespaces=NS) == "9.5"  # 7 × 1 + 2.5
    # converter.rb switches to its QTI 2 path on any QTI 2 namespace or schema in the manifest
    assert not any("imsqti_v2" in (ns or "") for ns in manifest.nsmap.values())


def test_assessment_and_manifest_validate_against_the_ims_schemas() -> None:
    for style in ("canvas_image", "mathjax"):
        data, _ = build(nasty_bank(), style)
        manifest, assessment, _, _ = parts(data)
        assert_valid(assessment, "qti/ims_qtiasiv1p2.xsd")
        assert_valid(manifest, "imscp/imscp_v1p1.xsd")


def test_schema_check_is_not_a_rubber_stamp() -> None:
    data, _ = build(nasty_bank())
    manifest, assessment, _, _ = parts(data)
    broken = copy.deepcopy(assessment)
    broken.find(".//q:resprocessing", NS).insert(0, etree.Element(f"{{{QTI}}}bogus"))
    assert not schema("qti/ims_qtiasiv1p2.xsd").validate(broken)
    broken = copy.deepcopy(manifest)
    del broken.find("cp:resources/cp:resource", NS).attrib["type"]
    assert not schema("imscp/imscp_v1p1.xsd").validate(broken)


def test_building_twice_gives_identical_bytes() -> None:
    bank = nasty_bank()
    first, _ = build(bank)
    assert build(bank)[0] == first
    assert build(copy.deepcopy(bank))[0] == first


def test_idents_are_stable_and_derived_from_question_ids() -> None:
    bank = nasty_bank()
    _, a1, _, _ = parts(build(bank)[0])
    shuffled = replace(bank, questions=tuple(reversed(bank.questions)))
    _, a2, _, _ = parts(build(shuffled)[0])
    i1, i2 = items(a1), items(a2)
    assert set(i1) == {canvas.item_ident(q.id) for q in bank.questions}
    assert canvas.item_ident("2nd-short") == "ID_2nd-short"  # what QTIMigrationTool's FixIdentifier keeps
    assert canvas.item_ident("essay.one") == "essay.one"
    for ident in i1:
        labels = lambda it: [l.get("ident") for l in it.iter(f"{{{QTI}}}response_label")]  # noqa: E731
        assert labels(i1[ident]) == labels(i2[ident])
        assert metadata(i1[ident]) == metadata(i2[ident])
    assert canvas.assessment_ident("quiz2-differentiation") == "QB_quiz2-differentiation"
    assert canvas.assessment_ident("a b") != canvas.assessment_ident("a_b")


def test_item_metadata() -> None:
    bank = nasty_bank()
    _, assessment, _, _ = parts(build(bank)[0])
    by_ident = items(assessment)
    for q in bank.questions:
        item = by_ident[canvas.item_ident(q.id)]
        md = metadata(item)
        assert list(md) == ["question_type", "points_possible", "original_answer_ids", "assessment_question_identifierref"]
        assert md["question_type"] == canvas.CANVAS_TYPES[q.type]
        assert Decimal(md["points_possible"]) == Decimal(repr(q.points))
        assert md["assessment_question_identifierref"] == item.get("ident")
        ids = md["original_answer_ids"].split(",") if md["original_answer_ids"] else []
        if q.type == "matching":
            assert ids == [lid.get("ident").removeprefix("response_") for lid in item.iterfind("q:presentation/q:response_lid", NS)]
        elif q.type in ("multiple_choice", "multiple_answers", "true_false"):
            assert ids == [l.get("ident") for l in item.iter(f"{{{QTI}}}response_label")]
        assert all(i.isdigit() for i in ids)


# ---------------------------------------------------------------------------------------
# Tests: scoring


def test_full_marks_recomputed_from_respconditions_match_the_keys() -> None:
    bank = nasty_bank()
    for style in ("canvas_image", "mathjax"):
        assert_scores_match_keys(bank, build(bank, style)[0])


def test_the_scoring_check_catches_a_wrong_key() -> None:
    bank = nasty_bank()
    data, _ = build(bank)
    _, assessment, _, _ = parts(data)
    item = items(assessment)["mc-nasty"]
    scoring = next(c for c in conditions(item) if c.find("q:setvar", NS) is not None)
    wrong = next(l.get("ident") for l in item.iter(f"{{{QTI}}}response_label") if l.get("ident") != scoring.findtext(".//q:varequal", namespaces=NS))
    scoring.find(".//q:varequal", NS).text = wrong
    q = bank.questions[0]
    assert any((run(item, r)[0] == canvas.FULL) != key_accepts(q, item, r) for r in probe_space(item))


def test_feedback_shown_by_the_respconditions() -> None:
    data, _ = build(nasty_bank())
    _, assessment, _, _ = parts(data)
    item = items(assessment)["mc-nasty"]
    labels = [l.get("ident") for l in item.iter(f"{{{QTI}}}response_label")]
    score, shown = run(item, {"response1": labels[1]})
    assert score == 100 and shown == ["general_fb", f"{labels[1]}_fb", "correct_fb"]
    score, shown = run(item, {"response1": labels[0]})
    assert score == 0 and shown == ["general_fb", f"{labels[0]}_fb", "general_incorrect_fb"]
    score, shown = run(item, {"response1": labels[2]})
    assert score == 0 and shown == ["general_fb", "general_incorrect_fb"]
    fb = {f.get("ident"): f for f in item.iterfind("q:itemfeedback", NS)}
    assert set(fb) == {"general_fb", "correct_fb", "general_incorrect_fb", f"{labels[0]}_fb", f"{labels[1]}_fb"}
    assert label_text(fb["correct_fb"].find("q:flow_mat", NS)) == ("text/html", '<p dir="auto">Well done ]]&gt;</p>')
    assert label_text(fb[f"{labels[1]}_fb"].find("q:flow_mat", NS)) == ("text/plain", "Yes, the correct one also has feedback.")


def canvas_stored_answer_feedback(texttype: str, content: str) -> tuple[str, str, str]:
    """What Canvas keeps of a per-answer feedback (`attach_feedback_values` → `detect_html`
    on the bare div.text / div.html QTIMigrationTool wraps the material in), as
    (stored as "html" or "text", stored value, what the author meant the reader to see).
    Text is stored as the sanitized fragment, i.e. escaped, and shown escaped again."""
    if texttype == "text/plain":
        return "text", html.escape(content, quote=False), content
    frag = lxml_html.fragment_fromstring(content, create_parent="div")
    node = frag
    while len(node) == 1 and not (node.text or "").strip() and not (node[0].tail or "").strip() \
            and node[0].tag in ("p", "div", "span") and not node[0].attrib:
        node = node[0]  # remove_extraneous_nodes: unwrap attribute-less containers
    if len(node) == 0:
        return "text", html.escape(node.text or "", quote=False), node.text or ""
    return "html", content, content


def test_trap_per_answer_feedback_reaches_students_unescaped() -> None:
    for style in ("canvas_image", "mathjax"):
        bank = nasty_bank()
        _, assessment, _, _ = parts(build(bank, style)[0])
        checked = 0
        for item in items(assessment).values():
            for fb in item.iterfind("q:itemfeedback", NS):
                if canvas_feedback_kind(fb.get("ident"))[0] != "answer":
                    continue
                stored_as, value, meant = canvas_stored_answer_feedback(*label_text(fb.find("q:flow_mat", NS)))
                assert value == meant, (fb.get("ident"), stored_as, value)
                checked += 1
        assert checked == 6
    # the emulation does catch the trap: a lone paragraph with "<" sent as HTML is mangled
    assert canvas_stored_answer_feedback("text/html", "<p>x &lt; y</p>") == ("text", "x &lt; y", "x < y")
    assert canvas_stored_answer_feedback("text/plain", "x < y") == ("text", "x &lt; y", "x < y")


# ---------------------------------------------------------------------------------------
# Tests: Canvas importer traps


def test_trap_last_condition_naming_a_choice_sets_its_weight() -> None:
    bank = nasty_bank()
    _, assessment, _, _ = parts(build(bank)[0])
    by_ident = items(assessment)
    for q in bank.questions:
        if q.type not in ("multiple_choice", "multiple_answers", "true_false"):
            continue
        item = by_ident[canvas.item_ident(q.id)]
        labels = [l.get("ident") for l in item.iter(f"{{{QTI}}}response_label")]
        if q.type == "true_false":
            expected = {labels[0]: 100 if q.answer else 0, labels[1]: 0 if q.answer else 100}
        else:
            expected = {label: 100 if c.correct else 0 for label, c in zip(labels, q.choices)}
        assert canvas_choice_weights(item) == expected, q.id
        # and structurally: no condition naming a choice comes after the scoring one
        conds = conditions(item)
        scoring = max(i for i, c in enumerate(conds) if c.find("q:setvar", NS) is not None)
        assert all(c.find(".//q:varequal", NS) is None for c in conds[scoring + 1:])


def test_trap_emulation_catches_feedback_after_scoring() -> None:
    """Moving the correct choice's feedback condition after the scoring one erases the key in
    Canvas: the emulation must see that, or the test above proves nothing."""
    _, assessment, _, _ = parts(build(nasty_bank())[0])
    item = items(assessment)["mc-nasty"]
    rp = item.find("q:resprocessing", NS)
    scoring = next(c for c in conditions(item) if c.find("q:setvar", NS) is not None)
    correct = scoring.findtext(".//q:varequal", namespaces=NS)
    feedback = next(c for c in conditions(item) if c is not scoring and c.findtext(".//q:varequal", namespaces=NS) == correct)
    assert canvas_choice_weights(item)[correct] == 100
    rp.remove(feedback)
    rp.insert(list(rp).index(scoring) + 1, feedback)
    assert canvas_choice_weights(item)[correct] == 0


def test_trap_feedback_idents_are_filed_where_intended() -> None:
    _, assessment, _, _ = parts(build(nasty_bank())[0])
    for item in items(assessment).values():
        labels = {nmtoken_fix(l.get("ident"), "RESPONSE_") for l in item.iter(f"{{{QTI}}}response_label")}
        # per-answer feedback: which label its condition names
        named = {c.find("q:displayfeedback", NS).get("linkrefid"): c.findtext(".//q:varequal", namespaces=NS)
                 for c in conditions(item) if c.find("q:displayfeedback", NS) is not None}
        for fb in item.iterfind("q:itemfeedback", NS):
            ident = fb.get("ident")
            kind, target = canvas_feedback_kind(ident)
            if ident == "general_fb":
                assert kind == "neutral"
            elif ident == "correct_fb":
                assert kind == "correct"
            elif ident == "general_incorrect_fb":
                assert kind == "incorrect"
            else:
                assert not CANVAS_QUESTION_LEVEL.search(ident), ident
                assert not CANVAS_QUESTION_LEVEL.search(nmtoken_fix(ident, "FEEDBACK_")), ident
                if item.find("q:presentation/q:response_lid", NS) is not None:
                    assert kind == "answer" and target in labels, ident
                    assert nmtoken_fix(named[ident], "RESPONSE_") == target
    assert canvas_feedback_kind("answer_correct_fb")[0] == "correct"  # the misfiling the rule avoids


def test_trap_multiple_answers_structure() -> None:
    bank = nasty_bank()
    _, assessment, _, _ = parts(build(bank)[0])
    q = next(q for q in bank.questions if q.type == "multiple_answers")
    item = items(assessment)[q.id]
    lid = item.find("q:presentation/q:response_lid", NS)
    assert lid.get("rcardinality") == "Multiple"
    labels = [l.get("ident") for l in lid.iter(f"{{{QTI}}}response_label")]
    scoring = [c for c in conditions(item) if c.find("q:setvar", NS) is not None]
    assert len(scoring) == 1
    (both,) = scoring[0].find("q:conditionvar", NS)
    assert local(both) == "and"
    correct = [v.text for v in both.findall("q:varequal", NS)]
    wrong = [n.findtext("q:varequal", namespaces=NS) for n in both.findall("q:not", NS)]
    assert len(both) == len(labels) and sorted(correct + wrong) == sorted(labels)
    assert correct == [label for label, c in zip(labels, q.choices) if c.correct]


def test_trap_numerical_structure() -> None:
    bank = nasty_bank()
    _, assessment, _, _ = parts(build(bank)[0])
    for q in (q for q in bank.questions if q.type == "numerical"):
        item = items(assessment)[q.id]
        rs = item.find("q:presentation/q:response_str", NS)
        assert rs is not None and rs.find("q:render_fib", NS).get("fibtype") == "Decimal"
        assert item.find(".//q:vargt", NS) is None  # numeric_interaction.rb's precision guess needs vargt
        (scoring,) = [c for c in conditions(item) if c.find("q:setvar", NS) is not None]
        (either,) = scoring.find("q:conditionvar", NS)
        assert local(either) == "or"
        exact_node, within = list(either)
        assert (local(exact_node), local(within)) == ("varequal", "and")
        lower, upper = Decimal(within.findtext("q:vargte", namespaces=NS)), Decimal(within.findtext("q:varlte", namespaces=NS))
        exact = Decimal(exact_node.text)
        # numeric_interaction.rb: exact from the stringMatch, margin = varlte − exact
        assert exact == canvas.decimal(q.answer) and upper - exact == canvas.decimal(q.tolerance or 0)
        assert exact - lower == upper - exact
        assert "e" not in exact_node.text.lower()


def test_trap_short_answer_names_only_accepted_answers() -> None:
    """extended_text_interaction.rb accepts every stringMatch of every condition."""
    bank = nasty_bank()
    _, assessment, _, _ = parts(build(bank)[0])
    q = next(q for q in bank.questions if q.type == "short_answer")
    item = items(assessment)[canvas.item_ident(q.id)]
    named = {v.text for v in item.iter(f"{{{QTI}}}varequal")}
    assert named == {a.text for a in q.answers}


def test_trap_matching_structure() -> None:
    bank = nasty_bank()
    _, assessment, _, _ = parts(build(bank)[0])
    q = next(q for q in bank.questions if q.type == "matching")
    item = items(assessment)[q.id]
    lids = item.findall("q:presentation/q:response_lid", NS)
    options = [[(l.get("ident"), label_text(l)) for l in lid.iter(f"{{{QTI}}}response_label")] for lid in lids]
    assert all(o == options[0] for o in options)  # the importer reads the options of the first only
    texts = [text for _, (kind, text) in options[0]]
    assert all(kind == "text/plain" for _, (kind, _) in options[0])
    # prompts are plain text too: Canvas reads a response_lid's material as one text node
    prompts = [lid.find("q:material/q:mattext", NS) for lid in lids]
    assert [(p.get("texttype"), p.text) for p in prompts] == [
        ("text/plain", "\\(\\sin x\\)"), ("text/plain", "a < b"), ("text/plain", "\\(e^x\\)")
    ]
    assert texts == ["cos x", "a < b & c", "e^x", "-cos x"]  # repeated "e^x" distractor listed once
    digits = [re.search(r"\d+", ident).group() for ident, _ in options[0]]
    assert len(set(digits)) == len(digits)  # Canvas's match id is the first run of digits
    adds = [c for c in conditions(item) if (s := c.find("q:setvar", NS)) is not None and s.get("action") == "Add"]
    assert len(adds) == len(q.pairs) and sum(Decimal(c.findtext("q:setvar", namespaces=NS)) for c in adds) == 100


def test_plain_text_material_for_single_text_fragments() -> None:
    """html_helper.rb `detect_html` stores a lone text paragraph as escaped text, so
    `a &lt; b` would reach students literally; such fragments go out as text/plain."""
    _, assessment, _, _ = parts(build(nasty_bank())[0])
    item = items(assessment)["mc-nasty"]
    first = next(item.iter(f"{{{QTI}}}response_label"))
    assert label_text(first) == ("text/plain", "a < b & c")
    second = list(item.iter(f"{{{QTI}}}response_label"))[1]
    assert label_text(second)[0] == "text/html" and "equation_image" in label_text(second)[1]


# ---------------------------------------------------------------------------------------
# Tests: text and math


def question_html(item: etree._Element) -> str:
    return item.findtext("q:presentation/q:material/q:mattext", namespaces=NS)


def test_nasty_text_survives() -> None:
    _, assessment, _, _ = parts(build(nasty_bank(), "mathjax")[0])
    text = question_html(items(assessment)["mc-nasty"])
    assert "a&lt;b &amp; c&gt;d then ]]&gt; stays; ~ = # { } : \\ backslash, naïve Ünïcödé" in text
    assert "\\(x_1 \\neq x_2\\)" in text and "<em>here</em>" in text and text.count("<em>") == 1
    plain = html.unescape(re.sub(r"<[^>]+>", "", text))
    assert plain.startswith("If a<b & c>d then ]]> stays;")
    assert items(assessment)["mc-nasty"].get("title") == "MC ‹nasty› & co"


def test_math_styles() -> None:
    assert canvas.Options().math_style == "canvas_image"
    _, default, _, _ = parts(build(nasty_bank())[0])
    _, mathjax, _, _ = parts(build(nasty_bank(), "mathjax")[0])
    t_image = question_html(items(default)["mc-nasty"])
    t_jax = question_html(items(mathjax)["mc-nasty"])
    assert 'class="equation_image"' in t_image and "\\(" not in t_image
    assert "equation_image" not in t_jax and "\\(x_1 \\neq x_2\\)" in t_jax
    src = re.search(r'src="([^"]+)"', t_image).group(1)
    assert unquote(unquote(src.removeprefix("/equation_images/"))) == "x_1 \\neq x_2"


def test_equation_image_is_what_canvas_builds_and_reads() -> None:
    # packages/canvas-rce: src = "/equation_images/" + encodeURIComponent(encodeURIComponent(latex));
    # Canvas's own RCE test uses the src …/equation_images/%255Csqrt%257Bx%257D for \sqrt{x}.
    img = canvas_equation_image("\\sqrt{x}", False)
    assert 'src="/equation_images/%255Csqrt%257Bx%257D"' in img
    # encodeURIComponent leaves ( ) ! * ' alone; so must we, to be byte-identical to the editor
    assert 'src="/equation_images/(a)!*%2520b"' in canvas_equation_image("(a)!* b", False)
    tex = "a < b & \"c\" + 50%"
    img = canvas_equation_image(tex, False)
    el = etree.fromstring(img)
    assert el.get("class") == "equation_image" and el.get("data-equation-content") == tex
    assert el.get("alt") == f"LaTeX: {tex}" and el.get("title") == tex
    # mathml.js getImageEquationText: decodeURIComponent twice of the path after /equation_images/
    assert unquote(unquote(el.get("src").split("/equation_images/")[1])) == tex
    block = canvas_equation_image("x", True)
    assert block.startswith("<span") and "display:block" in block  # safe inside a paragraph


# ---------------------------------------------------------------------------------------
# Tests: diagnostics


def test_tiny_numerical_answer_warns_at_the_answer() -> None:
    bank = nasty_bank()
    tiny = Question(id="tiny", type="numerical", text="Small?", loc=loc(80), answer=5e-5,
                    answer_loc=loc(81), tolerance=1e-6)
    ok = [Question(id=f"ok{i}", type="numerical", text="?", loc=loc(90 + i), answer=a, answer_loc=loc(95 + i),
                   tolerance=0.0) for i, a in enumerate((1e-4, 0.0, -0.5))]
    data, report = build(replace(bank, questions=(tiny, *ok)))
    tiny_warnings = [d for d in report.items if d.code == canvas.W_TINY_NUMBER]
    assert len(tiny_warnings) == 1
    (w,) = tiny_warnings
    assert w.severity == "warning" and w.loc == loc(81) and "1e-4" in w.message
    assert str(w).startswith("bank/nasty.yaml:81:3: C201 warning: ")
    assert report.errors == []
    _, assessment, _, _ = parts(data)
    assert "0.00005" in {v.text for v in items(assessment)["tiny"].iter(f"{{{QTI}}}varequal")}


def test_what_canvas_cannot_show_is_reported() -> None:
    _, report = build(nasty_bank())
    codes = sorted((d.code, d.loc.line, d.severity) for d in report.items)
    assert codes == sorted([
        (canvas.W_PARTIAL_FEEDBACK, 10, "warning"),   # multiple answers: feedback.partial
        (canvas.W_ESSAY_FEEDBACK, 50, "warning"),     # essay: feedback.correct
        (canvas.W_MATCH_PLAIN, 61, "warning"),        # prompt $\sin x$: no equation image possible
        (canvas.W_MATCH_PLAIN, 62, "warning"),        # prompt "a < b": Canvas would show &lt;
        (canvas.W_MATCH_PLAIN, 63, "warning"),        # prompt $e^x$
        (canvas.W_MATCH_DUPLICATE, 60, "warning"),    # distractor "e^x" is also an answer
    ])
    _, report = build(nasty_bank(), "mathjax")
    assert [(d.code, d.loc.line) for d in report.items if d.code == canvas.W_MATCH_PLAIN] == [(canvas.W_MATCH_PLAIN, 62)]


def test_matching_answers_with_formatting_or_math_are_reported() -> None:
    bank = nasty_bank()
    q = replace(bank.questions[-1], pairs=(Pair("a", "*bold*", loc(70)), Pair("b", "$x^2$", loc(71))), distractors=())
    data, report = build(replace(bank, questions=(q,)))
    assert [(d.code, d.loc.line) for d in report.items] == [(canvas.W_MATCH_PLAIN, 70), (canvas.W_MATCH_PLAIN, 71)]
    _, assessment, _, _ = parts(data)
    texts = [label_text(l)[1] for l in next(items(assessment)[q.id].iter(f"{{{QTI}}}response_lid")).iter(f"{{{QTI}}}response_label")]
    assert texts == ["bold", "\\(x^2\\)"]
    # with the mathjax style, \(…\) text is the intended rendering: only the lost bold is reported
    assert [(d.code, d.loc.line) for d in build(replace(bank, questions=(q,)), "mathjax")[1].items] == [
        (canvas.W_MATCH_PLAIN, 70)
    ]


@pytest.mark.parametrize(
    "change",
    [
        lambda q: replace(q, choices=tuple(replace(c, correct=True) for c in q.choices)),
        lambda q: replace(q, choices=tuple(replace(c, correct=False) for c in q.choices)),
    ],
)
def test_a_key_canvas_would_change_is_an_error(change: Callable[[Question], Question]) -> None:
    bank = nasty_bank()
    data, report = build(replace(bank, questions=(change(bank.questions[0]),)))
    assert [(d.code, d.severity, d.loc) for d in report.errors] == [(canvas.E_KEY, "error", loc(1))]
    manifest, assessment, _, _ = parts(data)
    assert_valid(assessment, "qti/ims_qtiasiv1p2.xsd")


def test_question_text_over_canvas_limit_is_an_error() -> None:
    bank = nasty_bank()
    long = replace(bank.questions[2], text="$x$ " * 2000)
    _, report = build(replace(bank, questions=(long,)))
    assert [d.code for d in report.errors] == [canvas.E_TEXT_TOO_LONG]
    assert build(replace(bank, questions=(long,)), "mathjax")[1].errors == []


# ---------------------------------------------------------------------------------------
# The seed bank


def test_seed_bank() -> None:
    load = pytest.importorskip("exporter.load")
    root = Path(__file__).parents[1]
    seed = root / "bank" / "quiz2-differentiation.yaml"
    if not seed.is_file():
        pytest.skip("seed bank not present")
    banks, diagnostics = load.load_banks([str(seed)])
    assert [d for d in diagnostics if d.severity == "error"] == []
    (bank,) = banks
    data, report = build(bank)
    assert report.errors == []
    manifest, assessment, _, _ = parts(data)
    assert_valid(assessment, "qti/ims_qtiasiv1p2.xsd")
    assert_valid(manifest, "imscp/imscp_v1p1.xsd")
    assert_scores_match_keys(bank, data)
    assert build(bank)[0] == data
    by_ident = items(assessment)
    for q in bank.questions:
        if q.type in ("multiple_choice", "multiple_answers"):
            item = by_ident[canvas.item_ident(q.id)]
            labels = [l.get("ident") for l in item.iter(f"{{{QTI}}}response_label")]
            assert canvas_choice_weights(item) == {lb: 100 if c.correct else 0 for lb, c in zip(labels, q.choices)}


def test_statistics_bank_keys_read_back_from_the_committed_export() -> None:
    """dist/canvas/statistics-basics.zip: the options Canvas gives full marks, and the
    numbers it accepts, are what sympy recomputes."""
    from recomputed_keys import ROOT, numerical_answer_is_right, option_is_right, statistics_bank

    bank = statistics_bank()
    committed = (ROOT / "dist" / "canvas" / "statistics-basics.zip").read_bytes()
    assert committed == build(bank)[0]  # dist/ is up to date
    manifest, assessment, _, _ = parts(committed)
    assert_valid(assessment, "qti/ims_qtiasiv1p2.xsd")
    assert_scores_match_keys(bank, committed)
    by_ident = items(assessment)
    for q in bank.questions:
        item = by_ident[canvas.item_ident(q.id)]
        if q.type == "numerical":
            bounds = {n.tag.split("}")[1]: Decimal(n.text) for n in item.iter(f"{{{QTI}}}vargte", f"{{{QTI}}}varlte")}
            assert bounds, q.id
            low, high = bounds["vargte"], bounds["varlte"]
            middle, half = float((low + high) / 2), float((high - low) / 2)
            assert numerical_answer_is_right(q, middle, half), q.id
            assert run(item, {"response1": str(middle)})[0] == canvas.FULL
            continue
        labels = [l.get("ident") for l in item.iter(f"{{{QTI}}}response_label")]
        weights = canvas_choice_weights(item)
        for index, label in enumerate(labels):
            assert (weights[label] == 100) == option_is_right(q, index), (q.id, index)
