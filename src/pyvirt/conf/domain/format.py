"""Writing a domain: libvirt's output flags (secure, inactive, running id) over the core writer."""

from __future__ import annotations

from lxml import etree

from ..._core import xmlcore


def format_domain(
    root: etree._Element, *, inactive: bool = False, secure: bool = False, domain_id: int | None = None
) -> str:
    """The document text, as libvirt's formatter writes it for these flags.

    Without ``secure`` the writer leaves out what libvirt keeps for VIR_DOMAIN_XML_SECURE
    (graphics passwords, network disk cookies); ``domain_id`` (a running domain, not
    ``inactive``) is written as ``id='N'`` after ``type``; an inactive definition has no id.
    The tree is not modified: the flags only steer the writer.
    """
    if domain_id is not None and not inactive:
        return xmlcore.format(root, 0, not secure, str(domain_id))
    return xmlcore.format(root, 0, not secure, None, True)
