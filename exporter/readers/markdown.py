"""LMS HTML → bank Markdown: the inverse of exporter.text.to_html, proved per text.

Moodle and Canvas store question text as HTML; the bank stores Markdown with `$…$` math.
A conversion is only trusted when it round-trips: the Markdown we produce is rendered
again by the shared text layer (exporter.text) and compared with the HTML we started from.
Exact equality means a re-export gives the LMS the very bytes it gave us (the round-trip
test of `build → import → build` rests on it); equality after normalising whitespace and
attribute order means the same page. Anything else (inline styles, colours, `<span>`
markup, tables, which the commonmark renderer cannot produce) is reported as *lossy*: the
bank has no raw-HTML policy (exporter.text treats raw HTML as text, because bank text is
untrusted), so the importer keeps the words and math and says what formatting it dropped.

Math is recognised in every delimiter LMSs use: MathJax's `\\(…\\)` and `\\[…\\]`, TeX's
`$$…$$` (Moodle's TeX filter), and Canvas's equation images (`img.equation_image`, whose
LaTeX is in `data-equation-content` or, for older exports, the twice-encoded src).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable
from urllib.parse import unquote

import lxml.html
from lxml import etree

from ..text import to_html

FigureHook = Callable[[str, str], "str | None"]
"""(src as written in the HTML, alt) → the bank-relative path to write in Markdown, or
None when the image is not a file we can bring in (it is then shown as its alt text)."""

_MATH = re.compile(r"\\\((.+?)\\\)|\\\[(.+?)\\\]|\$\$(.+?)\$\$", re.S)
_BLOCK_TAGS = {"p", "ul", "ol", "pre", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "div", "table"}
_ENTITY = re.compile(r"&(#\d+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")
_LINE_START = re.compile(r"^( {0,3})(#{1,6}(?=[ \t]|$)|>|[-+*](?=[ \t]|$)|\d{1,9}[.)](?=[ \t]|$)|=+[ \t]*$|-+[ \t]*$)", re.M)


@dataclass
class Converted:
    markdown: str
    lossy: list[str] = field(default_factory=list)
    """What could not be kept (e.g. "<span style>"), empty when the text round-trips."""
    exact: bool = True
    """The Markdown renders to exactly the HTML it came from (byte for byte)."""


def equation_latex(img: etree._Element) -> str | None:
    """The LaTeX of a Canvas equation image, or None if `img` is not one."""
    if "equation_image" not in (img.get("class") or "").split():
        return None
    content = img.get("data-equation-content")
    if content:
        return content
    src = img.get("src") or ""
    if "/equation_images/" in src:
        return unquote(unquote(src.split("/equation_images/", 1)[1].split("?", 1)[0]))
    alt = img.get("alt") or ""
    return alt[len("LaTeX: "):] if alt.startswith("LaTeX: ") else None


def escape_text(text: str, *, aggressive: bool = False) -> str:
    r"""Plain text as Markdown that renders back to the same characters.

    Minimal by default (authors read the bank): backslash, emphasis and code markers,
    brackets, `$` (math), entity-like `&…;`, `<` before a letter (autolinks), and the
    characters that start a block at the beginning of a line. `aggressive` escapes every
    ASCII punctuation mark CommonMark allows to be escaped, for text the minimal form
    failed on.
    """
    if aggressive:
        return re.sub(r"([!\"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~])", r"\\\1", text)
    text = re.sub(r"([\\`*_\[\]$])", r"\\\1", text)
    text = _ENTITY.sub(lambda m: "\\&" + m.group()[1:], text)
    text = re.sub(r"<(?=[A-Za-z/!?])", r"\\<", text)
    text = _LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2) if not m.group(2)[0].isdigit()
                           else m.group(1) + m.group(2)[:-1] + "\\" + m.group(2)[-1], text)
    return text


def _math_md(latex: str, display: bool) -> str:
    latex = latex.strip()
    return f"$${latex}$$" if display else f"${latex}$"


class _Converter:
    def __init__(self, figures: FigureHook | None, aggressive: bool) -> None:
        self.figures = figures
        self.aggressive = aggressive
        self.lossy: list[str] = []

    def lose(self, what: str) -> None:
        if what not in self.lossy:
            self.lossy.append(what)

    # -- inline --------------------------------------------------------------------

    def text(self, text: str | None) -> str:
        """A text node: math delimiters become `$…$`, everything else is escaped."""
        if not text:
            return ""
        out, last = [], 0
        for m in _MATH.finditer(text):
            out.append(escape_text(text[last:m.start()], aggressive=self.aggressive))
            if m.group(1) is not None:
                out.append(_math_md(m.group(1), False))
            else:
                out.append(_math_md(m.group(2) if m.group(2) is not None else m.group(3), True))
            last = m.end()
        out.append(escape_text(text[last:], aggressive=self.aggressive))
        return "".join(out)

    def inline(self, el: etree._Element) -> str:
        """An element's content as inline Markdown (text, children, their tails)."""
        parts = [self.text(el.text)]
        for child in el:
            parts.append(self.inline_element(child))
            tail = child.tail or ""
            if child.tag == "br" and tail.startswith("\n"):
                tail = tail[1:]
            parts.append(self.text(tail))
        return "".join(parts)

    def inline_element(self, el: etree._Element) -> str:
        tag = el.tag if isinstance(el.tag, str) else ""
        if not tag:  # a comment or processing instruction: not shown
            return ""
        if tag in ("em", "i"):
            return f"*{self.inline(el)}*"
        if tag in ("strong", "b"):
            return f"**{self.inline(el)}**"
        if tag == "code":
            code = el.text_content()
            fence = "``" if "`" in code else "`"
            pad = " " if code.startswith("`") or code.endswith("`") else ""
            return f"{fence}{pad}{code}{pad}{fence}"
        if tag == "br":
            return "\\\n"
        if tag == "img":
            return self.image(el)
        if tag == "a":
            href = el.get("href") or ""
            title = el.get("title")
            label = self.inline(el)
            dest = f"<{href}>" if re.search(r"[\s()<>]", href) else href
            return f"[{label}]({dest}" + (f' "{title}"' if title else "") + ")"
        if tag == "span" and "display:block" in (el.get("style") or "").replace(" ", "") and len(el) == 1 \
                and el[0].tag == "img" and equation_latex(el[0]) is not None:
            return _math_md(equation_latex(el[0]) or "", True)
        if tag in ("span", "font", "u", "sub", "sup", "small", "big", "s", "strike", "del", "ins", "mark"):
            self.lose(f"<{tag}>")
            return self.inline(el)
        if tag in _BLOCK_TAGS or tag == "li":
            self.lose(f"<{tag}> inside a line")
            return self.inline(el)
        self.lose(f"<{tag}>")
        return self.inline(el)

    def image(self, el: etree._Element) -> str:
        latex = equation_latex(el)
        if latex is not None:
            return _math_md(latex, False)
        alt = el.get("alt") or ""
        src = el.get("src") or ""
        target = self.figures(src, alt) if self.figures else src
        if target is None:
            self.lose(f"image {src[:60]}")
            return self.text(alt)
        alt_md = re.sub(r"([\\\[\]])", r"\\\1", alt)
        dest = f"<{target}>" if re.search(r"[\s()<>]", target) else target
        return f"![{alt_md}]({dest})"

    # -- blocks --------------------------------------------------------------------

    def blocks(self, el: etree._Element) -> list[str]:
        """An element's children as Markdown blocks; loose inline content becomes a paragraph."""
        out: list[str] = []
        pending: list[str] = []

        def flush() -> None:
            text = "".join(pending)
            pending.clear()
            stripped = text.strip("\n")
            if not stripped.strip():
                return
            # A top-level `\[…\]` alone is display math, written `$$…$$` on its own lines.
            out.append(stripped)

        pending.append(self.text(el.text))
        for child in el:
            tag = child.tag if isinstance(child.tag, str) else ""
            if tag in _BLOCK_TAGS:
                flush()
                block = self.block(child)
                if block:
                    out.append(block)
            else:
                pending.append(self.inline_element(child) if tag else "")
            pending.append(self.text(child.tail))
        flush()
        return out

    def block(self, el: etree._Element) -> str:
        tag = el.tag
        if el.attrib and tag != "table" and not (tag == "p" and dict(el.attrib) == {"dir": "auto"}):
            self.lose(f"<{tag} {' '.join(el.attrib)}>")
        if tag == "p":
            return self.inline(el).strip("\n")
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            return "#" * int(tag[1]) + " " + self.inline(el).strip()
        if tag == "hr":
            return "---"
        if tag == "pre":
            code = el.text_content()
            if len(el) != 1 or el[0].tag != "code":
                self.lose("<pre> without <code>")
            lang = ""
            if len(el) == 1 and (el[0].get("class") or "").startswith("language-"):
                lang = el[0].get("class")[len("language-"):]
            fence = "~~~" if "```" in code else "```"
            return f"{fence}{lang}\n{code.rstrip(chr(10))}\n{fence}"
        if tag == "blockquote":
            inner = "\n\n".join(self.blocks(el))
            return "\n".join("> " + line if line else ">" for line in inner.split("\n"))
        if tag in ("ul", "ol"):
            return self.list_block(el)
        if tag == "div":
            return "\n\n".join(self.blocks(el))
        self.lose(f"<{tag}>")
        return "\n\n".join(self.blocks(el)) if tag != "table" else self.table(el)

    def table(self, el: etree._Element) -> str:
        rows = []
        for tr in el.iter("tr"):
            rows.append(" | ".join(self.inline(cell).strip().replace("\n", " ") for cell in tr if cell.tag in ("td", "th")))
        return "\n\n".join(rows)

    def list_block(self, el: etree._Element) -> str:
        ordered = el.tag == "ol"
        start = int(el.get("start") or 1) if ordered and (el.get("start") or "1").isdigit() else 1
        items = [li for li in el if li.tag == "li"]
        loose = any(len(li) and li[0].tag == "p" for li in items)
        out = []
        for n, li in enumerate(items):
            marker = f"{start + n}. " if ordered else "- "
            body = "\n\n".join(self.blocks(li))
            pad = " " * len(marker)
            lines = body.split("\n")
            out.append(marker + lines[0] + "".join("\n" + (pad + line if line else "") for line in lines[1:]))
        return ("\n\n" if loose else "\n").join(out)


