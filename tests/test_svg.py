"""SVG figures (issue 13, item 7): an allow-list, tested with the bypasses of the old
deny-list and the other ways an SVG can run script or load something from elsewhere."""

from __future__ import annotations

from pathlib import Path

import pytest

from exporter import figures, svg

HEAD = b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="10" height="10">'


def doc(body: bytes, before: bytes = b"") -> bytes:
    return before + HEAD + b"\n" + body + b"\n</svg>"


def verdict(tmp_path: Path, data: bytes) -> figures.FigureError | None:
    (tmp_path / "x.svg").write_bytes(data)
    try:
        figures.resolve(tmp_path, "x.svg")
    except figures.FigureError as exc:
        return exc
    return None


BYPASSES = {
    "tab entity in javascript:": b'<a href="java&#x09;script:alert(1)"><rect width="5" height="5"/></a>',
    "newline entity in javascript:": b'<a xlink:href="java&#x0A;script:alert(1)"><rect width="5" height="5"/></a>',
    "CR and leading space": b'<a href=" &#x0D;javascript:alert(1)"><rect width="5" height="5"/></a>',
    "upper case scheme": b'<a href="JaVaScRiPt:alert(1)"><rect width="5" height="5"/></a>',
    "data: html link": b'<a href="data:text/html,&lt;script&gt;alert(1)&lt;/script&gt;"><text>x</text></a>',
    "SMIL set of href": b'<a><set attributeName="href" to="javascript:alert(1)"/><text>x</text></a>',
    "SMIL animate of href": b'<a href="#x"><animate attributeName="href" values="javascript:alert(1)"/></a>',
    "foreignObject form": (b'<foreignObject width="10" height="10"><form xmlns="http://www.w3.org/1999/xhtml" '
                           b'action="javascript:alert(1)"><button>go</button></form></foreignObject>'),
    "formaction in foreignObject": (b'<foreignObject><button xmlns="http://www.w3.org/1999/xhtml" '
                                    b'formaction="javascript:alert(1)">go</button></foreignObject>'),
    "XHTML script": b'<script xmlns="http://www.w3.org/1999/xhtml">alert(1)</script>',
    "SVG script": b"<script>alert(1)</script>",
    "event handler": b'<rect onload="alert(1)" width="5" height="5"/>',
    "event handler on metadata-free element": b'<g onmouseover="alert(1)"/>',
    "external image": b'<image href="https://example.org/track.png" width="5" height="5"/>',
    "relative image": b'<image xlink:href="other.png" width="5" height="5"/>',
    "svg data image": b'<image href="data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=" width="5" height="5"/>',
    "external use": b'<use href="https://example.org/sprites.svg#icon"/>',
    "use of another file": b'<use xlink:href="sprites.svg#icon"/>',
    "style @import": b"<style>@import url(https://example.org/x.css);</style>",
    "style @import string": b'<style>@import "x.css";</style>',
    "style external url": b"<style>rect { fill: url(https://example.org/p.svg#g) }</style>",
    "style attribute url": b'<rect style="fill:url(//example.org/x)" width="5" height="5"/>',
    "presentation attribute url": b'<rect fill="url(x.svg#g)" width="5" height="5"/>',
    "css escape hides url": b"<style>rect { background: \\75 rl(https://example.org/x) }</style>",
    "css comment inside": b"<style>rect { fill: url(/**/https://example.org/x) }</style>",
    "image-set": b'<style>rect { background: image-set("https://example.org/x.png" 1x) }</style>',
    "xml-stylesheet": None,  # built below: the PI sits before the root
    "feImage": b'<filter id="f"><feImage href="https://example.org/x.png"/></filter>',
    "iframe": b"<iframe/>",
    "unknown namespace attribute": b'<rect xmlns:ev="http://www.w3.org/2001/xml-events" ev:event="click" width="1" height="1"/>',
    "xml:base": b'<g xml:base="https://example.org/"><use href="#a"/></g>',
    "link on a plain element": b'<rect href="javascript:alert(1)" width="5" height="5"/>',
}


@pytest.mark.parametrize("name", sorted(BYPASSES))
def test_bypass_is_refused_with_its_line(tmp_path: Path, name: str) -> None:
    body = BYPASSES[name]
    data = (doc(b'<rect width="5" height="5"/>', before=b'<?xml-stylesheet href="https://example.org/x.css"?>\n')
            if body is None else doc(body))
    found = verdict(tmp_path, data)
    assert found is not None and found.code == figures.E_UNSAFE_SVG, name
    if body is not None:
        assert "(line 2)" in found.message, found.message


ALLOWED = [
    b'<a href="#x"><rect id="x" width="5" height="5"/></a>',
    b'<a href="https://example.org/"><text>link</text></a>',
    b'<defs><linearGradient id="g"><stop offset="0" stop-color="red"/></linearGradient></defs>'
    b'<rect fill="url(#g)" style="stroke: url(&quot;#g&quot;)" width="5" height="5"/>',
    b'<use xlink:href="#g"/>',
    b'<image href="data:image/png;base64,iVBORw0KGgo=" width="1" height="1"/>',
    b'<style>/* inkscape */ rect { fill: #fff; stroke-width: 2 }</style>',
    b'<text aria-label="\\sigma(z)" data-name="layer 1" xml:space="preserve">z</text>',
    b'<metadata><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/></metadata>'
    b'<g xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape" inkscape:label="Layer 1"/>',
]


@pytest.mark.parametrize("body", ALLOWED)
def test_static_drawings_pass(tmp_path: Path, body: bytes) -> None:
    assert verdict(tmp_path, doc(body)) is None


def test_doctype_of_drawing_programs_passes(tmp_path: Path) -> None:
    dtd = (b'<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
           b'"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n')
    assert verdict(tmp_path, doc(b"<rect/>", before=dtd)) is None


def test_seed_figure_passes() -> None:
    root = figures.etree.fromstring((Path(__file__).parents[1] / "bank/figures/backprop-chain.svg").read_bytes())
    svg.check(root)


def test_normalised_url_is_what_a_browser_reads() -> None:
    assert svg.normalised_url(" \x01java\tscr\nipt:x ") == "javascript:x"
