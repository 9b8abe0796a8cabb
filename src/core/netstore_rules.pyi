"""Type stubs for pyvirt._core.netstore_rules (libvirt's network, pool and volume parse rules)."""

from lxml import etree

from .shape import CompiledShape

FORWARD_MODES: tuple[str, ...]

def check_object_name(name: str) -> None: ...
def network_post_parse(root: etree._Element, shape: CompiledShape) -> bool: ...
