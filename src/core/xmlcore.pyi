"""Type stubs for pyvirt._core.xmlcore (the compiled XML core)."""

from lxml import etree

MAX_DOCUMENT_BYTES: int

class ParseFailure(Exception):
    reason: str
    line: int
    column: int
    context: str
    def __init__(self, reason: str, line: int = ..., column: int = ..., context: str = ...) -> None: ...

def parse(text: str | bytes, max_bytes: int = ...) -> etree._Element: ...
def format(element: etree._Element, indent: int = ...) -> str: ...
def index(root: etree._Element) -> dict[str, list[etree._Element]]: ...
def canonical_order(
    root: etree._Element, ranks: dict[str, dict[str, int]], pruned: frozenset[str]
) -> list[etree._Element]: ...
