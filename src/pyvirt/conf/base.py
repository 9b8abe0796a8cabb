"""The shape every XML model in pyvirt shares: a typed view over one lxml tree.

A model does not copy the document into Python objects. The parsed tree *is* the storage:
``from_xml`` parses (in the compiled core), then runs the model's post-parse (defaults,
normalised units, implicit devices) and validation on the tree; attribute access reads and
writes the tree through descriptors; ``to_xml`` formats the tree in the core. That keeps a
define or a dumpxml free of a Python-level walk over every element, and makes any change a
user makes through an attribute show in the written XML.

Subclasses declare fields with the descriptors below and override ``_post_parse`` and
``_validate``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any, ClassVar, Generic, Self, TypeVar, overload

from lxml import etree

from .._core import xmlcore
from ..errors import ErrorDomain, ErrorNumber, VirtError, virt_error

T = TypeVar("T")
V = TypeVar("V", bound="XMLView")


def _plain(tag: str) -> bool:
    """A bare element name (no path step, namespace or predicate): the core can scan for it."""
    return bool(tag) and not any(ch in tag for ch in "/{}[]*.@():| ")


def _finder(tag: str) -> Callable[[etree._Element], etree._Element | None]:
    """First child ``tag``: a C scan for a plain name, lxml's path engine otherwise."""
    if _plain(tag):
        return lambda el: xmlcore.child(el, tag)
    return lambda el: el.find(tag)


def _all_finder(tag: str) -> Callable[[etree._Element], list[etree._Element]]:
    """All children ``tag`` (same split as :func:`_finder`)."""
    if _plain(tag):
        return lambda el: xmlcore.children(el, tag)
    return lambda el: el.findall(tag)


def xml_error(detail: str, *, domain: int = ErrorDomain.DOMAIN) -> VirtError:
    """libvirt's VIR_ERR_XML_ERROR ("XML error: ...")."""
    return virt_error(ErrorNumber.XML_ERROR, detail, domain=domain)


def parse_xml(text: str | bytes, *, source: str, domain: int = ErrorDomain.XML) -> etree._Element:
    """Parse untrusted text safely; a failure is libvirt's VIR_ERR_XML_DETAIL message.

    ``source`` is the pseudo file name libvirt prints (``domain_definition``,
    ``network_definition``, ...).
    """
    try:
        return xmlcore.parse(text)
    except xmlcore.ParseFailure as exc:
        if exc.line:
            pointer = "-" * max(exc.column - 1, 0) + "^"
            message = f"({source}):{exc.line}: {exc.reason}\n{exc.context}\n{pointer}"
        else:
            message = f"({source}): {exc.reason}"
        raise virt_error(ErrorNumber.XML_DETAIL, message, domain=domain) from None


class XMLView:
    """A typed window onto one element of a document; cheap to create, holds no copies."""

    TAG: ClassVar[str] = ""

    __slots__ = ("_el",)

    def __init__(self, element: etree._Element) -> None:
        self._el = element

    @property
    def element(self) -> etree._Element:
        """The underlying lxml element (for advanced use; changes show in the output)."""
        return self._el

    @classmethod
    def new(cls, **fields: Any) -> Self:
        """A fresh, detached element of this kind with the given fields set."""
        view = cls(etree.Element(cls.TAG))
        for key, value in fields.items():
            setattr(view, key, value)
        return view

    def to_xml(self) -> str:
        return xmlcore.format(self._el)

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self.to_xml() == other.to_xml()  # type: ignore[union-attr]

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.to_xml().splitlines()[0]}>"


class XMLDef(XMLView):
    """A whole top-level document (domain, network, pool, ...)."""

    #: pseudo file name in parse errors, as libvirt prints it
    SOURCE: ClassVar[str] = "definition"
    #: error domain of parse/validation failures
    ERROR_DOMAIN: ClassVar[int] = ErrorDomain.XML

    __slots__ = ()

    @classmethod
    def from_xml(cls, text: str | bytes, *, validate: bool = False, **options: Any) -> Self:
        """Parse, post-parse and validate a document, as libvirt's parse does."""
        root = parse_xml(text, source=cls.SOURCE, domain=cls.ERROR_DOMAIN)
        return cls.from_element(root, validate=validate, **options)

    @classmethod
    def from_element(cls, root: etree._Element, *, validate: bool = False, **options: Any) -> Self:
        """Adopt an already parsed element (it becomes the model's storage)."""
        if root.tag != cls.TAG:
            raise xml_error(
                f"expecting root element of '{cls.TAG}', not '{root.tag}'",  # libvirt's wording
                domain=ErrorDomain.XML,  # reported by libvirt's XML layer, whatever the object
            )
        if validate:
            cls._schema_check(root)
        obj = cls(root)
        obj._post_parse(**options)
        obj._validate()
        return obj

    @classmethod
    def _schema_check(cls, root: etree._Element) -> None:
        """Hook for RelaxNG validation (``validate=True``); see :mod:`pyvirt.conf.schema`."""
        from .schema import validate_against_schema

        validate_against_schema(root, cls.TAG)

    def _post_parse(self, **options: Any) -> None:
        """Defaults and normalisation after parsing; subclasses extend."""

    def _validate(self) -> None:
        """Cross-field checks after post-parse; subclasses extend."""

    def copy(self) -> Self:
        """A deep, independent copy (used for live vs persistent definitions)."""
        return type(self)(copy.deepcopy(self._el))


