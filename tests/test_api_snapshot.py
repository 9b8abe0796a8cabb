"""Domain snapshots through the public API on the test driver.

Each test opens its own ``test:///PATH.xml`` state (a node file with no objects), so tests
cannot see each other's snapshots; the default-domain checks use ``test:///default``.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest

import pyvirt
from pyvirt.enums import (
    DomainEventStartedDetail,
    DomainEventStoppedDetail,
    DomainEventSuspendedDetail,
    DomainEventType,
    DomainPausedReason,
    DomainRunningReason,
    DomainShutoffReason,
    DomainState,
)
from pyvirt.errors import ErrorDomain, ErrorNumber, VirtError

UUID = "4dea22b3-1d52-d8f3-2516-782e98ab3fa0"


def domain_xml(memory: int = 1048576, name: str = "vm", uuid: str = UUID) -> str:
    return f"""<domain type='test'>
  <name>{name}</name>
  <uuid>{uuid}</uuid>
  <memory>{memory}</memory>
  <vcpu>1</vcpu>
  <os><type>hvm</type></os>
  <devices>
    <disk type='file' device='disk'>
      <source file='/images/{name}.qcow2'/>
      <target dev='vda' bus='virtio'/>
    </disk>
  </devices>
</domain>"""


def memory_of(xml: str) -> int:
    match = re.search(r"<memory unit='KiB'>(\d+)</memory>", xml)
    assert match, xml
    return int(match.group(1))


@pytest.fixture
def conn(tmp_path: Path):
    node = tmp_path / "node.xml"
    node.write_text("<node/>\n")
    with pyvirt.open(f"test://{node}") as c:
        yield c


@pytest.fixture
def dom(conn):
    d = conn.define_domain(domain_xml())
    d.start()
    return d


class Recorder:
    """Collects lifecycle events; ``wait`` flushes the driver's event queue first."""

    def __init__(self, conn) -> None:
        self.conn = conn
        self.events: list[tuple[int, int]] = []
        self.lock = threading.Lock()
        self.id = conn.register_event(self._cb)

    def _cb(self, ev) -> None:
        with self.lock:
            self.events.append((int(ev.event), int(ev.detail)))

    def take(self) -> list[tuple[int, int]]:
        assert self.conn.driver.state.events.flush(5.0)
        with self.lock:
            out, self.events = self.events, []
        return out


def names(snaps) -> list[str]:
    return [s.name for s in snaps]


# -- create, lookup, xml ---------------------------------------------------------------------------


def test_create_with_name_and_description(dom) -> None:
    snap = dom.create_snapshot(name="s1", description="first & <best>")
    assert snap.name == "s1"
    xml = snap.xml()
    assert "<name>s1</name>" in xml
    assert "<description>first &amp; &lt;best&gt;</description>" in xml
    assert "<state>running</state>" in xml
    assert "<memory snapshot='internal'/>" in xml
    assert "<disk name='vda' snapshot='internal'/>" in xml
    assert re.search(r"<creationTime>\d+</creationTime>", xml)
    assert "<parent>" not in xml
    # the live definition is embedded, plus the persistent one of a running persistent domain
    assert "<domain type='test'>" in xml and "<inactiveDomain type='test'>" in xml
    assert dom.lookup_snapshot("s1") == snap


def test_unnamed_snapshot_is_named_after_its_creation_time(dom) -> None:
    snap = dom.create_snapshot()
    created = re.search(r"<creationTime>(\d+)</creationTime>", snap.xml()).group(1)
    assert snap.name == created


def test_create_from_xml_and_inactive_state(conn) -> None:
    d = conn.define_domain(domain_xml())
    snap = d.create_snapshot("<domainsnapshot><name>off</name></domainsnapshot>")
    xml = snap.xml()
    assert "<state>shutoff</state>" in xml
    assert "<memory snapshot='no'/>" in xml
    assert "<inactiveDomain" not in xml  # a shut-off domain has only one definition


