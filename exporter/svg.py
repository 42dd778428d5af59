"""What an SVG figure may contain: an allow-list, not a list of known attacks.

An SVG opened from a course's files is a document on the LMS's own domain: anything it can
run or load runs or loads there. Deny-lists of "dangerous" names lose to the next trick
(`java&#x09;script:`, `<set attributeName="href" to="javascript:…">`, a `<form>` inside
`<foreignObject>`, `@import` in a `<style>`), so a figure is accepted only if *every* part
of it is known to be inert:

- elements: the static drawing vocabulary of SVG (shapes, text, paint servers, clipping,
  masking, filters, `<a>`, `<use>`, `<image>`, `<style>`); no scripting, no animation
  (SMIL can rewrite any attribute, `href` included, after the check), no
  `<foreignObject>` (it embeds HTML), no `<feImage>`. Elements of other namespaces only
  from the metadata vocabularies drawing programs write (RDF, Dublin Core, Creative
  Commons, Inkscape, Sodipodi) — an XHTML `<script>` inside an SVG would run;
- attributes: presentation and geometry attributes by name (plus `aria-*`, `data-*`),
  the inert `inkscape:`/`sodipodi:` ones, and links only where a link is meant;
- links are normalised as browsers do (ASCII tab, CR and LF removed anywhere; leading
  and trailing control characters and spaces stripped) and then must be a fragment of
  this document (`#id`); `<a>` may also link to an `http(s):` page, `<image>` may embed a
  PNG, JPEG or GIF `data:` URI. Nothing else: no external files, which would not be
  packaged and could track who opened the figure;
- CSS (`<style>`, `style=`, and any attribute value): `url()` only to `#id`; no `@import`,
  `image-set()`, `expression()`, bindings or CSS escapes (`\\75 rl(` is `url(`);
- no processing instructions (`<?xml-stylesheet …?>` loads a style sheet) and no entity
  declarations (checked by the caller, which parses without resolving them).

qbank does not rewrite a figure (a silent change is worse than a clear finding): the first
part that is not allowed is the finding, with its line, and the author saves the file again
without it (Inkscape: "Plain SVG"; or any SVG optimiser).
"""

from __future__ import annotations

import re

from lxml import etree

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
XML_NS = "http://www.w3.org/XML/1998/namespace"

ELEMENTS = frozenset("""
    svg g defs symbol use title desc metadata switch a view
    path rect circle ellipse line polyline polygon
    text tspan textPath
    linearGradient radialGradient stop pattern
    clipPath mask marker image style
    filter feBlend feColorMatrix feComponentTransfer feComposite feConvolveMatrix
    feDiffuseLighting feDisplacementMap feDistantLight feDropShadow feFlood feFuncA feFuncB
    feFuncG feFuncR feGaussianBlur feMerge feMergeNode feMorphology feOffset fePointLight
    feSpecularLighting feSpotLight feTile feTurbulence
""".split())

METADATA_NAMESPACES = frozenset({
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "http://purl.org/dc/elements/1.1/",
    "http://purl.org/dc/terms/",
    "http://creativecommons.org/ns#",
    "http://web.resource.org/cc/",
    "http://www.inkscape.org/namespaces/inkscape",
    "http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd",
})

ATTRIBUTES = frozenset("""
    id class style lang tabindex role focusable media type title version baseProfile
    x y x1 y1 x2 y2 cx cy r rx ry fx fy fr width height d points pathLength viewBox
    preserveAspectRatio transform dx dy rotate textLength lengthAdjust startOffset method
    spacing side
    text-anchor dominant-baseline alignment-baseline baseline-shift font font-family font-size
    font-weight font-style font-variant font-stretch font-size-adjust letter-spacing
    word-spacing text-decoration writing-mode direction unicode-bidi white-space
    fill fill-opacity fill-rule stroke stroke-width stroke-opacity stroke-linecap
    stroke-linejoin stroke-miterlimit stroke-dasharray stroke-dashoffset opacity color
    display visibility overflow clip clip-path clip-rule mask filter marker marker-start
    marker-mid marker-end markerWidth markerHeight markerUnits refX refY orient offset
    stop-color stop-opacity gradientUnits gradientTransform spreadMethod patternUnits
    patternContentUnits patternTransform clipPathUnits maskUnits maskContentUnits
    filterUnits primitiveUnits in in2 result stdDeviation mode operator k1 k2 k3 k4 values
    tableValues slope intercept amplitude exponent flood-color flood-opacity lighting-color
    color-interpolation color-interpolation-filters color-rendering shape-rendering
    text-rendering image-rendering vector-effect paint-order mix-blend-mode isolation
    enable-background baseFrequency numOctaves seed stitchTiles scale xChannelSelector
    yChannelSelector radius order kernelMatrix divisor bias targetX targetY edgeMode
    preserveAlpha surfaceScale diffuseConstant specularConstant specularExponent
    kernelUnitLength azimuth elevation z pointsAtX pointsAtY pointsAtZ limitingConeAngle
    systemLanguage cursor zoomAndPan target href
""".split())

LINKING = {"a", "use", "image", "linearGradient", "radialGradient", "pattern", "textPath", "filter"}
"""Elements whose `href` means something; on any other element a link is refused."""

