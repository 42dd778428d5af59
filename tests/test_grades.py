"""The grade policy shared by the Moodle XML and GIFT writers (exporter/writers/moodle_grades.py).

What must hold, because Moodle's importer refuses the whole file otherwise: every grade we
format is one `match_grade_options()` accepts (within 1e-5 of a `fraction_options_full()`
entry), and the multiple-answers weights give exactly 100 % for the correct set and 0 %
for every box, for every bank shape up to 10 correct and 10 incorrect options.
"""

from __future__ import annotations

from fractions import Fraction

import pytest

from exporter.writers.moodle_grades import (
    EXPRESSIBLE_COUNTS,
    MATCH_TOLERANCE,
    MOODLE_FRACTIONS,
    GradeError,
    is_moodle_fraction,
    moodle_match,
    multiple_answers_weights,
    percent,
)

# question_bank::ensure_fraction_options_initialised() (question/engine/bank.php), as the
# 7-decimal strings Moodle keys its list by. Kept as text here, independent of the module's
# own table, so a typo there cannot agree with itself.
MOODLE_RAW = (
    "0.9000000 0.8333333 0.8000000 0.7500000 0.7000000 0.6666667 0.6000000 0.5000000 "
    "0.4000000 0.3333333 0.3000000 0.2500000 0.2000000 0.1666667 0.1428571 0.1250000 "
    "0.1111111 0.1000000 0.0500000"
).split()
MOODLE_KEYS = sorted({0.0, 1.0, -1.0} | {float(v) for v in MOODLE_RAW} | {-float(v) for v in MOODLE_RAW})


def importer_accepts(percent_text: str) -> bool:
    """question/format.php: fraction = percent / 100, then match_grade_options(…, 'error')."""
    value = float(percent_text) / 100
    return any(abs(value - key) < 0.00001 for key in MOODLE_KEYS)


def importer_value(percent_text: str) -> float:
    """The list value Moodle stores for an accepted grade (match_grade_options returns it)."""
    value = float(percent_text) / 100
    (key,) = [k for k in MOODLE_KEYS if abs(value - k) < 0.00001]
    return key


def test_list_matches_moodle_source():
    assert len(MOODLE_FRACTIONS) == len(MOODLE_KEYS) == 41
    assert sorted(float(round(f, 7)) for f in MOODLE_FRACTIONS) == MOODLE_KEYS
    assert MATCH_TOLERANCE == 1e-5


@pytest.mark.parametrize("fraction", MOODLE_FRACTIONS, ids=str)
def test_every_listed_grade_is_formatted_so_moodle_accepts_it(fraction):
    text = percent(fraction)
    assert importer_accepts(text)
    assert importer_value(text) == float(round(fraction, 7))
    assert moodle_match(float(text) / 100) == importer_value(text)
    assert "," not in text and "e" not in text.lower()


def test_percent_examples():
    assert percent(Fraction(1, 3)) == "33.33333"
    assert percent(Fraction(2, 3)) == "66.66667"
    assert percent(Fraction(1, 7)) == "14.28571"
    assert percent(Fraction(-1, 9)) == "-11.11111"
    assert percent(Fraction(1, 8)) == "12.5"
    assert percent(1) == "100"
    assert percent(0) == "0"
    assert percent(Fraction(-1, 2)) == "-50"


def test_two_decimals_would_be_refused():
    # The trap the module exists for: 33.33 is 3.3e-5 away from 1/3 on the fraction scale.
    assert not importer_accepts("33.33")
    assert moodle_match(0.3333) is None
    assert importer_accepts(percent(Fraction(1, 3)))


@pytest.mark.parametrize("weight", [Fraction(1, 11), Fraction(2, 7), Fraction(3, 8), Fraction(-1, 12), Fraction(3, 2)])
def test_percent_refuses_grades_outside_the_list(weight):
    with pytest.raises(GradeError) as info:
        percent(weight)
    assert str(weight) in str(info.value)
    assert not is_moodle_fraction(weight)


def test_floats_are_refused():
    with pytest.raises(TypeError):
        percent(1 / 3)  # type: ignore[arg-type]


@pytest.mark.parametrize("n_correct", [*range(1, 11), 20])
@pytest.mark.parametrize("n_incorrect", [*range(0, 11), 20])
def test_multiple_answers_policy(n_correct, n_incorrect):
    w_c, w_i = multiple_answers_weights(n_correct, n_incorrect)
    # Exact: the correct set is 100 %, every box 0 %, each weight a Moodle grade in [-1, 1].
    assert n_correct * w_c == 1
    assert -1 <= w_i <= 0 < w_c <= 1
    if n_incorrect:
        assert n_correct * w_c + n_incorrect * w_i == 0
    else:
        assert w_i == 0
    assert w_c in MOODLE_FRACTIONS and w_i in MOODLE_FRACTIONS

    # As Moodle grades it: the stored 7-decimal values, summed over the ticked boxes and
    # clamped to [0, 1] (qtype_multichoice_multi_question::grade_response), then judged by
    # question_state::graded_state_for_fraction (correct above 0.999999, wrong below 1e-6).
    c, i = importer_value(percent(w_c)), importer_value(percent(w_i))

    def grade(k_c: int, k_i: int) -> float:
        return min(max(0.0, k_c * c + k_i * i), 1.0)

    assert grade(n_correct, 0) > 0.999999
    assert grade(n_correct, n_incorrect) < 0.000001 or n_incorrect == 0
    # Weights are uniform, so a response's grade depends only on how many correct and
    # incorrect boxes it ticks: checking every (k_c, k_i) covers every subset of boxes.
    full = {(k_c, k_i) for k_c in range(n_correct + 1) for k_i in range(n_incorrect + 1) if grade(k_c, k_i) > 0.999999}
    assert full == {(n_correct, 0)}


@pytest.mark.parametrize("n_correct, n_incorrect", [(11, 0), (11, 3), (2, 11), (12, 20), (19, 1)])
def test_too_many_options_is_a_clear_error(n_correct, n_incorrect):
    with pytest.raises(GradeError) as info:
        multiple_answers_weights(n_correct, n_incorrect)
    message = str(info.value)
    assert "at most 10" in message


def test_expressible_counts_are_one_to_ten_and_twenty():
    assert EXPRESSIBLE_COUNTS == (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 20)
    w_c, w_i = multiple_answers_weights(20, 20)
    assert (percent(w_c), percent(w_i)) == ("5", "-5")


def test_no_correct_option_is_an_error():
    with pytest.raises(GradeError, match="at least one correct"):
        multiple_answers_weights(0, 3)