def test_duplicate_name_is_refused(dom) -> None:
    dom.create_snapshot(name="s1")
    with pytest.raises(VirtError) as err:
        dom.create_snapshot(name="s1")
    assert err.value.code == ErrorNumber.OPERATION_FAILED
    assert "s1 already exists" in err.value.message


def test_bad_disk_requests(dom) -> None:
    with pytest.raises(VirtError) as err:
        dom.create_snapshot("<domainsnapshot><disks><disk name='vdz'/></disks></domainsnapshot>")
    assert err.value.code == ErrorNumber.CONFIG_UNSUPPORTED
    assert "no disk named 'vdz'" in err.value.message
    with pytest.raises(VirtError):
        dom.create_snapshot("<domainsnapshot><disks><disk name='vda' snapshot='external'/></disks></domainsnapshot>")
    assert dom.snapshot_count() == 0


def test_lookup_missing_and_no_current(dom) -> None:
    with pytest.raises(VirtError) as err:
        dom.lookup_snapshot("nope")
    assert err.value.code == ErrorNumber.NO_DOMAIN_SNAPSHOT
    assert err.value.message == "Domain snapshot not found: no domain snapshot with matching name 'nope'"
    assert dom.has_current_snapshot() is False
    with pytest.raises(VirtError) as err:
        dom.current_snapshot()
    assert err.value.code == ErrorNumber.NO_DOMAIN_SNAPSHOT


def test_parent_child_and_current(dom) -> None:
    a = dom.create_snapshot(name="a")
    b = dom.create_snapshot(name="b")
    assert b.parent() == a
    assert "<parent>\n    <name>a</name>\n  </parent>" in b.xml()
    assert dom.current_snapshot() == b and b.is_current() and not a.is_current()
    assert dom.has_current_snapshot()
    with pytest.raises(VirtError) as err:
        a.parent()
    assert err.value.code == ErrorNumber.NO_DOMAIN_SNAPSHOT
    assert "does not have a parent" in err.value.message
    assert a.has_metadata()


def test_stale_handle_fails(dom) -> None:
    a = dom.create_snapshot(name="a")
    a.delete()
    with pytest.raises(VirtError) as err:
        a.xml()
    assert err.value.code == ErrorNumber.NO_DOMAIN_SNAPSHOT


# -- listing -------------------------------------------------------------------------------------


@pytest.fixture
def tree(dom):
    """a -> b -> c, a -> d (via revert to a), e made while shut off under d."""
    a = dom.create_snapshot(name="a")
    dom.create_snapshot(name="b")
    dom.create_snapshot(name="c")
    a.revert()
    dom.create_snapshot(name="d")
    dom.destroy()
    dom.create_snapshot(name="e")
    return dom


def test_list_all_and_counts(tree) -> None:
    assert sorted(tree.snapshot_names()) == ["a", "b", "c", "d", "e"]
    assert tree.snapshot_count() == 5
    assert sorted(names(tree.snapshots())) == ["a", "b", "c", "d", "e"]


def test_list_roots_leaves(tree) -> None:
    assert names(tree.snapshots(roots=True)) == ["a"]
    assert sorted(names(tree.snapshots(leaves=True))) == ["c", "e"]
    assert sorted(names(tree.snapshots(leaves=False))) == ["a", "b", "d"]
    # both halves of the status group is no filter; leaves with no-leaves matches nothing
    assert tree.snapshot_count(flags=32 | 64 | 128) == 5
    assert tree.snapshot_count(flags=4 | 8) == 0


def test_list_topological_parents_first(tree) -> None:
    order = names(tree.snapshots(topological=True))
    assert sorted(order) == ["a", "b", "c", "d", "e"]
    for snap in tree.snapshots():
        try:
            parent = snap.parent().name
        except VirtError:
            continue
        assert order.index(parent) < order.index(snap.name)


