"""Shared text handling for every writer: Markdown → HTML with math kept intact.

Bank text is Markdown with LaTeX in `$…$` / `$$…$$`. All three targets want HTML, but they
want math differently (MathJax delimiters for Moodle, equation images or MathJax for
Canvas), so the renderer takes a *math style* and everything else is shared. Math is cut
out by markdown-it-py's dollarmath plugin before any inline Markdown runs, which is what
keeps `x_1 … x_2` inside math from turning into emphasis.

Figures (`![alt](figures/net.png)`) are rendered here too, once for all targets: each
writer passes an image hook (`to_html(..., images=hook)`) that says what a figure's src
becomes in its target and records the files it used; `markdown_images` lists a text's
images exactly as the renderer sees them, for the checker (exporter.figures).

Raw HTML in bank text is not passed through: bank text is untrusted, and treating it as
text is what makes `a<b` and `&` survive into every export exactly as written.
"""

from __future__ import annotations

import dataclasses
import html
import re
from functools import lru_cache
from typing import TYPE_CHECKING, Callable, Literal, NamedTuple, TypeVar, cast
from urllib.parse import quote

from markdown_it import MarkdownIt
from mdit_py_plugins.dollarmath import dollarmath_plugin

from .decimals import decimal_text as decimal_text  # the one number formatter, re-exported
from .diagnostics import Diagnostic, Report
from .model import Loc

if TYPE_CHECKING:
    from .model import Bank

B = TypeVar("B", bound="Bank")

MathStyle = Literal["mathjax", "canvas_image", "mathml"]
MathRenderer = Callable[[str, bool], str]
"""(latex, display) → HTML fragment. The LaTeX is raw; the renderer escapes it."""

ImageHook = Callable[[str, str], "str | None"]
"""(src, alt) → the src to write, or None to leave the image out and show its alt text.

Each writer says here how a bank figure is referred to in its target (a package path, a
`@@PLUGINFILE@@` name, a `data:` URI) and notes the files it used; see exporter.figures.
`src` is the destination as markdown-it normalised it (percent-encoded), `alt` the image's
alt text as plain text (math kept as its LaTeX source)."""


def mathjax(latex: str, display: bool) -> str:
    r"""`\(…\)` / `\[…\]`: the delimiters Moodle's MathJax filter and Canvas's MathJax read.

    `$…$` is deliberately not used in output: Moodle's default MathJax configuration does
    not treat single dollars as math, and money amounts would break if it did.
    """
    body = html.escape(latex.strip(), quote=False)
    return f"\\[{body}\\]" if display else f"\\({body}\\)"


def canvas_equation_image(latex: str, display: bool) -> str:
    """Canvas's native equation: the <img> its own equation editor inserts.

    Everything here is what Canvas itself writes and reads (canvas-lms, checked in source):

    - src is `/equation_images/` + encodeURIComponent(encodeURIComponent(latex)), host-relative,
      exactly as the editor builds it (packages/canvas-rce/src/rce/contentInsertion.js,
      `insertEquation`). The server gets the segment decoded once and expects it still
      escaped (app/controllers/equation_images_controller.rb: "stored in the db double
      escaped"); the page's MathJax handling decodes it twice to recover the LaTeX
      (enhance-user-content/mathml.js, `getImageEquationText`). We mirror encodeURIComponent's
      safe set so our src is byte-for-byte what the editor would store. The editor's
      `?scale=` is left out: the controller ignores it unless a site-admin flag is on.
    - Host-relative is what survives a QTI import: the importer's link rewriting leaves any
      `img` whose class contains `equation_image` alone (canvas_link_migrator, LinkParser
      "Equation image, leave it alone"); without that class a relative src would be taken
      for a missing course file. The browser then resolves it against whichever Canvas
      instance shows the quiz, so the package is not tied to one Canvas address.
    - title / alt ("LaTeX: …") / data-equation-content carry the raw LaTeX, HTML-escaped,
      and data-ignore-a11y-check is empty: the same attributes the editor sets.

    Display math is a centred block *span*, not a <p>: `$$…$$` can sit inside a paragraph,
    and a <p> there would split the paragraph when the HTML is parsed. `display` and
    `text-align` are both on Canvas's sanitizer's allowed style list.
    """
    tex = latex.strip()
    keep = "!'()*"  # encodeURIComponent's safe set beyond quote's own A-Za-z0-9_.-~
    src = "/equation_images/" + quote(quote(tex, safe=keep), safe=keep)
    attrs = (
        f'class="equation_image" title="{html.escape(tex)}" src="{src}" '
        f'alt="LaTeX: {html.escape(tex)}" data-equation-content="{html.escape(tex)}" '
        'data-ignore-a11y-check=""'
    )
    img = f"<img {attrs} />"
    return f'<span style="display:block;text-align:center">{img}</span>' if display else img