_SAME = {"b": "strong", "i": "em"}


def _replace_with_text(el: etree._Element, text: str) -> None:
    parent = el.getparent()
    if parent is None:
        return
    previous = el.getprevious()
    joined = text + (el.tail or "")
    if previous is not None:
        previous.tail = (previous.tail or "") + joined
    else:
        parent.text = (parent.text or "") + joined
    parent.remove(el)


def _normal(html: str) -> str:
    """HTML reduced to what a reader sees: parsed, whitespace collapsed, attributes sorted."""
    if not html.strip():
        return ""
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    if len(root) == 1 and root[0].tag == "p" and not (root.text or "").strip() and not (root[0].tail or "").strip():
        root[0].drop_tag()  # one paragraph, or the same inline text without its <p>: one line of text
    for img in list(root.iter("img")):  # an equation is its LaTeX, however the image is addressed
        latex = equation_latex(img)
        if latex is not None:
            holder = img.getparent()
            if holder is not None and holder.tag == "span" and len(holder) == 1 and "display:block" in \
                    (holder.get("style") or "").replace(" ", ""):
                img, latex = holder, f"[{latex.strip()}]"
            _replace_with_text(img, f"\\({latex.strip()}\\)")
    for el in root.iter():
        if el.tag in _SAME:
            el.tag = _SAME[el.tag]
        if isinstance(el.tag, str) and el.attrib:
            items = sorted((k, v) for k, v in el.attrib.items() if (k, v) != ("dir", "auto"))
            el.attrib.clear()
            for k, v in items:
                el.set(k, v)
    text = etree.tostring(root, encoding="unicode", method="html")
    text = re.sub(r">\s+<", "><", text)
    return " ".join(text.split())


