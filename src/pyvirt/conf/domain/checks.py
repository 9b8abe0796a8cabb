"""Cross-field checks after the post-parse (libvirt's domain validation)."""

from __future__ import annotations

from lxml import etree

from ...errors import ErrorDomain, ErrorNumber, virt_error


def validate_domain(root: etree._Element) -> None:
    """Raise libvirt's error for the first inconsistency found."""
    mem = root.find("memory")
    if mem is None or mem.text in (None, "0"):
        raise virt_error(
            ErrorNumber.XML_ERROR,
            "Memory size must be specified via <memory> or in the <numa> configuration",
            domain=ErrorDomain.DOMAIN,
        )
