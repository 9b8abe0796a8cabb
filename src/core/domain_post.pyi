"""Type stubs for pyvirt._core.domain_post (libvirt's generic domain post-parse)."""

from lxml import etree

def post_parse(root: etree._Element) -> None: ...