def test_list_by_state_and_metadata(tree) -> None:
    assert sorted(names(tree.snapshots(active=True))) == ["a", "b", "c", "d"]
    assert names(tree.snapshots(inactive=True)) == ["e"]
    assert tree.snapshots(disk_only=True) == []
    assert tree.snapshot_count(metadata=True) == 5
    assert tree.snapshot_count(metadata=False) == 0
    assert tree.snapshot_count(internal=True) == 5
    assert tree.snapshot_count(external=True) == 0


def test_children_and_descendants(tree) -> None:
    a = tree.lookup_snapshot("a")
    assert sorted(names(a.children())) == ["b", "d"]
    assert sorted(names(a.children(descendants=True))) == ["b", "c", "d", "e"]
    assert a.num_children() == 2
    assert a.num_children(descendants=True) == 4
    assert sorted(a.children_names(descendants=True, leaves=True)) == ["c", "e"]
    desc = names(a.children(descendants=True, topological=True))
    assert desc.index("b") < desc.index("c") and desc.index("d") < desc.index("e")


def test_unknown_list_flag_is_refused(tree) -> None:
    with pytest.raises(VirtError) as err:
        tree.snapshots(flags=1 << 11)
    assert err.value.code == ErrorNumber.INVALID_ARG
    assert "unsupported flags (0x800)" in err.value.message


# -- delete --------------------------------------------------------------------------------------


def test_delete_reparents_children_and_moves_current(tree) -> None:
    d = tree.lookup_snapshot("d")
    assert tree.current_snapshot().name == "e"
    d.delete()
    assert tree.lookup_snapshot("e").parent().name == "a"
    assert "<name>a</name>" in tree.lookup_snapshot("e").xml()
    tree.lookup_snapshot("e").delete()
    assert tree.current_snapshot().name == "a"  # the marker moved up to the parent


def test_delete_children(tree) -> None:
    a = tree.lookup_snapshot("a")
    tree.lookup_snapshot("b").delete(children=True)
    assert sorted(tree.snapshot_names()) == ["a", "d", "e"]
    assert tree.current_snapshot().name == "e"
    tree.lookup_snapshot("d").delete(children=True)
    assert tree.snapshot_names() == ["a"]
    assert tree.current_snapshot() == a  # current was inside the deleted subtree


def test_delete_children_only(tree) -> None:
    a = tree.lookup_snapshot("a")
    a.delete(children_only=True)
    assert tree.snapshot_names() == ["a"]
    assert tree.current_snapshot() == a


def test_delete_metadata_only_and_root(tree) -> None:
    tree.lookup_snapshot("a").delete(metadata_only=True)
    assert sorted(names(tree.snapshots(roots=True))) == ["b", "d"]


def test_delete_flag_conflict(tree) -> None:
    with pytest.raises(VirtError) as err:
        tree.lookup_snapshot("a").delete(children=True, children_only=True)
    assert err.value.code == ErrorNumber.INVALID_ARG
    assert "mutually exclusive" in err.value.message
    assert tree.snapshot_count() == 5


# -- revert: definitions (the QEMU driver's rule) ---------------------------------------------------


def test_revert_running_restores_live_and_persistent_definitions(conn) -> None:
    d = conn.define_domain(domain_xml(1000 * 1024))  # A
    d.start()
    conn.define_domain(domain_xml(2000 * 1024))  # B: config only
    snap = d.create_snapshot(name="s1")
    conn.define_domain(domain_xml(3000 * 1024))  # C
    snap.revert()
    assert d.state()[0] == DomainState.RUNNING
    assert memory_of(d.xml()) == 1000 * 1024  # live: A
    assert memory_of(d.xml(inactive=True)) == 2000 * 1024  # persistent: B
    d.destroy()
    assert memory_of(d.xml()) == 2000 * 1024  # after shutdown: B


