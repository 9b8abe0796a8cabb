"""Loading a test driver ``<node>`` document: ``test:///ABSOLUTE/PATH.xml``.

The format is libvirt's: a ``<node>`` root holding optional ``<cpu>``/``<memory>`` host facts,
then ``<domain>``, ``<network>``, ``<interface>``, ``<pool>`` (with ``<volume>`` children) and
``<device>`` elements, and ``<auth><user password='...'>name</user></auth>``. Any object
element may instead say ``file='other.xml'`` (relative to the node file's directory) to pull
its definition from another document. Domains may carry elements of the test namespace
``http://libvirt.org/schemas/domain/test/1.0``: ``<test:runstate>`` (a DomainState number,
default running), ``<test:transient/>``, ``<test:hasmanagedsave/>`` and predefined
``<test:domainsnapshot>`` documents.

This module reads the node facts and domains; every other family loads its own elements
through the ``load_node`` hook (see :mod:`pyvirt.drivers.test.state`).
"""

from __future__ import annotations

import copy
import os

from lxml import etree

from ...conf.base import parse_xml
from ...enums import DomainState
from ...errors import ErrorDomain, ErrorNumber
from .state import DEFAULT_NODE_INFO, TestState, call_hooks, test_error

__all__ = ["TEST_NS", "load_node_file", "load_node_text", "resolve_include"]

#: the namespace of test driver extensions inside <domain>
TEST_NS = "http://libvirt.org/schemas/domain/test/1.0"


def load_node_file(path: str) -> TestState:
    """A new, private state loaded from the node file at ``path``."""
    root = _parse_file(path, "node", check_root=False)
    state = TestState(source=path)
    try:
        state.node_info = DEFAULT_NODE_INFO
        state.cells = []
        load_node(state, root, base_dir=os.path.dirname(path))
    except BaseException:
        state.close()
        raise
    return state


def load_node_text(state: TestState, text: str, base_dir: str | None) -> None:
    """Load a node document given as text into ``state`` (used for test:///default)."""
    load_node(state, parse_xml(text, source="(test driver)", domain=ErrorDomain.TEST), base_dir)


def load_node(state: TestState, root: etree._Element, base_dir: str | None) -> None:
    """Everything in ``root``, in libvirt's order: node facts, domains, the families, auth."""
    if root.tag != "node":
        raise test_error(ErrorNumber.XML_ERROR, "Root element is not 'node'")
    _load_node_info(state, root)
    from .domains import load_domain_element

    for el in root.findall("domain"):
        el = resolve_include(el, base_dir, "domain")
        load_domain_element(state, el, base_dir)
    call_hooks("load_node", state, root, base_dir)
    _load_auth(state, root)


def resolve_include(el: etree._Element, base_dir: str | None, root_name: str) -> etree._Element:
    """``el`` itself, or the root of the document its ``file=`` attribute names."""
    rel = el.get("file")
    if rel is None:
        return el
    path = rel if os.path.isabs(rel) or base_dir is None else os.path.join(base_dir, rel)
    included = _parse_file(path, root_name, check_root=True)
    parent = el.getparent()
    if parent is not None:
        included.tail = el.tail
        parent.replace(el, included)
    return included


def _parse_file(path: str, root_name: str, *, check_root: bool) -> etree._Element:
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError:
        raise test_error(ErrorNumber.XML_ERROR, f"failed to parse xml document '{path}'") from None
    root = parse_xml(data, source=path, domain=ErrorDomain.TEST)
    if check_root and root.tag != root_name:
        raise test_error(
            ErrorNumber.XML_ERROR, f"expecting root element of '{root_name}', not '{root.tag}'"
        )
    return root


def _long(root: etree._Element, xpath: str, what: str) -> int | None:
    el = root.find(xpath)
    if el is None:
        return None
    text = (el.text or "").strip()
    try:
        return int(text, 0) if text.lower().startswith(("0x", "0o")) else int(text)
    except ValueError:
        raise test_error(ErrorNumber.XML_ERROR, f"invalid node {what} value") from None


