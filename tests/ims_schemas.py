"""The published IMS schemas (tests/xsd/, unchanged copies), loaded once for every test.

The Content Packaging schema imports the W3C `xml.xsd` by web address; nothing is reachable
from a test, so a resolver serves the local copy.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from lxml import etree

XSD = Path(__file__).parent / "xsd"
QTI = "qti/ims_qtiasiv1p2.xsd"
CP = "imscp/imscp_v1p1.xsd"


class _LocalXmlXsd(etree.Resolver):
    def resolve(self, url: str, pubid: str, context: Any) -> Any:
        if url.endswith("/xml.xsd") or url == "xml.xsd":
            return self.resolve_filename(str(XSD / "xml.xsd"), context)
        return None


@lru_cache(maxsize=None)
def schema(relative: str) -> etree.XMLSchema:
    parser = etree.XMLParser(no_network=True)
    parser.resolvers.add(_LocalXmlXsd())
    return etree.XMLSchema(etree.parse(str(XSD / relative), parser))


def assert_valid(doc: etree._Element, relative: str) -> None:
    xsd = schema(relative)
    assert xsd.validate(doc), "\n".join(str(e) for e in xsd.error_log)
