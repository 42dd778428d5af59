"""The one number formatter: every number a target or a message shows goes through here.

Its own module, without the Markdown machinery of `text`, so the checker and the variant
expander (which must not pay for markdown-it) share it with the writers.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction


def decimal_text(number: float | Fraction | Decimal, digits: int | None = None) -> str:
    """A number as plain positional decimal text: 0.064 → '0.064', 2.0 → '2', 1e-07 →
    '0.0000001'; with `digits`, rounded half away from zero to exactly that many decimals
    (`digits=2`: 1890.88987 → '1890.89', 12.5 → '12.50').

    Every target parses numbers differently (Moodle's is_numeric and locale-free floatval,
    Canvas's to_f and BigDecimal, gift-pegjs's grammar), and the one form all of them read
    as the same double is this: repr()'s shortest round-tripping digits, written out
    without exponent, thousands separator or trailing zeros. `digits` is for numbers a
    student reads (a currency, a rounded key): one formatter for every displayed number.
    A Decimal is written exactly as it is (no float round trip).
    """
    if digits is not None:
        if isinstance(number, Fraction):
            with localcontext() as ctx:
                ctx.prec = 400
                exact = Decimal(number.numerator) / Decimal(number.denominator)
        else:
            exact = number if isinstance(number, Decimal) else Decimal(repr(float(number)))
        with localcontext() as ctx:
            ctx.prec = 400
            text = format(exact.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP), "f")
        return text[1:] if text.startswith("-") and not text.strip("-0.") else text
    # A Decimal is exact already (Canvas's score arithmetic, variant values); anything
    # else is written as the double it is.
    exact = number if isinstance(number, Decimal) else Decimal(repr(float(number)))
    text = format(exact, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text