def html_to_markdown(html: str, *, style: str = "mathjax", figures: FigureHook | None = None) -> Converted:
    """HTML from an LMS → bank Markdown, with a verdict on how faithful it is.

    The candidate is rendered back by the shared renderer in `style`, each figure written
    with the src it had in `html` (as the writer of that format would write it), and
    compared with `html`. A minimally escaped candidate is tried first, then a fully
    escaped one; if neither renders back the same, the first is returned as lossy.
    """
    if not html.strip():
        return Converted("")
    originals: dict[str, str] = {}

    def figure(src: str, alt: str) -> str | None:
        made = figures(src, alt) if figures else src
        if made is not None:
            originals[made] = src
        return made

    def render(md: str) -> str:
        return to_html(md, style, images=lambda src, alt: originals.get(unquote(src), src))  # type: ignore[arg-type]

    root = lxml.html.fragment_fromstring(html, create_parent="div")
    first: Converted | None = None
    for aggressive in (False, True):
        conv = _Converter(figure, aggressive)
        markdown = "\n\n".join(conv.blocks(root)).strip()
        back = render(markdown)
        if back == html.strip():
            return Converted(markdown, [], True)
        if _normal(back) == _normal(html):
            return Converted(markdown, [], False)
        if first is None:
            first = Converted(markdown, conv.lossy or ["formatting Markdown cannot express"], False)
    assert first is not None
    return first


def plain_to_markdown(text: str, *, hard_breaks: bool = True) -> str:
    """Plain text (Moodle's plain/auto formats, Canvas text/plain) as Markdown: every
    character kept literally except math delimiters (`\\(…\\)`, `$$…$$`: an LMS's math
    filter typesets those in plain text too). Line breaks are hard breaks where the LMS
    shows them (Moodle's plain and auto formats), else soft ones (HTML whitespace)."""
    conv = _Converter(None, False)
    lines = [conv.text(line) for line in text.strip("\n").split("\n")]
    return ("\\\n" if hard_breaks else "\n").join(lines)
