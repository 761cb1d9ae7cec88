"""Parsing REFI-QDA XML without trusting it, and reading it whatever namespace version it declares.

The parser never expands entities, never loads a DTD and never touches the network (no XXE, no
billion laughs); a document that declares a DOCTYPE at all is refused, since REFI-QDA files have
none. Elements are read by local name: real tools declare ``urn:QDA-XML:codebook:1.0``,
``…:0:4`` or ``…:1:0`` (NOTES.md), and we accept any ``urn:QDA-XML:`` namespace (or none).
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from lxml import etree

from .errors import ExchangeError

PROJECT_NS = "urn:QDA-XML:project:1.0"
CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def parse(data: bytes, what: str) -> etree._Element:
    """The root element of `data` (the file named `what` in messages), or `ExchangeError`."""
    head = data[:4096]
    if b"<!DOCTYPE" in head or b"<!ENTITY" in data:
        raise ExchangeError(
            _("%(file)s declares a DOCTYPE or entities, which REFI-QDA files never do: it is refused.")
            % {"file": what}
        )
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as error:
        raise ExchangeError(
            _("%(file)s is not well-formed XML: %(error)s") % {"file": what, "error": error.msg},
            line=error.lineno,
        ) from error
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise ExchangeError(
            _("%(file)s declares a DOCTYPE or entities, which REFI-QDA files never do: it is refused.")
            % {"file": what}
        )
    namespace = etree.QName(root).namespace or ""
    if namespace and not namespace.startswith("urn:QDA-XML:"):
        raise ExchangeError(
            _("%(file)s is not a REFI-QDA file (namespace « %(ns)s »).")
            % {"file": what, "ns": namespace[:100]}
        )
    return root


def local(element) -> str:
    """The element's name without its namespace ("" for comments and other nodes)."""
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def children(element, name: str) -> list:
    return [child for child in element if local(child) == name]


def child(element, name: str):
    for candidate in element:
        if local(candidate) == name:
            return candidate
    return None


def text_of(element, name: str) -> str:
    found = child(element, name)
    return (found.text or "") if found is not None else ""
