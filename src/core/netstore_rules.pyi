"""Type stubs for pyvirt._core.netstore_rules (libvirt's network, pool and volume parse rules)."""

from collections.abc import Mapping
from typing import Any

from lxml import etree

from .shape import CompiledShape

FORWARD_MODES: tuple[str, ...]
VOL_TYPES: tuple[str, ...]
RBD_NS: str
FS_NS: str
HOST: int
DEVICE: int
DIR: int
ADAPTER: int
NAME: int
INITIATOR: int
NETWORK: int

def check_object_name(name: str) -> None: ...
def network_post_parse(root: etree._Element, shape: CompiledShape) -> bool: ...
def sanitize_path(path: str) -> str: ...
def pool_post_parse(root: etree._Element, shape: CompiledShape, kinds: Mapping[str, Any]) -> bool: ...
def volume_post_parse(root: etree._Element, shape: CompiledShape, kind: Any, allow_no_capacity: bool = ...) -> None: ...
