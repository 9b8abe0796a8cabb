"""Derive the element and attribute names libvirt knows at each path of a domain document.

libvirt's domain parser reads only what it knows (XPath queries for named elements and
attributes), so anything else in a document is silently dropped from its output. Its RelaxNG
schema (``schemas/domain.rng`` and what it includes) describes what it knows: walking the
schema from its start pattern gives, for every element path, the child element names and
attribute names possible there. The post-parse drops every other name at those paths.

Run::

    python3 -m pyvirt.conf.domain.known_gen CORPUS > src/pyvirt/conf/domain/known_data.py

Only names, and whether an element may hold character data at all, are taken from the
schema: libvirt reads text only where its schema has some (``<text/>``, ``<data>``,
``<value>``, ``<list>``, ``<mixed>`` in the element's own content, refs followed), so text in
any other element is dropped. A path is *open* (nothing is dropped there) for
elements or attributes when the schema allows any name there (``anyName``/``nsName``, e.g.
inside ``<metadata>``); a path the walk does not reach (below an open path) has no entry and
is open too. Recursive patterns (nested ``<backingStore>``) become aliases: a path whose
schema patterns are those of an ancestor with the same name uses that ancestor's entry.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

RNG = "{http://relaxng.org/ns/structure/1.0}"

#: a path deeper than this that is not an alias stays open (no entry): a safety net for a
#: recursion the alias rule does not catch
MAX_DEPTH = 24


def _local(node: etree._Element) -> str:
    tag = node.tag
    if not isinstance(tag, str) or not tag.startswith(RNG):
        return ""
    return tag[len(RNG) :]


def _children(node: etree._Element) -> list[etree._Element]:
    return [c for c in node if _local(c)]


def _inherited_ns(node: etree._Element) -> str:
    """The ``ns`` in force at ``node`` (RelaxNG inherits it from the nearest ancestor)."""
    while node is not None:
        ns = node.get("ns")
        if ns is not None:
            return ns
        node = node.getparent()
    return ""


@dataclass
class Names:
    """A name class reduced to what matters here: plain names, and whether any is allowed."""

    plain: set[str] = field(default_factory=set)
    wild: bool = False


def _name_class(nc: etree._Element, owner_is_attribute: bool) -> Names:
    out = Names()
    kind = _local(nc)
    if kind == "name":
        ns = nc.get("ns", "" if owner_is_attribute else _inherited_ns(nc))
        name = (nc.text or "").strip()
        if ns == "" and ":" not in name:
            out.plain.add(name)
    elif kind == "choice":
        for c in _children(nc):
            sub = _name_class(c, owner_is_attribute)
            out.plain |= sub.plain
            out.wild |= sub.wild
    elif kind == "anyName":
        out.wild = True
    elif kind == "nsName":
        ns = nc.get("ns", "" if owner_is_attribute else _inherited_ns(nc))
        out.wild = ns == ""
    return out


def _pattern_names(node: etree._Element) -> tuple[Names, list[etree._Element]]:
    """The name class of an ``<element>``/``<attribute>`` and its content patterns."""
    is_attr = _local(node) == "attribute"
    kids = _children(node)
    name = node.get("name")
    if name is not None:
        ns = node.get("ns", "" if is_attr else _inherited_ns(node))
        names = Names()
        if ns == "" and ":" not in name:
            names.plain.add(name)
        return names, kids
    if not kids:
        return Names(), []
    return _name_class(kids[0], is_attr), kids[1:]


@dataclass
class Content:
    """What one pattern allows directly inside an element."""

    attrs: set[str] = field(default_factory=set)
    attrs_open: bool = False
    elements: list[int] = field(default_factory=list)  # ids of <element> patterns
    text: bool = False  # character data allowed directly inside (text, data, value, list)

    def merge(self, other: Content) -> None:
        self.attrs |= other.attrs
        self.attrs_open |= other.attrs_open
        self.text |= other.text
        for e in other.elements:
            if e not in self.elements:
                self.elements.append(e)


class Schema:
    def __init__(self, main: Path) -> None:
        self.defines: dict[str, list[etree._Element]] = {}
        self.start: list[etree._Element] = []
        self.elements: list[etree._Element] = []
        self.element_names: list[Names] = []
        self._element_id: dict[etree._Element, int] = {}
        self._define_content: dict[str, Content] = {}
        self._element_content: dict[int, Content] = {}
        self._loaded: set[Path] = set()
        self._load(main, top=True)

    def _load(self, path: Path, top: bool = False) -> None:
        path = path.resolve()
        if path in self._loaded:
            return
        self._loaded.add(path)
        root = etree.parse(str(path)).getroot()
        self._grammar(root, path.parent, top)

    def _grammar(self, grammar: etree._Element, base: Path, top: bool) -> None:
        for node in _children(grammar):
            kind = _local(node)
            if kind == "include":
                overridden = {d.get("name") for d in _children(node) if _local(d) == "define"}
                before = {name: list(v) for name, v in self.defines.items()}
                self._load(base / node.get("href"))
                for name in overridden:  # an include's own defines replace the included ones
                    self.defines[name] = before.get(name, [])
                self._grammar(node, base, top=False)
            elif kind == "define":
                self.defines.setdefault(node.get("name"), []).append(node)
            elif kind == "start" and top:
                self.start.extend(_children(node))
            elif kind == "div":
                self._grammar(node, base, top)

    def element_id(self, node: etree._Element) -> int:
        eid = self._element_id.get(node)
        if eid is None:
            eid = len(self.elements)
            self._element_id[node] = eid
            self.elements.append(node)
            self.element_names.append(_pattern_names(node)[0])
        return eid

    def content(self, patterns: list[etree._Element]) -> Content:
        out = Content()
        for p in patterns:
            self._collect(p, out)
        return out

    def _collect(self, p: etree._Element, out: Content) -> None:
        kind = _local(p)
        if kind == "element":
            eid = self.element_id(p)
            if eid not in out.elements:
                out.elements.append(eid)
        elif kind == "attribute":
            names, _ = _pattern_names(p)
            out.attrs |= names.plain
            out.attrs_open |= names.wild
        elif kind == "ref":
            out.merge(self.define_content(p.get("name")))
        elif kind in ("parentRef", "externalRef"):
            raise ValueError(f"{kind} is not supported by this generator")
        elif kind in ("choice", "group", "interleave", "optional", "zeroOrMore", "oneOrMore", "mixed"):
            out.text |= kind == "mixed"
            for c in _children(p):
                self._collect(c, out)
        elif kind in ("text", "data", "value", "list"):
            out.text = True  # no names; an attribute's own data never gets here
        # empty, notAllowed: nothing

    def define_content(self, name: str) -> Content:
        got = self._define_content.get(name)
        if got is None:
            if name not in self.defines:
                raise KeyError(f"undefined pattern {name!r}")
            self._define_content[name] = Content()  # refs recurse only through elements
            got = Content()
            for d in self.defines[name]:
                got.merge(self.content(_children(d)))
            self._define_content[name] = got
        return got

    def element_content(self, eid: int) -> Content:
        got = self._element_content.get(eid)
        if got is None:
            got = self.content(_pattern_names(self.elements[eid])[1])
            self._element_content[eid] = got
        return got


@dataclass
class Entry:
    elements: tuple[str, ...] | None  # None: any name is kept
    attributes: tuple[str, ...] | None
    text: bool  # some variant of the element at this path has character data


def known_paths(schema: Schema, root_name: str = "domain") -> tuple[dict[str, Entry], dict[str, str]]:
    """Walk element paths from the start pattern: ``(entries, aliases)``."""
    start = schema.content(schema.start)
    roots = frozenset(e for e in start.elements if root_name in schema.element_names[e].plain)
    entries: dict[str, Entry] = {}
    aliases: dict[str, str] = {}
    patterns_at: dict[str, frozenset[int]] = {}
    todo: list[tuple[str, frozenset[int]]] = [(".", roots)]
    while todo:
        path, pset = todo.pop()
        patterns_at[path] = pset
        content = Content()
        for eid in sorted(pset):
            content.merge(schema.element_content(eid))
        by_name: dict[str, set[int]] = {}
        wild: set[int] = set()
        for eid in content.elements:
            names = schema.element_names[eid]
            if names.wild:
                wild.add(eid)
            for n in names.plain:
                by_name.setdefault(n, set()).add(eid)
        entries[path] = Entry(
            None if wild else tuple(sorted(by_name)),
            None if content.attrs_open else tuple(sorted(content.attrs)),
            content.text,
        )
        for name in sorted(by_name):
            child = name if path == "." else f"{path}/{name}"
            cset = frozenset(by_name[name] | wild)
            target = _ancestor_alias(child, cset, patterns_at)
            if target is not None:
                aliases[child] = target
            elif child.count("/") < MAX_DEPTH:
                todo.append((child, cset))
    return entries, aliases


def _ancestor_alias(child: str, cset: frozenset[int], patterns_at: dict[str, frozenset[int]]) -> str | None:
    parts = child.split("/")
    name = parts[-1]
    for i in range(len(parts) - 1, 0, -1):
        if parts[i - 1] == name:
            anc = "/".join(parts[:i])
            if patterns_at.get(anc) == cset:
                return anc
    return None


def _names(names: tuple[str, ...] | None) -> str:
    return "*" if names is None else " ".join(names)


def main(argv: list[str]) -> int:
    corpus = Path(argv[0])
    schema = Schema(corpus / "schemas" / "domain.rng")
    entries, aliases = known_paths(schema)
    print('"""Generated by known_gen.py from libvirt\'s domain RelaxNG schema: names known per path.')
    print()
    print("Regenerate with ``python3 -m pyvirt.conf.domain.known_gen CORPUS >")
    print("src/pyvirt/conf/domain/known_data.py``. One line per element path: ``path|child element")
    print("names|attribute names|T``, ``*`` where any name is allowed, ``T`` where the element may")
    print("hold character data (``-``: libvirt drops its text); a path with no line is open.")
    print("``KNOWN_ALIASES`` maps a recursive path to the ancestor whose entry it shares. (Text, not")
    print("Python literals: a module of ~8000 string literals takes ~10 ms to compile at start-up.)")
    print('"""')
    print()
    print("KNOWN_ALIASES: dict[str, str] = {")
    for path in sorted(aliases):
        print(f"    {path!r}: {aliases[path]!r},")
    print("}")
    print()
    print('_TEXT = """\\')
    for path in sorted(entries):
        e = entries[path]
        print(f"{path}|{_names(e.elements)}|{_names(e.attributes)}|{'T' if e.text else '-'}")
    print('"""')
    print()
    print()
    print("def _parse() -> dict[str, tuple[tuple[str, ...] | None, tuple[str, ...] | None]]:")
    print("    out = {}")
    print("    for line in _TEXT.splitlines():")
    print('        path, elements, attributes, text = line.split("|")')
    print('        if text == "-":')
    print("            TEXT_FREE_PATHS.add(path)")
    print("        out[path] = (")
    print('            None if elements == "*" else tuple(elements.split()),')
    print('            None if attributes == "*" else tuple(attributes.split()),')
    print("        )")
    print("    return out")
    print()
    print()
    print("#: paths whose element holds no character data in any variant of libvirt's schema")
    print("TEXT_FREE_PATHS: set[str] = set()")
    print()
    print("#: path -> (child element names, attribute names), None where any name is allowed")
    print("KNOWN_BY_PATH = _parse()")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