def _load_node_info(state: TestState, root: etree._Element) -> None:
    """The optional host facts (libvirt's testParseNodeInfo); absent values keep the default."""
    info = state.node_info._asdict()
    for key, xpath, what in (
        ("nodes", "cpu/nodes", "cpu nodes"),
        ("sockets", "cpu/sockets", "cpu sockets"),
        ("cores", "cpu/cores", "cpu cores"),
        ("threads", "cpu/threads", "cpu threads"),
    ):
        value = _long(root, xpath, what)
        if value is not None:
            info[key] = value
    info["cpus"] = info["cores"] * info["threads"] * info["sockets"] * info["nodes"]
    active = _long(root, "cpu/active", "cpu active")
    if active is not None and active < info["cpus"]:
        info["cpus"] = active
    mhz = _long(root, "cpu/mhz", "cpu mhz")
    if mhz is not None:
        info["mhz"] = mhz
    model = root.find("cpu/model")
    if model is not None and model.text is not None:
        if len(model.text) >= 32:
            raise test_error(ErrorNumber.INTERNAL_ERROR, f"Model {model.text} too big for destination")
        info["model"] = model.text
    memory = _long(root, "memory", "memory")
    if memory is not None:
        info["memory"] = memory
    state.node_info = type(state.node_info)(**info)


def _load_auth(state: TestState, root: etree._Element) -> None:
    users = []
    for el in root.findall("auth/user"):
        name = "".join(el.itertext())
        if not name:
            raise test_error(ErrorNumber.XML_ERROR, "missing username in /node/auth/user field")
        users.append((name, el.get("password")))
    state.auth_users = users


# -- the test: namespace inside <domain> ---------------------------------------------------------


class DomainExtras:
    """What the test namespace says about one domain (libvirt's testDomainNamespaceDef)."""

    __slots__ = ("runstate", "transient", "has_managed_save", "snapshots")

    def __init__(self) -> None:
        self.runstate = int(DomainState.RUNNING)
        self.transient = False
        self.has_managed_save = False
        self.snapshots: list[etree._Element] = []


def split_test_namespace(el: etree._Element) -> tuple[etree._Element, DomainExtras]:
    """A clean copy of ``<domain>`` without test: elements, and what those elements said."""
    extras = DomainExtras()
    clean = copy.deepcopy(el)
    clean.tail = None
    for attr in ("file",):
        clean.attrib.pop(attr, None)
    runstate_text: str | None = None
    for child in list(clean):
        if not isinstance(child.tag, str) or etree.QName(child).namespace != TEST_NS:
            continue
        local = etree.QName(child).localname
        if local == "domainsnapshot":
            snap = copy.deepcopy(child)
            snap.tag = "domainsnapshot"
            extras.snapshots.append(snap)
        elif local == "transient":
            extras.transient = True
        elif local == "hasmanagedsave":
            extras.has_managed_save = True
        elif local == "runstate":
            runstate_text = (child.text or "").strip()
        clean.remove(child)
    etree.cleanup_namespaces(clean)
    if runstate_text is not None:
        try:
            value = int(runstate_text)
            if value < 0:
                raise ValueError
        except ValueError:
            raise test_error(ErrorNumber.XML_ERROR, "invalid runstate") from None
        if value >= len(DomainState):
            raise test_error(ErrorNumber.XML_ERROR, f"runstate '{value}' out of range'")
        extras.runstate = value
    if extras.transient and extras.runstate == DomainState.SHUTOFF:
        raise test_error(ErrorNumber.XML_ERROR, "transient domain cannot have runstate 'shutoff'")
    if extras.has_managed_save and extras.runstate != DomainState.SHUTOFF:
        raise test_error(
            ErrorNumber.XML_ERROR, "domain with managedsave data can only have runstate 'shutoff'"
        )
    return clean, extras
