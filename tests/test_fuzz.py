"""Issue 13: random bytes, random YAML and random expressions through the real command.

Whatever a bank file holds, `qbank check` ends with exit 1 or 2 and at least one located
finding (`path:line:col: CODE …`), never a traceback, within the time and memory bounds it
promises. Each property runs for a bounded number of examples so CI stays fast; the
generators lean towards what breaks parsers (control characters, deep nesting, aliases,
huge numbers, unusual Unicode) rather than uniform noise.

CI runs a fixed (derandomized) sample in a few seconds per property. To hunt for new
failures, run with fresh random examples: `QBANK_FUZZ_EXAMPLES=2000 pytest tests/test_fuzz.py`.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import tempfile
import warnings
from pathlib import Path

import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from exporter.cli import main

LOCATED = re.compile(r"^bank/b\.yaml:\d+:\d+: [A-Z]\d{3} ", re.M)
HUNT = int(os.environ.get("QBANK_FUZZ_EXAMPLES", "0"))


def bounded(examples: int) -> settings:
    return settings(deadline=None, max_examples=HUNT or examples, derandomize=not HUNT, database=None,
                    suppress_health_check=[HealthCheck.too_slow])


FAST = bounded(60)
SLOW = bounded(25)


def run_check(data: bytes, *extra: str) -> tuple[int, str]:
    """`qbank check` on one bank file holding `data`, in this process (so a traceback fails
    the test with its stack), with the cache off and tight bounds."""
    with tempfile.TemporaryDirectory() as tmp, contextlib.chdir(tmp):
        (Path(tmp) / "bank").mkdir()
        (Path(tmp) / "bank" / "b.yaml").write_bytes(data)
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()), \
                warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            code = main(["check", "-j", "1", "--no-cache", "--timeout", "3", "--memory", "500", *extra])
        # a warning would be printed to stderr as a line that is not a finding
        assert not caught, [str(w.message) for w in caught]
        return code, err.getvalue()


def assert_located(code: int, err: str) -> None:
    assert code in (1, 2), err
    assert LOCATED.search(err), err
    for line in err.splitlines():
        assert LOCATED.match(line) or line.startswith("qbank"), line  # one line per finding


NASTY = st.sampled_from(["\0", "\x01", "\x1b", "\ufeff", "\ufffe", "\u2028", "ｘ", "π", "\t", "\r", "&a ", "*a", "!!python/object:os.system ",
                         "[" * 50, "{", "}", ":", "- ", "? ", "'", '"', "\\", "9" * 5000, ".nan", ".inf", "<<: ", "%YAML 1.1\n",
                         "---\n", "...\n", "#", "$\\frac{1}{2}$", "{{s}}", "\n  ", "\n    "])
TEXT = st.lists(st.one_of(NASTY, st.text(max_size=8)), max_size=40).map("".join)


@FAST
@given(st.binary(max_size=300))
def test_random_bytes(data: bytes) -> None:
    assert_located(*run_check(data))


@FAST
@given(TEXT)
def test_random_text_with_yaml_and_unicode_hazards(text: str) -> None:
    assert_located(*run_check(text.encode("utf-8", "surrogatepass")))


JSONISH = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), TEXT),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(
        ["title", "questions", "id", "type", "text", "points", "choices", "correct", "value", "check", "quantity",
         "symbols", "given", "manual", "answer", "tolerance", "parameters", "values", "derived", "count", "seed"]),
        inner, max_size=5)),
    max_leaves=25,
)


@FAST
@given(JSONISH)
def test_random_yaml_documents(data: object) -> None:
    text = yaml.safe_dump(data, allow_unicode=True)
    code, err = run_check(text.encode("utf-8", "surrogatepass"))
    assert_located(code, err)


TOKENS = st.sampled_from(["x", "y", "f", "sqrt", "exp", "log", "sin", "diff", "abs", "W", "(", ")", "[", "]", ",", "+",
                          "-", "*", "/", "**", "==", "<", "and", "not", "1", "0", "2.5", "1e308", "10**1000", "9" * 80,
                          "__import__", ".", "lambda", ":", "'", "oo", "I", " ", "\n", "ｘ", "x[1]", "W[2,3]", "1/0"])
EXPRESSION = st.lists(TOKENS, min_size=1, max_size=30).map("".join)


def numerical_bank(quantity: str, given: str) -> bytes:
    return (
        "title: Fuzz\nquestions:\n  - id: q\n    type: numerical\n    text: What?\n    answer: 0.123456789\n"
        "    tolerance: 0\n    check:\n      symbols: [x, y, 'W[2,3]']\n      functions: [f]\n"
        f"      given: {{y: {yaml.safe_dump(given, default_style=chr(34)).strip()}}}\n"
        f"      quantity: {yaml.safe_dump(quantity, default_style=chr(34)).strip()}\n"
    ).encode("utf-8", "surrogatepass")


@SLOW
@given(EXPRESSION, EXPRESSION)
@example("1and x", "0x1for")  # Python parses these with a SyntaxWarning on stderr
def test_random_check_expressions(quantity: str, given_y: str) -> None:
    assert_located(*run_check(numerical_bank(quantity, given_y)))


LEAF = st.sampled_from(["x", "y", "W[1,2]", "W", "1", "0", "-1", "2.5", "0.1", "1e-300", "1e300", "oo", "pi", "E", "f(x)",
                        "9" * 60])
STRUCTURED = st.recursive(
    LEAF,
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "**", "==", "<", ">=", " and ", " or "]), inner)
        .map(lambda t: f"({t[0]}{t[1]}{t[2]})"),
        st.tuples(st.sampled_from(["sqrt", "exp", "log", "sin", "tanh", "abs", "diff", "sigmoid", "f", "-", "not "]), inner)
        .map(lambda t: f"{t[0]}({t[1]})" if t[0] not in ("-", "not ") else f"{t[0]}{t[1]}"),
        st.tuples(inner, inner).map(lambda t: f"diff({t[0]}, x)"),
    ),
    max_leaves=12,
)


@SLOW
@given(STRUCTURED, STRUCTURED)
def test_random_well_formed_expressions(quantity: str, given_y: str) -> None:
    code, err = run_check(numerical_bank(quantity, given_y))
    assert code == 1 and LOCATED.search(err), err  # 0.123456789 is never the key
