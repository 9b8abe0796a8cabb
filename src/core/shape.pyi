"""Type stubs for pyvirt._core.shape (canonical form from compiled shape tables)."""

from typing import Any

from lxml import etree

AVAILABLE: bool

class CompiledShape: ...

def compile_shape(shape: Any, memo: dict[int, CompiledShape] | None = ...) -> CompiledShape: ...
def canonicalize(element: etree._Element, shape: CompiledShape) -> None: ...
