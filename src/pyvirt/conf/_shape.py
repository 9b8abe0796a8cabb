"""Declarative element shapes: which attributes and children libvirt keeps, and in what order.

libvirt's formatters write a fixed set of elements in a fixed order and silently drop anything
they do not know. For the smaller formats (network, storage, snapshot, interface, node device)
pyvirt describes that with a :class:`Shape` per element and lets :func:`canonicalize` bring a
parsed tree into libvirt's canonical form in one pass: unknown attributes and elements are
removed, known children are put in the formatter's order, nested shapes are applied
recursively. The models then only code what is genuinely semantic (defaults, value
normalisation, cross-field checks).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from lxml import etree

#: A per-attribute (or text) hook: gets the value and the element, returns the value to keep
#: (``None`` drops it). It may raise a VirtError for an invalid value.
Normalizer = Callable[[str, etree._Element], "str | None"]

#: Placeholder meaning "keep this child's whole subtree exactly as written".
VERBATIM = "verbatim"


@dataclass
class Shape:
    """What libvirt keeps of one element.

    ``attrs`` maps attribute names to an optional normalizer; ``children`` lists the known
    child tags in the formatter's order with their shapes (``None``: keep only the text,
    :data:`VERBATIM`: keep the subtree untouched). ``text`` normalises the element's own
    text. ``keep_unknown`` keeps what is not declared (for namespaced extension data).
    """

    attrs: Mapping[str, Normalizer | None] = field(default_factory=dict)
    children: Iterable[tuple[str, Shape | str | None]] = ()
    text: Normalizer | None = None
    keep_unknown: bool = False
    keep_text: bool = False
    #: when set, only these child tags may repeat; of any other tag libvirt reads the first
    #: occurrence (XPath ``tag[1]``) and the rest are dropped
    multi: Iterable[str] | None = None

    def __post_init__(self) -> None:
        self.children = tuple(self.children)
        self._multi = None if self.multi is None else frozenset(self.multi)
        self._order = {tag: i for i, (tag, _) in enumerate(self.children)}
        self._shapes = dict(self.children)


def leaf(*names: str, **normalizers: Normalizer) -> Shape:
    """A childless element with the given attributes (normalised where a hook is given)."""
    attrs: dict[str, Normalizer | None] = {n: None for n in names}
    attrs.update(normalizers)
    return Shape(attrs=attrs)


TEXT = Shape(keep_text=True)


def canonicalize(el: etree._Element, shape: Shape) -> None:
    """Bring ``el`` (in place) into the canonical form ``shape`` describes."""
    attrib = el.attrib
    for name in list(attrib):
        if name in shape.attrs:
            hook = shape.attrs[name]
            if hook is not None:
                value = hook(attrib[name], el)
                if value is None:
                    del attrib[name]
                else:
                    attrib[name] = value
        elif not shape.keep_unknown and not name.startswith("{"):
            del attrib[name]
    kids = [c for c in el if isinstance(c.tag, str)]
    if not kids:
        if el.text is not None and shape.text is not None:
            el.text = shape.text(el.text, el)
        elif el.text is not None and not shape.keep_text:
            el.text = None  # libvirt reads no text here
        return
    order = shape._order  # type: ignore[attr-defined]
    shapes = shape._shapes  # type: ignore[attr-defined]
    keep: list[tuple[int, int, etree._Element]] = []
    multi = shape._multi  # type: ignore[attr-defined]
    seen: set[str] = set()
    for pos, child in enumerate(kids):
        tag = child.tag
        if multi is not None and tag not in multi:
            if tag in seen:
                el.remove(child)
                continue
            seen.add(tag)
        if tag in order:
            keep.append((order[tag], pos, child))
            sub = shapes[tag]
            if isinstance(sub, Shape):
                canonicalize(child, sub)
        elif shape.keep_unknown or tag.startswith("{"):
            keep.append((len(order), pos, child))
        else:
            el.remove(child)
    keep.sort(key=lambda item: (item[0], item[1]))
    for _, _, child in keep:
        el.append(child)  # re-appending moves it: children end up in canonical order
    for child in el:
        child.tail = None
    if el.text is not None and (not el.text.strip() or not shape.keep_text):
        el.text = None


def child_order(el: etree._Element, order: Iterable[str]) -> None:
    """Reorder only the known children of ``el`` (unknown ones keep their place at the end)."""
    rank = {tag: i for i, tag in enumerate(order)}
    kids = list(el)
    kids.sort(key=lambda c: rank.get(c.tag, len(rank)) if isinstance(c.tag, str) else len(rank))
    for child in kids:
        el.append(child)