def test_revert_shutoff_restores_definition(conn) -> None:
    d = conn.define_domain(domain_xml(1000 * 1024))  # A
    snap = d.create_snapshot(name="s0")
    conn.define_domain(domain_xml(2000 * 1024))  # B
    snap.revert()
    assert d.state()[0] == DomainState.SHUTOFF
    assert memory_of(d.xml(inactive=True)) == 1000 * 1024


def test_revert_old_snapshot_without_inactive_domain_uses_domain(conn) -> None:
    d = conn.define_domain(domain_xml(1000 * 1024))
    d.start()
    snap = d.create_snapshot(name="s1")
    xml = re.sub(r"<inactiveDomain.*</inactiveDomain>\n", "", snap.xml(), flags=re.S)
    snap.delete()
    old = d.create_snapshot(xml, redefine=True)
    assert "<inactiveDomain" not in old.xml()
    conn.define_domain(domain_xml(3000 * 1024))
    old.revert()
    assert memory_of(d.xml()) == 1000 * 1024
    assert memory_of(d.xml(inactive=True)) == 1000 * 1024


# -- revert: states and events ----------------------------------------------------------------------


def test_revert_inactive_snapshot_of_running_domain_stops_it(conn) -> None:
    rec = Recorder(conn)
    d = conn.define_domain(domain_xml())
    off = d.create_snapshot(name="off")
    d.start()
    rec.take()
    off.revert()
    assert d.state() == (DomainState.SHUTOFF, DomainShutoffReason.FROM_SNAPSHOT)
    assert rec.take() == [(DomainEventType.STOPPED, DomainEventStoppedDetail.FROM_SNAPSHOT)]
    assert d.current_snapshot() == off


def test_revert_running_snapshot_of_stopped_domain_starts_it(dom) -> None:
    rec = Recorder(dom.connection)
    snap = dom.create_snapshot(name="on")
    dom.destroy()
    rec.take()
    snap.revert()
    assert dom.state() == (DomainState.RUNNING, DomainRunningReason.FROM_SNAPSHOT)
    assert rec.take() == [(DomainEventType.STARTED, DomainEventStartedDetail.FROM_SNAPSHOT)]
    dom.destroy()
    rec.take()
    snap.revert(paused=True)
    assert dom.state() == (DomainState.PAUSED, DomainPausedReason.FROM_SNAPSHOT)
    assert rec.take() == [
        (DomainEventType.STARTED, DomainEventStartedDetail.FROM_SNAPSHOT),
        (DomainEventType.SUSPENDED, DomainEventSuspendedDetail.FROM_SNAPSHOT),
    ]
    first_id = dom.id
    snap.revert(running=True)  # an active guest is respawned from the snapshot
    assert dom.state() == (DomainState.RUNNING, DomainRunningReason.FROM_SNAPSHOT)
    assert rec.take() == [
        (DomainEventType.STOPPED, DomainEventStoppedDetail.FROM_SNAPSHOT),
        (DomainEventType.STARTED, DomainEventStartedDetail.FROM_SNAPSHOT),
    ]
    assert dom.id != first_id


def test_revert_inactive_snapshot_with_running_flag(conn) -> None:
    d = conn.define_domain(domain_xml())
    off = d.create_snapshot(name="off")
    off.revert(running=True)
    assert d.state()[0] == DomainState.RUNNING
    first_id = d.id
    off.revert(paused=True)  # the running guest is stopped and started again, paused
    assert d.state() == (DomainState.PAUSED, DomainPausedReason.FROM_SNAPSHOT)
    assert d.id != first_id
    with pytest.raises(VirtError) as err:
        off.revert(running=True, paused=True)
    assert err.value.code == ErrorNumber.INVALID_ARG


def test_revert_transient_domain_to_inactive_snapshot_needs_run_flag(conn) -> None:
    d = conn.define_domain(domain_xml())
    off = d.create_snapshot(name="off")
    d.start()
    snap_xml = off.xml()
    d.undefine()  # now transient while running
    assert not d.is_persistent()
    assert snap_xml
    with pytest.raises(VirtError) as err:
        off.revert()
    assert err.value.code == ErrorNumber.OPERATION_INVALID
    assert "transient domain needs to request run or pause" in err.value.message


