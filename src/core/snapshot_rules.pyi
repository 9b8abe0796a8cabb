"""Type stubs for pyvirt._core.snapshot_rules (libvirt's domain snapshot parse rules)."""

from collections.abc import Callable

from lxml import etree

from .shape import CompiledShape

SNAPSHOT_STATES: tuple[str, ...]
SNAPSHOT_LOCATIONS: tuple[str, ...]

def snapshot_post_parse(
    root: etree._Element,
    shape: CompiledShape,
    disk_shape: CompiledShape,
    adopt: Callable[[etree._Element], None],
    redefine: bool = ...,
    internal: bool = ...,
    creation_time: int | None = ...,
    state: str | None = ...,
    offline: bool = ...,
) -> None: ...
