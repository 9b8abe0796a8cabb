"""Type stubs for pyvirt._core.domain_checks (libvirt's cross-field checks of a domain)."""

from lxml import etree

def validate_domain(root: etree._Element) -> None: ...