# ---------------------------------------------------------------------------------------------
# field descriptors


class Attr(Generic[T]):
    """An XML attribute of the element, converted with ``parse``/``format``."""

    def __init__(
        self,
        name: str,
        parse: Callable[[str], T] = str,  # type: ignore[assignment]
        format: Callable[[T], str] = str,
        default: T | None = None,
    ) -> None:
        self.name = name
        self.parse = parse
        self.format = format
        self.default = default

    @overload
    def __get__(self, obj: None, owner: type) -> Attr[T]: ...
    @overload
    def __get__(self, obj: XMLView, owner: type) -> T | None: ...
    def __get__(self, obj: XMLView | None, owner: type) -> Any:
        if obj is None:
            return self
        raw = obj._el.get(self.name)
        return self.default if raw is None else self.parse(raw)

    def __set__(self, obj: XMLView, value: T | None) -> None:
        if value is None:
            obj._el.attrib.pop(self.name, None)
        else:
            obj._el.set(self.name, self.format(value))


class ChildText(Generic[T]):
    """The text of a named child element (created on write, removed when set to None)."""

    def __init__(
        self,
        tag: str,
        parse: Callable[[str], T] = str,  # type: ignore[assignment]
        format: Callable[[T], str] = str,
        default: T | None = None,
    ) -> None:
        self.tag = tag
        self.parse = parse
        self.format = format
        self.default = default
        self._find = _finder(tag)

    def __get__(self, obj: XMLView | None, owner: type) -> Any:
        if obj is None:
            return self
        child = self._find(obj._el)
        if child is None or child.text is None:
            return self.default
        return self.parse(child.text)

    def __set__(self, obj: XMLView, value: T | None) -> None:
        child = self._find(obj._el)
        if value is None:
            if child is not None:
                obj._el.remove(child)
            return
        if child is None:
            child = etree.SubElement(obj._el, self.tag)
        child.text = self.format(value)


class Child(Generic[V]):
    """A single child element seen through a view class (``None`` when absent)."""

    def __init__(self, view: type[V], tag: str | None = None) -> None:
        self.view = view
        self.tag = tag or view.TAG
        self._find = _finder(self.tag)

    def __get__(self, obj: XMLView | None, owner: type) -> Any:
        if obj is None:
            return self
        child = self._find(obj._el)
        return None if child is None else self.view(child)

    def __set__(self, obj: XMLView, value: V | None) -> None:
        old = self._find(obj._el)
        if value is None:
            if old is not None:
                obj._el.remove(old)
            return
        if old is not None:
            old.getparent().replace(old, value.element)
        else:
            obj._el.append(value.element)


class ChildList(Generic[V]):
    """All children with one tag, as a live list-like of views."""

    def __init__(self, view: type[V], tag: str | None = None) -> None:
        self.view = view
        self.tag = tag or view.TAG

    def __get__(self, obj: XMLView | None, owner: type) -> Any:
        if obj is None:
            return self
        return ViewList(obj._el, self.tag, self.view)


class ViewList(Generic[V]):
    """A live sequence of child views; append/remove edit the tree in place."""

    __slots__ = ("_parent", "_tag", "_view")

    def __init__(self, parent: etree._Element, tag: str, view: type[V]) -> None:
        self._parent = parent
        self._tag = tag
        self._view = view

    def _children(self) -> list[etree._Element]:
        if _plain(self._tag):
            return xmlcore.children(self._parent, self._tag)
        return self._parent.findall(self._tag)

    def __len__(self) -> int:
        return len(self._children())

    def __iter__(self) -> Iterator[V]:
        return (self._view(c) for c in self._children())

    def __getitem__(self, index: int) -> V:
        return self._view(self._children()[index])

    def append(self, item: V) -> None:
        kids = self._children()
        if kids:
            kids[-1].addnext(item.element)
        else:
            self._parent.append(item.element)

    def remove(self, item: V) -> None:
        self._parent.remove(item.element)

    def __repr__(self) -> str:
        return f"[{', '.join(repr(v) for v in self)}]"