# -- create flags -------------------------------------------------------------------------------------


def test_halt_stops_the_domain(dom) -> None:
    rec = Recorder(dom.connection)
    rec.take()
    snap = dom.create_snapshot(name="h", halt=True)
    assert dom.state() == (DomainState.SHUTOFF, DomainShutoffReason.FROM_SNAPSHOT)
    assert "<state>running</state>" in snap.xml()
    assert rec.take() == [(DomainEventType.STOPPED, DomainEventStoppedDetail.FROM_SNAPSHOT)]


def test_halt_refused_for_transient(conn) -> None:
    d = conn.create_domain(domain_xml())
    with pytest.raises(VirtError) as err:
        d.create_snapshot(halt=True)
    assert err.value.code == ErrorNumber.OPERATION_INVALID
    assert err.value.message.endswith("cannot halt after transient domain snapshot")


def test_no_metadata_snapshot_is_not_kept(dom) -> None:
    snap = dom.create_snapshot(name="ghost", no_metadata=True)
    assert snap.name == "ghost"
    assert dom.snapshot_count() == 0
    assert not dom.has_current_snapshot()


def test_disk_only_snapshot(dom) -> None:
    snap = dom.create_snapshot(name="disks", disk_only=True)
    xml = snap.xml()
    assert "<state>disk-snapshot</state>" in xml
    assert "<memory snapshot='no'/>" in xml
    assert "<disk name='vda' snapshot='external' type='file'>" in xml
    assert "<source file='/images/vm.disks'/>" in xml
    assert names(dom.snapshots(disk_only=True)) == ["disks"]
    assert names(dom.snapshots(external=True)) == ["disks"]
    assert dom.snapshots(internal=True) == []


def test_flag_rules_of_the_public_api(dom) -> None:
    with pytest.raises(VirtError) as err:
        dom.create_snapshot(current=True)
    assert err.value.code == ErrorNumber.INVALID_ARG
    assert err.value.message == (
        "Flag 'VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE' is required by flag 'VIR_DOMAIN_SNAPSHOT_CREATE_CURRENT'"
    )
    with pytest.raises(VirtError) as err:
        dom.create_snapshot(redefine=True, halt=True)
    assert "mutually exclusive" in err.value.message
    with pytest.raises(VirtError) as err:
        dom.create_snapshot(flags=1 << 5)  # REUSE_EXT: not offered by the test driver
    assert "unsupported flags (0x20)" in err.value.message


# -- redefine -------------------------------------------------------------------------------------


def test_redefine_round_trip(dom) -> None:
    a = dom.create_snapshot(name="a", description="keep me")
    b = dom.create_snapshot(name="b")
    saved = {s.name: s.xml() for s in (a, b)}
    b.delete()
    a.delete()
    assert dom.snapshot_count() == 0
    a2 = dom.create_snapshot(saved["a"], redefine=True)
    assert not dom.has_current_snapshot()  # redefine alone does not make it current
    b2 = dom.create_snapshot(saved["b"], redefine=True, current=True)
    assert a2.xml() == saved["a"]
    assert b2.xml() == saved["b"]
    assert b2.parent() == a2 and b2.is_current()


