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

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from lxml import etree

try:
    from .._core import shape as _core
except ImportError:  # pragma: no cover - an install without the compiled core
    _core = None  # type: ignore[assignment]

#: the compiled walk when the core provides it (``PYVIRT_PURE_SHAPE=1`` forces the Python one,
#: which shares the tests); both give the same tree
USE_CORE = _core is not None and _core.AVAILABLE and not os.environ.get("PYVIRT_PURE_SHAPE")

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
        self._shapes = {tag: sub for tag, sub in self.children if isinstance(sub, Shape)}
        self._attr_names = frozenset(self.attrs)
        self._hooks = {name: hook for name, hook in self.attrs.items() if hook is not None}


def leaf(*names: str, **normalizers: Normalizer) -> Shape:
    """A childless element with the given attributes (normalised where a hook is given)."""
    attrs: dict[str, Normalizer | None] = {n: None for n in names}
    attrs.update(normalizers)
    return Shape(attrs=attrs)


TEXT = Shape(keep_text=True)


def compiled(shape: Shape) -> _core.CompiledShape:
    """The core's tables for ``shape`` (compiled once, kept on the shape), for the compiled
    parse rules that run the canonical walk themselves."""
    tables = shape.__dict__.get("_compiled")
    if tables is None:
        tables = shape._compiled = _core.compile_shape(shape)  # type: ignore[attr-defined]
    return tables


def canonicalize(el: etree._Element, shape: Shape) -> None:
    """Bring ``el`` (in place) into the canonical form ``shape`` describes.

    The compiled core does it in one C walk over tables compiled once per shape graph;
    :func:`canonicalize_py` is the same walk in Python (fallback and reference).
    """
    if USE_CORE:
        _core.canonicalize(el, compiled(shape))
        return
    canonicalize_py(el, shape)


def canonicalize_py(el: etree._Element, shape: Shape) -> None:
    """The pure-Python walk (what the core's :func:`canonicalize` does, element by element)."""
    attrib = el.attrib
    if attrib:
        names = shape._attr_names  # type: ignore[attr-defined]
        hooks = shape._hooks  # type: ignore[attr-defined]
        keep_unknown = shape.keep_unknown
        for name in attrib.keys():
            hook = hooks.get(name)
            if hook is not None:
                value = hook(attrib[name], el)
                if value is None:
                    del attrib[name]
                else:
                    attrib[name] = value
            elif name not in names and not keep_unknown:
                del attrib[name]
    if not len(el):
        if el.text is not None:
            if shape.text is not None:
                el.text = shape.text(el.text, el)
            elif not shape.keep_text:
                el.text = None  # libvirt reads no text here
        return
    order = shape._order  # type: ignore[attr-defined]
    shapes = shape._shapes  # type: ignore[attr-defined]
    multi = shape._multi  # type: ignore[attr-defined]
    unknown_rank = len(order)
    keep_unknown = shape.keep_unknown
    seen: set[str] = set()
    ranks: list[int] = []
    kept: list[etree._Element] = []
    for child in list(el):
        tag = child.tag
        if not isinstance(tag, str):
            el.remove(child)
            continue
        if multi is not None and tag not in multi:
            if tag in seen:
                el.remove(child)
                continue
            seen.add(tag)
        rank = order.get(tag)
        if rank is None:
            if not keep_unknown:
                el.remove(child)
                continue
            rank = unknown_rank
        else:
            sub = shapes.get(tag)
            if sub is not None:
                canonicalize_py(child, sub)
        ranks.append(rank)
        kept.append(child)
        child.tail = None
    if any(ranks[i] > ranks[i + 1] for i in range(len(ranks) - 1)):
        for _, _, child in sorted(zip(ranks, range(len(kept)), kept, strict=True)):
            el.append(child)  # re-appending moves it: children end up in canonical order
    if el.text is not None and (not shape.keep_text or not el.text.strip()):
        el.text = None


def drop_root_namespaces(root: etree._Element, keep: Iterable[str] = ()) -> etree._Element:
    """``root`` without namespace declarations other than ``keep``.

    libvirt writes a foreign namespace (custom ``<metadata>``) on the element that uses it,
    never on the document root. lxml cannot move a declaration down in place, so this builds a
    new root (same tag and attributes, children moved over, lxml re-declaring what they use)
    and returns it; when there is nothing to drop, ``root`` itself is returned.
    """
    wanted = {prefix: uri for prefix, uri in root.nsmap.items() if uri in set(keep)}
    if len(wanted) == len(root.nsmap):
        return root
    fresh = etree.Element(root.tag, dict(root.attrib), nsmap=wanted or None)
    fresh.text = root.text
    for child in list(root):
        fresh.append(child)
    etree.cleanup_namespaces(fresh)
    return fresh