def mathml(latex: str, display: bool) -> str:
    """`<math>` for the HTML preview (exporter.mathml: LaTeX → MathML, drawn by the browser)."""
    from .mathml import render  # latex2mathml is needed by the preview only

    return render(latex, display)


MATH_RENDERERS: dict[str, MathRenderer] = {
    "mathjax": mathjax,
    "canvas_image": canvas_equation_image,
    "mathml": mathml,
}


@lru_cache(maxsize=None)
def _parser(style: str) -> MarkdownIt:
    render_math = MATH_RENDERERS[style]
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    # Spaces inside `$ x $` are allowed because hand-typed banks are full of them.
    # allow_digits stays on: with it off, mdit-py-plugins 0.7 wrongly rejects math at the
    # very start of a paragraph that *ends* in a digit ("$x$ is 1"). A literal dollar
    # (money) is written `\$5`, the CommonMark escape.
    md.use(dollarmath_plugin, allow_space=True, allow_digits=True, double_inline=True)

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
    md.add_render_rule("image", _render_image)
    return md


def _render_image(self, tokens, idx, options, env):  # noqa: ANN001 - markdown-it's signature
    """`<img src alt>`, with the src the writer's ImageHook gives (env["images"], if any).

    The alt text is `image_alt`'s, so the checker that insists on alt text and the output
    agree on what it is (markdown-it's own drops math from alt text).
    """
    token = tokens[idx]
    alt = image_alt(token)
    hook: ImageHook | None = env.get("images") if isinstance(env, dict) else None
    if hook is not None:
        src = hook(token.attrGet("src") or "", alt)
        if src is None:
            return html.escape(f"[{alt}]", quote=False) if alt else ""
        token.attrSet("src", src)
    token.children = None  # the alt attribute below is the whole alt text
    token.attrSet("alt", alt)
    return self.renderToken(tokens, idx, options, env)


def to_html(markdown: str, style: MathStyle = "mathjax", images: ImageHook | None = None) -> str:
    """Render bank Markdown to an HTML fragment (no trailing newline).

    Without `images`, an image keeps the src the author wrote. With it, every image's src
    is what the hook returns; such renders are not cached, because the hook has effects
    (a writer collects the files it packages) that a cached result would skip. Text
    without `![` has no image, so it takes the cached path either way.
    """
    if images is None or "![" not in markdown:
        return _cached_html(markdown, style)
    return _parser(style).render(markdown, {"images": images}).strip()


@lru_cache(maxsize=4096)
def _cached_html(markdown: str, style: MathStyle) -> str:
    parser = _parser(style)
    if "![" in markdown:  # the image rule rewrites its token: never render shared tokens
        return parser.render(markdown).strip()
    return parser.renderer.render(_tokens(markdown), parser.options, {}).strip()


@lru_cache(maxsize=8192)
def _tokens(markdown: str) -> list:
    """Parsed Markdown, shared by every math style: parsing is most of the cost of a
    render and does not depend on how math is written out, so the Canvas writer and the
    Moodle/GIFT writers parse each text once between them."""
    return _parser("mathjax").parse(markdown)


_MATH_TOKENS = {"math_inline": False, "math_inline_double": True, "math_block": True, "math_block_label": True}


def math_spans(markdown: str) -> list[tuple[str, bool]]:
    """Every math span in `markdown` as (LaTeX, display), in reading order, exactly as
    `to_html` hands them to a math renderer (a `$` inside code is not math)."""
    found: list[tuple[str, bool]] = []

    def walk(tokens) -> None:  # noqa: ANN001
        for token in tokens or ():
            if token.type in _MATH_TOKENS:
                found.append((token.content, _MATH_TOKENS[token.type]))
            walk(token.children)

    if "$" in markdown:
        walk(_tokens(markdown))
    return found


class MarkdownImage(NamedTuple):
    """An image in bank Markdown: its destination (percent-encoded, as markdown-it keeps
    it) and its alt text as plain text."""

    src: str
    alt: str


def image_alt(token) -> str:  # noqa: ANN001 - a markdown-it image Token
    """An image's alt text as plain text: text, code and math (as LaTeX source) kept,
    markup dropped, line breaks as spaces, whitespace collapsed."""
    parts: list[str] = []

    def walk(children) -> None:  # noqa: ANN001
        for child in children or ():
            if child.type in ("text", "code_inline", "math_inline", "math_inline_double"):
                parts.append(child.content)
            elif child.type in ("softbreak", "hardbreak"):
                parts.append(" ")
            elif child.type == "image":
                walk(child.children)

    walk(token.children)
    return " ".join("".join(parts).split())


