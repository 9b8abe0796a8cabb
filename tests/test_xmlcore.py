"""The compiled XML core: safe parsing, libvirt-style formatting, canonical order, node helpers."""

from __future__ import annotations

import pytest
from lxml import etree

from pyvirt._core import xmlcore


def test_parse_and_format_roundtrip() -> None:
    root = xmlcore.parse("<a x=\"1\"><b>t&amp;</b><c/></a>")
    assert xmlcore.format(root) == "<a x='1'>\n  <b>t&amp;</b>\n  <c/>\n</a>\n"


@pytest.mark.parametrize(
    "text",
    [
        '<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>',
        '<!DOCTYPE a SYSTEM "http://example.com/a.dtd"><a/>',
        "<a><b></a>",
        "",
    ],
)
def test_parse_refuses_unsafe_or_malformed(text: str) -> None:
    with pytest.raises(xmlcore.ParseFailure):
        xmlcore.parse(text)


def test_size_limit() -> None:
    with pytest.raises(xmlcore.ParseFailure):
        xmlcore.parse("<a>" + "x" * 100 + "</a>", max_bytes=50)


def test_depth_limit() -> None:
    deep = "<a>" * 300 + "</a>" * 300
    with pytest.raises(xmlcore.ParseFailure):
        xmlcore.parse(deep)


def test_canonical_order_sorts_stably_and_prunes() -> None:
    root = etree.fromstring(
        "<d><c i='1'/><junk/><a/><c i='2'/><b><z/><y/><w/></b><n:q xmlns:n='urn:n'/></d>"
    )
    held = root.find("junk")
    ranks = {".": {"a": 0, "b": 1, "c": 2}, "b": {"y": 0, "z": 1}}
    xmlcore.canonical_order_table(root, xmlcore.compile_order(ranks, frozenset({"."})))
    # unknown children of a pruned path go (the namespaced one too); a held one stays valid
    assert held.tag == "junk" and held.getparent() is None
    assert [el.tag for el in root] == ["a", "b", "c", "c"]
    assert [el.get("i") for el in root.findall("c")] == ["1", "2"]
    # unknown <w/> keeps its place after the last known sibling before it
    assert [el.tag for el in root.find("b")] == ["y", "z", "w"]
    # the tree is still sound for lxml after relinking
    assert etree.tostring(root) == etree.tostring(etree.fromstring(etree.tostring(root)))
    assert root.find("b").getprevious().tag == "a"


def test_child_and_children_ignore_namespaced_and_text() -> None:
    root = etree.fromstring("<d>t<a i='1'/><n:a xmlns:n='urn:n'/><b/><a i='2'/></d>")
    assert xmlcore.child(root, "a").get("i") == "1"
    assert xmlcore.child(root, "zz") is None
    assert [a.get("i") for a in xmlcore.children(root, "a")] == ["1", "2"]


def test_get_matches_lxml() -> None:
    el = etree.fromstring("<a x='1' e='' amp='a&amp;b' n:z='q' xmlns:n='urn:n'/>")
    for name in ("x", "e", "amp", "missing", "z"):
        assert xmlcore.get(el, name) == el.get(name)
    assert xmlcore.get(el, "missing", "dflt") == "dflt"


def test_set_and_add_build_ordinary_nodes() -> None:
    import gc

    root = etree.fromstring("<d><x/></d>")
    xmlcore.set(root[0], "k", "v&<'")
    xmlcore.set(root[0], "k", "second")  # replaces
    made = xmlcore.add(root, "address", None, (("type", "drive"), ("unit", "1")))
    text = xmlcore.add(root, "on_crash", "a<b&c")
    assert made.getparent() is root and list(made.attrib.items()) == [("type", "drive"), ("unit", "1")]
    assert text.text == "a<b&c"
    assert etree.tostring(root) == (
        b'<d><x k="second"/><address type="drive" unit="1"/><on_crash>a&lt;b&amp;c</on_crash></d>'
    )
    # the nodes belong to the document like any other: removable, collectable, copyable
    root.remove(made)
    del made
    gc.collect()
    clone = etree.fromstring(etree.tostring(root))
    assert [c.tag for c in clone] == ["x", "on_crash"]
    assert xmlcore.format(root).count("\n") == 4


def test_permute_swaps_in_place() -> None:
    root = etree.fromstring('<d><a i="1"/><x/><a i="2"/>t<a i="3"/><y/></d>')
    old = root.findall("a")
    xmlcore.permute(root, old, [old[2], old[0], old[1]])
    assert etree.tostring(root) == b'<d><a i="3"/><x/><a i="1"/>t<a i="2"/><y/></d>'
    assert root[0].getnext().tag == "x" and root[-1].getprevious().get("i") == "2"
    with pytest.raises(ValueError):
        xmlcore.permute(root, old, old[:2])
    with pytest.raises(ValueError):
        xmlcore.permute(root, old, [old[0], old[0], old[1]])


def test_metadata_subtree_written_as_libxml2_does() -> None:
    root = etree.fromstring(
        "<domain><metadata><a:x xmlns:a='urn:a' k='q&quot;&apos;&lt;'>it&apos;s <a:y/>&gt;</a:x>"
        "<a:z xmlns:a='urn:z'><a:w v='1'/></a:z></metadata><devices/></domain>"
    )
    out = xmlcore.format(root)
    # double quotes, libxml2's escaping, mixed content kept inline
    assert "<a:x xmlns:a=\"urn:a\" k=\"q&quot;'&lt;\">it's <a:y/>&gt;</a:x>" in out
    assert '    <a:z xmlns:a="urn:z">\n      <a:w v="1"/>\n    </a:z>\n' in out
    # libvirt writes an empty devices container open and closed
    assert "  <devices>\n  </devices>\n" in out
    assert etree.fromstring(out.encode()).find("metadata")[0].text == "it's "
