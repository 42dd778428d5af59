"""The shared text layer: Markdown → HTML with math left exactly as the author wrote it."""

from __future__ import annotations

import html
import re
from urllib.parse import unquote

from exporter.text import plain_text, to_html


def test_subscripts_inside_math_are_not_emphasis() -> None:
    out = to_html("Let $x_1 + x_2$ and $a_i b_i$ be *real*.")
    assert "<em>real</em>" in out
    assert out.count("<em>") == 1
    assert r"\(x_1 + x_2\)" in out


def test_display_math_block_and_inline_double_dollars() -> None:
    out = to_html("Then\n\n$$\\frac{a}{b} = 0$$\n\nand $$c$$ inline.")
    assert r"\[\frac{a}{b} = 0\]" in out
    assert r"\[c\]" in out


def test_special_characters_survive_in_text_and_math() -> None:
    src = "If a<b & c>d then ]]> stays; math $x < y \\& z$."
    out = to_html(src)
    assert "a&lt;b &amp; c&gt;d" in out and "]]&gt;" in out
    assert r"\(x &lt; y \&amp; z\)" in out
    assert html.unescape(re.sub(r"<[^>]+>", "", out)) == "If a<b & c>d then ]]> stays; math \\(x < y \\& z\\)."


def test_raw_html_in_bank_text_is_text_not_markup() -> None:
    out = to_html("<script>alert(1)</script> and <b>bold</b>")
    assert "<script>" not in out and "&lt;script&gt;" in out


def test_escaped_dollars_are_money_not_math() -> None:
    out = to_html(r"It costs \$5 and \$6.")
    assert r"\(" not in out and "$5 and $6" in out


def test_math_at_paragraph_start_before_a_digit() -> None:
    assert to_html("$x$ is 1") == r"<p>\(x\) is 1</p>"


def test_canvas_equation_image_carries_the_latex() -> None:
    out = to_html(r"Find $\frac{\partial C}{\partial w_2} < 1$.", "canvas_image")
    src = re.search(r'src="([^"]+)"', out).group(1)
    assert src.startswith("/equation_images/")
    assert unquote(unquote(src[len("/equation_images/"):])) == r"\frac{\partial C}{\partial w_2} < 1"
    assert html.unescape(re.search(r'data-equation-content="([^"]+)"', out).group(1)) == r"\frac{\partial C}{\partial w_2} < 1"


def test_plain_text_titles() -> None:
    assert plain_text("The *chain* rule for a<b") == "The chain rule for a‹b"
    assert plain_text("Gradient of $x_1 * y$ by _w_") == "Gradient of $x_1 * y$ by w"
    assert len(plain_text("x" * 300, limit=255)) == 255
