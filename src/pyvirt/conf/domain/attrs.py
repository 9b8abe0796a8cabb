"""Setting attributes at libvirt's position in the attribute list.

libvirt writes attributes in a fixed order (``<controller type='pci' index='1' model=...>``);
a default added with ``set`` would land last. These helpers set the value and then relink the
attribute in place in the compiled core (no rewrite of the whole attribute list).
"""

from __future__ import annotations

from lxml import etree

from ..._core.xmlcore import place_attr
from ..._core.xmlcore import set as aset


def set_first(el: etree._Element, pairs: list[tuple[str, str]]) -> None:
    """Set ``pairs`` as the first attributes, in that order."""
    prev = None
    for name, value in pairs:
        aset(el, name, value)
        place_attr(el, name, prev)
        prev = name


def set_after(el: etree._Element, after: str, pairs: list[tuple[str, str]]) -> None:
    """Set ``pairs`` right after attribute ``after`` (at the end when ``after`` is absent)."""
    prev = after if el.get(after) is not None else None
    for name, value in pairs:
        aset(el, name, value)
        if prev is not None:
            place_attr(el, name, prev)
        prev = name


def set_after_last_of(el: etree._Element, name: str, value: str, after: tuple[str, ...]) -> None:
    """Set ``name`` right after the last present attribute among ``after`` (else first)."""
    anchor = None
    for key in el.attrib:
        if key in after:
            anchor = key
    aset(el, name, value)
    place_attr(el, name, anchor)
