"""Writing a domain: libvirt's output flags (secure, inactive, running id) over the core writer."""

from __future__ import annotations

from lxml import etree

from ..._core import xmlcore
from ..._core.xmlcore import child, children
from ..._core.xmlcore import get as aget

#: (element tag, attribute) pairs libvirt only writes with VIR_DOMAIN_XML_SECURE
SECRET_ATTRS: tuple[tuple[str, str], ...] = (("graphics", "passwd"),)


def format_domain(
    root: etree._Element, *, inactive: bool = False, secure: bool = False, domain_id: int | None = None
) -> str:
    """The document text; the tree itself is left as it is."""
    hidden: list[tuple[etree._Element, str, str]] = []
    if not secure:
        devices = child(root, "devices")
        if devices is not None:
            for tag, attr in SECRET_ATTRS:
                for el in children(devices, tag):
                    value = aget(el, attr)
                    if value is not None:
                        hidden.append((el, attr, value))
                        del el.attrib[attr]
    old_id = aget(root, "id")
    if domain_id is not None and not inactive:
        _set_first_attrs(root, domain_id)
    elif old_id is not None:
        del root.attrib["id"]
    try:
        return xmlcore.format(root)
    finally:
        for el, attr, value in hidden:
            el.set(attr, value)
        if domain_id is not None or old_id is not None:
            root.attrib.pop("id", None)
            if old_id is not None:
                root.set("id", old_id)


def _set_first_attrs(root: etree._Element, domain_id: int) -> None:
    """Put ``id`` right after ``type`` as libvirt does (``<domain type='kvm' id='3'>``)."""
    items = [(k, v) for k, v in root.attrib.items() if k != "id"]
    root.attrib.clear()
    placed = False
    for k, v in items:
        root.set(k, v)
        if k == "type":
            root.set("id", str(domain_id))
            placed = True
    if not placed:
        root.set("id", str(domain_id))