def markdown_images(markdown: str) -> list[MarkdownImage]:
    """Every image in `markdown`, in reading order, exactly as `to_html` sees them (an
    `![…](…)` inside code or math is not an image)."""
    found: list[MarkdownImage] = []

    def walk(tokens) -> None:  # noqa: ANN001
        for token in tokens or ():
            if token.type == "image":
                found.append(MarkdownImage(token.attrGet("src") or "", image_alt(token)))
            walk(token.children)

    if "![" in markdown:
        walk(_parser("mathjax").parse(markdown))
    return found


_MD_MARKUP = re.compile(r"[*_`]+")
_WS = re.compile(r"\s+")
_MATH = re.compile(r"(\$\$.+?\$\$|\$[^$]+\$)", re.S)


def plain_text(markdown: str, limit: int | None = None) -> str:
    """A one-line, tag-free rendering for names and titles.

    LMS question names are plain text (Moodle strips tags and cuts at 255 characters), so a
    title is made safe here rather than trusted to survive. Math keeps its LaTeX source.
    """
    # Markdown markers are dropped outside math only: `$x_1$` must keep its underscore.
    parts = _MATH.split(markdown)
    text = "".join(p if i % 2 else _MD_MARKUP.sub("", p) for i, p in enumerate(parts))
    text = _WS.sub(" ", text).strip()
    text = text.replace("<", "‹").replace(">", "›")
    if limit is not None and len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


# --- characters no export can carry --------------------------------------------------------

UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
"""What XML 1.0 cannot hold at all (C0 controls but tab, LF and CR; the non-characters
U+FFFE/U+FFFF) and what UTF-8 cannot encode (lone surrogates). lxml refuses them and
`str.encode` fails on surrogates, so a writer that met one would crash mid-build."""


def unwritable_names(text: str) -> str:
    """`U+0001, U+FFFE`: the unwritable characters of `text`, for a message."""
    return ", ".join(f"U+{ord(c):04X}" for c in sorted(set(UNWRITABLE.findall(text))))


_NOT_WRITTEN = {"check", "parameters", "variant_values"}
"""Model fields no writer exports (the checker reads them): nothing there can break a file."""

_last_clean: object = None
"""The bank the last scan found clean: every writer of one bank is handed the same object."""


def _has_unwritable(model: object) -> bool:
    """Whether any string in the model (outside _NOT_WRITTEN) has an unwritable character:
    one regex search over every string joined, without recursion — the common, clean case
    costs a fraction of the labelled walk."""
    strings: list[str] = []
    stack = [model]
    pop, push, add = stack.pop, stack.extend, strings.append
    while stack:
        value = pop()
        kind = type(value)
        if kind is str:
            add(cast(str, value))
        elif kind is tuple:
            push(cast(tuple, value))
        elif kind is Loc or value is None or kind in (bool, int, float):
            continue
        elif hasattr(kind, "__dataclass_fields__"):
            push([v for k, v in value.__dict__.items() if k not in _NOT_WRITTEN])
    return UNWRITABLE.search("\n".join(strings)) is not None


def writable(bank: B, report: Report, code: str, target: str) -> B:
    """`bank` with every unwritable character removed from every text, and one error
    (`code`) per field that had one, at the location of the question, choice or answer.

    Defence in depth: the loader refuses such characters in bank texts, but a writer must
    not crash on a model built some other way (a quiz, an importer, a program using the
    library). Strings are walked generically, so a field added to the model later is
    covered too; a bank without such characters is returned as it is (no copy).
    """
    global _last_clean
    if bank is _last_clean or not _has_unwritable(bank):
        _last_clean = bank  # the next writer of this bank skips the scan
        return bank

    def walk(value: object, loc: Loc, label: str) -> object:
        if isinstance(value, str):
            if UNWRITABLE.search(value) is None:
                return value
            report(Diagnostic(loc, code, f"`{label}` has the character(s) {unwritable_names(value)}, which "
                              f"{target} cannot carry: delete them (a form feed is often a lost `\\f`, "
                              "as in `\\frac`)"))
            return UNWRITABLE.sub("", value)
        if isinstance(value, tuple):
            items = tuple(walk(v, loc, f"{label}[{i}]") for i, v in enumerate(value))
            return value if all(a is b for a, b in zip(items, value)) else items
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            own = getattr(value, "loc", None)
            here = own if isinstance(own, Loc) else loc
            qid = getattr(value, "id", None)
            if isinstance(qid, str) and hasattr(value, "choices"):
                label = qid  # a question: its id says more than `questions[3]`
            changes = {}
            for f in dataclasses.fields(value):
                old = getattr(value, f.name)
                if f.name in _NOT_WRITTEN or isinstance(old, Loc) or old is None or isinstance(old, (bool, int, float)):
                    continue
                new = walk(old, here, f"{label}.{f.name}" if label else f.name)
                if new is not old:
                    changes[f.name] = new
            return dataclasses.replace(value, **changes) if changes else value
        return value

    return walk(bank, Loc(bank.path, 1, 1), "")  # type: ignore[return-value]
