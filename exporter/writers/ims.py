"""IMS packaging shared by writers of IMS content packages (QTI 1.2 for Canvas today; a QTI
2.1 or Common Cartridge writer would reuse it): a deterministic zip, the `imsmanifest.xml`
of IMS Content Packaging 1.1, and identifiers in the form QTIMigrationTool keeps.

Deterministic means the bytes depend only on the entries: fixed order, fixed 1980-01-01
timestamps and permissions, stored uncompressed (DEFLATE output depends on the zlib build,
and `dist/` must be byte-identical on every machine that builds it).
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass

from lxml import etree

CP_NS = "http://www.imsglobal.org/xsd/imscp_v1p1"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
CP_SCHEMA_LOCATION = f"{CP_NS} http://www.imsglobal.org/xsd/imscp_v1p1.xsd"
MANIFEST = "imsmanifest.xml"

ZIP_DATE = (1980, 1, 1, 0, 0, 0)
ZIP_MODE = 0o100644


def zip_bytes(entries: Sequence[tuple[str, bytes]]) -> bytes:
    """A zip whose bytes depend only on `entries`: given order, fixed time and mode, stored."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as zf:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_STORED
            info.create_system = 3  # Unix, so the mode below means the same everywhere
            info.external_attr = ZIP_MODE << 16
            zf.writestr(info, data)
    return buf.getvalue()


def xml_bytes(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


@dataclass(frozen=True)
class Resource:
    """One `<resource>` of a manifest: its one file is `href`."""

    identifier: str
    type: str
    href: str
    dependencies: tuple[str, ...] = ()


def manifest(identifier: str, resources: Sequence[Resource]) -> etree._Element:
    """An IMS CP 1.1 manifest (no organizations: a question package is not a course)."""

    def cp(tag: str) -> str:
        return f"{{{CP_NS}}}{tag}"

    root = etree.Element(cp("manifest"), nsmap={None: CP_NS, "xsi": XSI_NS})
    root.set("identifier", identifier)
    root.set(f"{{{XSI_NS}}}schemaLocation", CP_SCHEMA_LOCATION)
    metadata = etree.SubElement(root, cp("metadata"))
    etree.SubElement(metadata, cp("schema")).text = "IMS Content"
    etree.SubElement(metadata, cp("schemaversion")).text = "1.1.3"
    etree.SubElement(root, cp("organizations"))
    listed = etree.SubElement(root, cp("resources"))
    for r in resources:
        res = etree.SubElement(listed, cp("resource"), identifier=r.identifier, type=r.type, href=r.href)
        etree.SubElement(res, cp("file"), href=r.href)
        for dep in r.dependencies:
            etree.SubElement(res, cp("dependency"), identifierref=dep)
    return root


def file_identifier(prefix: str, path: str) -> str:
    """A stable resource identifier for a file of the package."""
    return f"{prefix}_{hashlib.sha256(path.encode('utf-8')).hexdigest()[:12]}"


# --- identifiers QTIMigrationTool keeps as they are


def _slug(name: str) -> str:
    """`name` with characters outside `[A-Za-z0-9_-]` replaced, plus a short hash when any
    were, so two names that differ only there cannot share an identifier."""
    slug = re.sub(r"[^A-Za-z0-9_-]", "_", name)
    if slug != name:
        slug += "_" + hashlib.sha256(name.encode("utf-8")).hexdigest()[:8]
    return slug


def item_ident(question_id: str) -> str:
    """The item ident for a question id, in the form QTIMigrationTool keeps unchanged.

    Bank ids are `[a-z0-9][a-z0-9._-]*`; the tool's `FixIdentifier` would prefix an id that
    starts with a digit with `ID_` on its own, so we write that prefix ourselves and the
    ident Canvas stores is the one in our file. Upper-case `ID_` cannot clash with a bank id.
    """
    ident = re.sub(r"[^A-Za-z0-9._-]", "_", question_id)
    if not re.match(r"[A-Za-z_]", ident):
        ident = "ID_" + ident
    return ident


def assessment_ident(bank_name: str) -> str:
    """The quiz ident (and folder name) for a bank: `QB_<file stem>`.

    Upper-case, so it can never equal a (lower-case) question id: the tool puts items and
    the assessment in one identifier space and renames a duplicate.
    """
    return "QB_" + _slug(bank_name)


def group_ident(name: str) -> str:
    """The section ident of a question group: `QG_<name>` (upper-case prefix: never a
    question id or the quiz's `QB_` ident)."""
    return "QG_" + _slug(name)
