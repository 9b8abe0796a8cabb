"""The driver-neutral snapshot tree and document (pyvirt.objects.snapshots), on their own."""

from __future__ import annotations

import pytest
from lxml import etree

from pyvirt.conf import DomainDef
from pyvirt.enums import DomainSnapshotListFlags as L
from pyvirt.enums import DomainState
from pyvirt.errors import ErrorNumber, VirtError
from pyvirt.objects.snapshots import SnapshotDoc, SnapshotTree

DOMAIN = """<domain type='test'><name>vm</name><uuid>4dea22b3-1d52-d8f3-2516-782e98ab3fa0</uuid>
<memory>1024</memory><os><type>hvm</type></os>
<devices><disk type='file' device='disk'><source file='/i/vm.img'/><target dev='vda'/></disk>
<disk type='file' device='cdrom'><target dev='hdc' bus='ide'/><readonly/></disk></devices></domain>"""


def make_tree() -> SnapshotTree:
    """a -> (b -> c, d); e a second root; states vary for the filters."""
    tree = SnapshotTree()
    tree.add("a", None, state="running")
    tree.add("b", None, parent_name="a", state="shutoff")
    tree.add("c", None, parent_name="b", state="disk-snapshot", external=True)
    tree.add("d", None, parent_name="a", state="paused")
    tree.add("e", None, state="shutoff")
    tree.current = tree.get("c")
    return tree


def names(nodes) -> list[str]:
    return sorted(n.name for n in nodes)


def test_select_filters() -> None:
    tree = make_tree()
    assert names(tree.select()) == ["a", "b", "c", "d", "e"]
    assert names(tree.select(L.ROOTS)) == ["a", "e"]
    assert names(tree.select(L.LEAVES)) == ["c", "d", "e"]
    assert names(tree.select(L.NO_LEAVES)) == ["a", "b"]
    assert tree.select(L.LEAVES | L.NO_LEAVES) == []
    assert names(tree.select(L.INACTIVE)) == ["b", "e"]
    assert names(tree.select(L.ACTIVE)) == ["a", "d"]
    assert names(tree.select(L.DISK_ONLY)) == ["c"]
    assert len(tree.select(L.ACTIVE | L.INACTIVE | L.DISK_ONLY)) == 5
    assert names(tree.select(L.EXTERNAL)) == ["c"]
    assert tree.select(L.NO_METADATA) == [] and len(tree.select(L.METADATA)) == 5
    a = tree.get("a")
    assert names(tree.select(0, a)) == ["b", "d"]
    assert names(tree.select(L.DESCENDANTS, a)) == ["b", "c", "d"]
    order = [n.name for n in tree.select(L.TOPOLOGICAL)]
    assert order.index("a") < order.index("b") < order.index("c")


def test_remove_reparents_and_moves_current() -> None:
    tree = make_tree()
    tree.current = tree.get("b")
    assert tree.remove(tree.get("b")) is True
    assert tree.get("c").parent_name == "a"
    assert tree.current_name == "a"
    tree.remove(tree.get("a"))
    assert names(tree.roots) == ["c", "d", "e"]
    assert tree.current is None


def test_remove_descendants() -> None:
    tree = make_tree()
    a = tree.get("a")
    assert tree.remove_descendants(a) is True  # c was current
    assert tree.current is a
    assert names(tree) == ["a", "e"] and a.children == []


def test_parent_checks() -> None:
    tree = make_tree()
    for name, parent, text in (
        ("a", "a", "cannot set moment a as its own parent"),
        ("x", "nope", "parent nope for moment x not found"),
        ("a", "c", "parent b would create cycle to a"),
    ):
        with pytest.raises(VirtError) as err:
            tree.check_parent(name, parent)
        assert err.value.code == ErrorNumber.INVALID_ARG
        assert err.value.message.endswith(text)
    tree.check_parent("new", "c")  # fine


def test_relink_all_rejects_cycles_and_missing_parents() -> None:
    tree = SnapshotTree()
    for n in ("x", "y"):
        tree.add(n, None)
    with pytest.raises(VirtError):
        tree.relink_all({"x": "y", "y": "x"})
    with pytest.raises(VirtError):
        tree.relink_all({"x": "zz", "y": None})
    tree.relink_all({"x": None, "y": "x"})
    assert tree.get("y").parent_name == "x"


def test_document_capture_and_on_disk_round_trip() -> None:
    live = DomainDef.from_xml(DOMAIN)
    doc = SnapshotDoc.parse("<domainsnapshot><name>s</name><description>d</description></domainsnapshot>")
    doc.capture(live, live.copy(), DomainState.RUNNING, True)
    text = doc.to_xml("p", current=True)
    root = etree.fromstring(text)
    assert [c.tag for c in root] == [
        "name", "description", "state", "parent", "creationTime", "memory", "disks", "domain", "inactiveDomain",
        "active",
    ]
    assert [(d.get("name"), d.get("snapshot")) for d in root.iterfind("disks/disk")] == [
        ("vda", "internal"), ("hdc", "no")  # an empty cdrom is never snapshotted
    ]
    again, current = SnapshotDoc.parse_element(root, redefine=True, internal=True)
    assert current is True and again.parent_name == "p"
    assert again.to_xml("p", current=True) == text
    assert again.inactive_domain is not None and again.domain.uuid == live.uuid


def test_disk_only_capture_names_overlays() -> None:
    live = DomainDef.from_xml(DOMAIN)
    doc = SnapshotDoc.parse("<domainsnapshot><name>snap1</name></domainsnapshot>")
    doc.capture(live, None, DomainState.RUNNING, True, disk_only=True)
    assert doc.state == "disk-snapshot" and doc.is_external()
    disk = doc.definition.element.find("disks/disk")
    assert disk.find("source").get("file") == "/i/vm.snap1"
