"""Shared text handling for every writer: Markdown → HTML with math kept intact.

Bank text is Markdown with LaTeX in `$…$` / `$$…$$`. All three targets want HTML, but they
want math differently (MathJax delimiters for Moodle, equation images or MathJax for
Canvas), so the renderer takes a *math style* and everything else is shared. Math is cut
out by markdown-it-py's dollarmath plugin before any inline Markdown runs, which is what
keeps `x_1 … x_2` inside math from turning into emphasis.

Raw HTML in bank text is not passed through: bank text is untrusted, and treating it as
text is what makes `a<b` and `&` survive into every export exactly as written.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache
from typing import Callable, Literal
from urllib.parse import quote

from markdown_it import MarkdownIt
from mdit_py_plugins.dollarmath import dollarmath_plugin

MathStyle = Literal["mathjax", "canvas_image"]
MathRenderer = Callable[[str, bool], str]
"""(latex, display) → HTML fragment. The LaTeX is raw; the renderer escapes it."""


def mathjax(latex: str, display: bool) -> str:
    r"""`\(…\)` / `\[…\]`: the delimiters Moodle's MathJax filter and Canvas's MathJax read.

    `$…$` is deliberately not used in output: Moodle's default MathJax configuration does
    not treat single dollars as math, and money amounts would break if it did.
    """
    body = html.escape(latex.strip(), quote=False)
    return f"\\[{body}\\]" if display else f"\\({body}\\)"


def canvas_equation_image(latex: str, display: bool) -> str:
    """Canvas's native equation: an <img> its server renders from the LaTeX in the URL.

    The src is host-relative (`/equation_images/…`): Canvas resolves it against whatever
    instance the quiz is imported into, so the package is not tied to one Canvas address.
    Canvas's own editor encodes the LaTeX twice (the path segment is decoded once by the
    router and once by the controller), and so do we.
    """
    tex = latex.strip()
    src = "/equation_images/" + quote(quote(tex, safe=""), safe="")
    attrs = (
        f'class="equation_image" title="{html.escape(tex)}" src="{src}" '
        f'alt="LaTeX: {html.escape(tex)}" data-equation-content="{html.escape(tex)}"'
    )
    img = f"<img {attrs} />"
    return f'<p style="text-align:center">{img}</p>' if display else img


MATH_RENDERERS: dict[str, MathRenderer] = {
    "mathjax": mathjax,
    "canvas_image": canvas_equation_image,
}


@lru_cache(maxsize=None)
def _parser(style: str) -> MarkdownIt:
    render_math = MATH_RENDERERS[style]
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    # allow_digits=False keeps "costs 5$ and 6$" out of math; spaces inside `$ x $` are
    # allowed because scraped and hand-typed banks are full of them.
    md.use(dollarmath_plugin, allow_space=True, allow_digits=False, double_inline=True)

    def inline(self, tokens, idx, options, env):  # noqa: ANN001 - markdown-it's signature
        return render_math(tokens[idx].content, False)

    def inline_display(self, tokens, idx, options, env):  # noqa: ANN001
        return render_math(tokens[idx].content, True)

    def block(self, tokens, idx, options, env):  # noqa: ANN001
        return render_math(tokens[idx].content, True) + "\n"

    md.add_render_rule("math_inline", inline)
    md.add_render_rule("math_inline_double", inline_display)
    md.add_render_rule("math_block", block)
    md.add_render_rule("math_block_label", block)
    return md


@lru_cache(maxsize=4096)
def to_html(markdown: str, style: MathStyle = "mathjax") -> str:
    """Render bank Markdown to an HTML fragment (no trailing newline)."""
    return _parser(style).render(markdown).strip()


_MD_MARKUP = re.compile(r"[*_`]+")
_WS = re.compile(r"\s+")


def plain_text(markdown: str, limit: int | None = None) -> str:
    """A one-line, tag-free rendering for names and titles.

    LMS question names are plain text (Moodle strips tags and cuts at 255 characters), so a
    title is made safe here rather than trusted to survive. Math keeps its LaTeX source.
    """
    text = _WS.sub(" ", _MD_MARKUP.sub("", markdown)).strip()
    text = text.replace("<", "‹").replace(">", "›")
    if limit is not None and len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text