def test_redefine_errors(dom) -> None:
    a = dom.create_snapshot(name="a")
    b = dom.create_snapshot(name="b")
    xml_a = a.xml()
    with pytest.raises(VirtError) as err:
        dom.create_snapshot("<domainsnapshot><state>running</state></domainsnapshot>", redefine=True)
    assert err.value.code == ErrorNumber.XML_ERROR
    assert "a redefined snapshot must have a name" in err.value.message
    cyclic = xml_a.replace("<creationTime>", "<parent>\n    <name>b</name>\n  </parent>\n  <creationTime>", 1)
    with pytest.raises(VirtError) as err:
        dom.create_snapshot(cyclic, redefine=True)
    assert err.value.code == ErrorNumber.INVALID_ARG
    assert "would create cycle" in err.value.message
    offline = xml_a.replace("<state>running</state>", "<state>shutoff</state>").replace(
        "<memory snapshot='internal'/>", "<memory snapshot='no'/>"
    )
    with pytest.raises(VirtError) as err:
        dom.create_snapshot(offline, redefine=True)
    assert "cannot change between online and offline" in err.value.message
    other = xml_a.replace(UUID, "11111111-2222-3333-4444-555555555555")
    with pytest.raises(VirtError) as err:
        dom.create_snapshot(other, redefine=True)
    assert err.value.code == ErrorNumber.INVALID_ARG
    assert b.parent() == a


def test_redefine_existing_replaces_description(dom) -> None:
    a = dom.create_snapshot(name="a")
    new = a.xml().replace("<name>a</name>", "<name>a</name>\n  <description>later</description>")
    dom.create_snapshot(new, redefine=True)
    assert "<description>later</description>" in a.xml()
    assert dom.snapshot_count() == 1


# -- read-only connections and the default domain ----------------------------------------------------


def test_read_only_connection_refuses_changes(tmp_path: Path) -> None:
    with pyvirt.open("test:///default") as rw, pyvirt.open("test:///default", readonly=True) as ro:
        snap = rw.lookup_domain("test").create_snapshot(name="ro-check")
        try:
            d = ro.lookup_domain("test")
            with pytest.raises(VirtError) as err:
                d.create_snapshot(name="x")
            assert err.value.code == ErrorNumber.OPERATION_DENIED
            assert err.value.domain == ErrorDomain.DOMAIN_SNAPSHOT
            assert err.value.message == "operation forbidden: read only access prevents virDomainSnapshotCreateXML"
            ro_snap = d.lookup_snapshot("ro-check")
            assert ro_snap.xml() == snap.xml()  # reading is fine
            for call in (ro_snap.revert, ro_snap.delete):
                with pytest.raises(VirtError) as err:
                    call()
                assert err.value.code == ErrorNumber.OPERATION_DENIED
        finally:
            snap.delete()


def test_default_domain_snapshot_embeds_its_definition() -> None:
    with pyvirt.open("test:///default") as c:
        d = c.lookup_domain("test")
        snap = d.create_snapshot(name="default-check")
        try:
            xml = snap.xml()
            assert "<uuid>6695eb01-f6a4-8304-79aa-97f2502e193f</uuid>" in xml
            assert "<disk name='vda' snapshot='internal'/>" in xml
        finally:
            snap.delete()


def test_node_file_predefined_snapshots(tmp_path: Path) -> None:
    """``<test:domainsnapshot>`` elements in a node file become the domain's snapshots."""
    node = tmp_path / "node.xml"
    dom_xml = domain_xml()
    body = dom_xml.split("<devices>")[0]
    snap_dom = dom_xml.replace("<domain type='test'>", "<domain type='test'>")
    node.write_text(
        f"""<node>
{body}<devices/>
  <test:domainsnapshot xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>
    <name>pre1</name><state>shutoff</state><creationTime>100</creationTime><active>0</active>
    {snap_dom}
  </test:domainsnapshot>
  <test:domainsnapshot xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>
    <name>pre2</name><state>shutoff</state><parent><name>pre1</name></parent>
    <creationTime>200</creationTime><active>1</active>
    {snap_dom}
  </test:domainsnapshot>
  <test:runstate xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>5</test:runstate>
</domain>
</node>
"""
    )
    with pyvirt.open(f"test://{node}") as c:
        d = c.lookup_domain("vm")
        assert sorted(d.snapshot_names()) == ["pre1", "pre2"]
        assert d.current_snapshot().name == "pre2"
        assert d.lookup_snapshot("pre2").parent().name == "pre1"
        assert "<creationTime>200</creationTime>" in d.lookup_snapshot("pre2").xml()