_INERT_PREFIXED = ("aria-", "data-")
_TEXT_ATTRIBUTES = {"id", "class", "lang", "role", "title", "tabindex", "focusable", "media", "type", "target",
                    "systemLanguage"}
"""Attributes that hold words, not CSS values (a `\\` in an `aria-label` is LaTeX)."""
_URL_NOISE = re.compile(r"[\t\n\r]")
_DATA_IMAGE = re.compile(r"data:image/(png|jpeg|gif);base64,[A-Za-z0-9+/=\s]*\Z", re.I)
_WEB = re.compile(r"https?://", re.I)
_CSS_COMMENT = re.compile(r"/\*.*?(\*/|\Z)", re.S)
_CSS_URL = re.compile(r"url\(\s*(['\"]?)(.*?)\1\s*\)", re.I | re.S)
_CSS_BANNED = re.compile(r"@import|image-set|expression\s*\(|-moz-binding|behavior\s*:|javascript:|\bimage\s*\(",
                         re.I)


class UnsafeSvg(Exception):
    """The first part of a figure that is not allowed: what, and the line it is on."""

    def __init__(self, what: str, line: int | None) -> None:
        super().__init__(what)
        self.what = what
        self.line = line


def normalised_url(value: str) -> str:
    """A URL as a browser reads it: tab, CR and LF removed anywhere, and leading and
    trailing C0 controls and spaces stripped (the URL standard's first steps)."""
    return _URL_NOISE.sub("", value).strip("".join(map(chr, range(0x21))))


def check_css(css: str, line: int | None, where: str) -> None:
    """CSS that can only paint: no external loads, no script, no escapes that hide either."""
    if "\\" in css:
        raise UnsafeSvg(f"CSS escape (`\\`) in {where}", line)
    plain = _CSS_COMMENT.sub(" ", css)
    banned = _CSS_BANNED.search(plain)
    if banned:
        raise UnsafeSvg(f"`{banned.group(0)}` in {where}", line)
    for m in _CSS_URL.finditer(plain):
        if not normalised_url(m.group(2)).startswith("#"):
            raise UnsafeSvg(f"`url({m.group(2)[:40]})` in {where} (only `url(#id)` of this file is allowed)", line)
    if re.search(r"url\s*\(", _CSS_URL.sub("", plain), re.I):
        raise UnsafeSvg(f"an unreadable `url(` in {where}", line)


def _check_link(local: str, attr: str, value: str, line: int | None) -> None:
    url = normalised_url(value)
    if local not in LINKING:
        raise UnsafeSvg(f"a link (`{attr}`) on `<{local}>`", line)
    if url.startswith("#"):
        return
    if local == "a" and _WEB.match(url):
        return
    if local == "image" and _DATA_IMAGE.match(url):
        return
    shown = url if len(url) <= 40 else url[:37] + "…"
    raise UnsafeSvg(f"`{attr}=\"{shown}\"` on `<{local}>`: a figure may only link inside itself (`#id`)"
                    + (", to a web page" if local == "a" else "")
                    + (", or embed a PNG, JPEG or GIF `data:` URI" if local == "image" else ""), line)


def check(root: etree._Element) -> None:
    """Raise UnsafeSvg for the first element, attribute, link or style that is not allowed."""
    outside = [*root.itersiblings(preceding=True), *root.itersiblings()]  # `<?xml-stylesheet?>` sits there
    for el in [*outside, *root.iter()]:
        if isinstance(el, etree._ProcessingInstruction):
            raise UnsafeSvg(f"a processing instruction `<?{el.target} …?>`", el.sourceline)
        if not isinstance(el.tag, str):
            continue  # comments
        name = etree.QName(el)
        local = name.localname
        if name.namespace in METADATA_NAMESPACES:
            continue  # inert data; its attributes are never links a browser follows
        if name.namespace != SVG_NS:
            raise UnsafeSvg(f"a `<{local}>` element of namespace `{name.namespace or 'none'}`", el.sourceline)
        if local not in ELEMENTS:
            raise UnsafeSvg(f"a `<{local}>` element", el.sourceline)
        for key, value in el.attrib.items():
            attr = etree.QName(key)
            ns, aname = attr.namespace, attr.localname
            if ns in (XML_NS,) and aname in ("space", "lang"):
                continue
            if ns in METADATA_NAMESPACES:
                continue
            shown = aname if ns is None else f"{{{ns}}}{aname}"
            if (ns is None and aname == "href") or (ns == XLINK_NS and aname == "href"):
                _check_link(local, "href" if ns is None else "xlink:href", value, el.sourceline)
                continue
            if ns == XLINK_NS and aname == "title":
                continue
            if ns is not None or not (aname in ATTRIBUTES or aname.startswith(_INERT_PREFIXED)):
                raise UnsafeSvg(f"the attribute `{shown}` on `<{local}>`", el.sourceline)
            if aname not in _TEXT_ATTRIBUTES and not aname.startswith(_INERT_PREFIXED):
                check_css(value, el.sourceline, f"`{aname}` of `<{local}>`")
        if local == "style":
            check_css("".join(el.itertext()), el.sourceline, "`<style>`")
