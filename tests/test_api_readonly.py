"""Every changing call of the public API, on a read-only connection, fails as libvirt's does.

libvirt's public entry points refuse a changing call on a read-only connection before any
driver sees it: VIR_ERR_OPERATION_DENIED, "operation forbidden: read only access prevents
virXxx", in the error domain of the API's family. Each case below makes the same call through
pyvirt and through libvirt-python (both read-only, both on ``test:///default``) and compares
(code, domain, message); nothing expected is written down here. The sweep also checks that it
covers every public method: a method is either a changing call swept here or listed as a query.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

import pyvirt
from pyvirt.connection import Connection
from pyvirt.domain import Domain
from pyvirt.errors import VirtError
from pyvirt.interface import Interface
from pyvirt.network import Network
from pyvirt.nodedev import NodeDevice
from pyvirt.snapshot import DomainSnapshot
from pyvirt.storage import StoragePool, StorageVolume

libvirt = pytest.importorskip("libvirt", reason="libvirt-python (the oracle) is not installed")
libvirt_qemu = pytest.importorskip("libvirt_qemu", reason="libvirt-python's libvirt_qemu is not installed")
libvirt.registerErrorHandler(lambda *args: None, None)

URI = "test:///default"
SNAP = "ro-sweep"
VOL = "ro-sweep.img"
VOL_XML = f"<volume><name>{VOL}</name><capacity unit='M'>1</capacity></volume>"
DOM_XML = "<domain type='test'><name>ro-new</name><memory>1024</memory><os><type>hvm</type></os></domain>"
NET_XML = "<network><name>ro-net</name></network>"
POOL_XML = "<pool type='dir'><name>ro-pool</name><target><path>/ro-pool</path></target></pool>"
IFACE_XML = "<interface type='ethernet' name='ro0'><start mode='onboot'/></interface>"
NODEDEV_XML = (
    "<device><parent>scsi_host11</parent><capability type='scsi_host'><capability type='fc_host'>"
    "<wwnn>2000000012341234</wwnn><wwpn>1000000012341234</wwpn></capability></capability></device>"
)
IP_DHCP_HOST = "<host mac='00:16:3e:77:e2:ed' name='ro.example.com' ip='192.168.122.10'/>"


@dataclass
class Side:
    """The objects one library hands out on a read-only connection."""

    conn: Any
    dom: Any
    snap: Any
    net: Any
    pool: Any
    vol: Any
    iface: Any
    dev: Any


@pytest.fixture(scope="module")
def sides() -> Iterator[tuple[Side, Side]]:
    """(pyvirt, libvirt) read-only views, with a snapshot and a volume made read-write first."""
    ours_rw = pyvirt.open(URI)
    theirs_rw = libvirt.open(URI)
    ours_rw.lookup_domain("test").create_snapshot(f"<domainsnapshot><name>{SNAP}</name></domainsnapshot>")
    theirs_rw.lookupByName("test").snapshotCreateXML(f"<domainsnapshot><name>{SNAP}</name></domainsnapshot>", 0)
    ours_rw.lookup_storage_pool("default-pool").create_volume(VOL_XML)
    theirs_rw.storagePoolLookupByName("default-pool").createXML(VOL_XML, 0)
    ours = pyvirt.open(URI, readonly=True)
    theirs = libvirt.openReadOnly(URI)
    dev_name = next(n for n in ours.list_node_device_names())
    o_dom, t_dom = ours.lookup_domain("test"), theirs.lookupByName("test")
    o_pool, t_pool = ours.lookup_storage_pool("default-pool"), theirs.storagePoolLookupByName("default-pool")
    o = Side(ours, o_dom, o_dom.lookup_snapshot(SNAP), ours.lookup_network("default"), o_pool,
             o_pool.lookup_volume(VOL), ours.lookup_interface("eth1"), ours.lookup_node_device(dev_name))
    t = Side(theirs, t_dom, t_dom.snapshotLookupByName(SNAP, 0), theirs.networkLookupByName("default"), t_pool,
             t_pool.storageVolLookupByName(VOL), theirs.interfaceLookupByName("eth1"),
             theirs.nodeDeviceLookupByName(dev_name))
    try:
        yield o, t
    finally:
        ours.close()
        theirs.close()
        ours_rw.lookup_domain("test").lookup_snapshot(SNAP).delete()
        theirs_rw.lookupByName("test").snapshotLookupByName(SNAP, 0).delete(0)
        ours_rw.lookup_storage_pool("default-pool").lookup_volume(VOL).delete()
        theirs_rw.storagePoolLookupByName("default-pool").storageVolLookupByName(VOL).delete(0)
        ours_rw.close()
        theirs_rw.close()


Call = Callable[[Side], object]

#: (class, public method) -> (pyvirt call, libvirt call); the method name is what coverage counts
CASES: dict[tuple[type, str], tuple[Call, Call]] = {
    # connection
    (Connection, "define_domain"): (lambda s: s.conn.define_domain(DOM_XML), lambda s: s.conn.defineXML(DOM_XML)),
    (Connection, "create_domain"): (lambda s: s.conn.create_domain(DOM_XML), lambda s: s.conn.createXML(DOM_XML, 0)),
    (Connection, "restore"): (lambda s: s.conn.restore("/nonexistent"), lambda s: s.conn.restore("/nonexistent")),
    (Connection, "define_save_image_xml"): (
        lambda s: s.conn.define_save_image_xml("/nonexistent", DOM_XML),
        lambda s: s.conn.saveImageDefineXML("/nonexistent", DOM_XML, 0),
    ),
    (Connection, "save_image_xml"): (
        lambda s: s.conn.save_image_xml("/nonexistent"), lambda s: s.conn.saveImageGetXMLDesc("/nonexistent", 0)
    ),
    (Connection, "create_network"): (lambda s: s.conn.create_network(NET_XML), lambda s: s.conn.networkCreateXML(NET_XML)),
    (Connection, "define_network"): (lambda s: s.conn.define_network(NET_XML), lambda s: s.conn.networkDefineXML(NET_XML)),
    (Connection, "create_storage_pool"): (
        lambda s: s.conn.create_storage_pool(POOL_XML), lambda s: s.conn.storagePoolCreateXML(POOL_XML, 0)
    ),
    (Connection, "define_storage_pool"): (
        lambda s: s.conn.define_storage_pool(POOL_XML), lambda s: s.conn.storagePoolDefineXML(POOL_XML, 0)
    ),
    (Connection, "find_storage_pool_sources"): (
        lambda s: s.conn.find_storage_pool_sources("logical"), lambda s: s.conn.findStoragePoolSources("logical", None, 0)
    ),
    (Connection, "define_interface"): (
        lambda s: s.conn.define_interface(IFACE_XML), lambda s: s.conn.interfaceDefineXML(IFACE_XML, 0)
    ),
    (Connection, "interface_change_begin"): (lambda s: s.conn.interface_change_begin(), lambda s: s.conn.changeBegin(0)),
    (Connection, "interface_change_commit"): (lambda s: s.conn.interface_change_commit(), lambda s: s.conn.changeCommit(0)),
    (Connection, "interface_change_rollback"): (
        lambda s: s.conn.interface_change_rollback(), lambda s: s.conn.changeRollback(0)
    ),
    (Connection, "create_node_device"): (
        lambda s: s.conn.create_node_device(NODEDEV_XML), lambda s: s.conn.nodeDeviceCreateXML(NODEDEV_XML, 0)
    ),
    (Connection, "define_node_device"): (
        lambda s: s.conn.define_node_device(NODEDEV_XML), lambda s: s.conn.nodeDeviceDefineXML(NODEDEV_XML, 0)
    ),
    # domain
    (Domain, "start"): (lambda s: s.dom.start(), lambda s: s.dom.create()),
    (Domain, "shutdown"): (lambda s: s.dom.shutdown(), lambda s: s.dom.shutdown()),
    (Domain, "reboot"): (lambda s: s.dom.reboot(), lambda s: s.dom.reboot(0)),
    (Domain, "reset"): (lambda s: s.dom.reset(), lambda s: s.dom.reset(0)),
    (Domain, "destroy"): (lambda s: s.dom.destroy(), lambda s: s.dom.destroy()),
    (Domain, "suspend"): (lambda s: s.dom.suspend(), lambda s: s.dom.suspend()),
    (Domain, "resume"): (lambda s: s.dom.resume(), lambda s: s.dom.resume()),
    (Domain, "undefine"): (lambda s: s.dom.undefine(), lambda s: s.dom.undefine()),
    (Domain, "set_memory"): (lambda s: s.dom.set_memory(1024), lambda s: s.dom.setMemoryFlags(1024, 0)),
    (Domain, "set_max_memory"): (
        lambda s: s.dom.set_max_memory(1024), lambda s: s.dom.setMemoryFlags(1024, libvirt.VIR_DOMAIN_MEM_MAXIMUM)
    ),
    (Domain, "set_vcpus"): (lambda s: s.dom.set_vcpus(1), lambda s: s.dom.setVcpusFlags(1, 0)),
    (Domain, "autostart"): (lambda s: setattr(s.dom, "autostart", True), lambda s: s.dom.setAutostart(1)),
    (Domain, "set_metadata"): (
        lambda s: s.dom.set_metadata(1, "t"), lambda s: s.dom.setMetadata(1, "t", None, None, 0)
    ),
    (Domain, "title"): (lambda s: setattr(s.dom, "title", "t"), lambda s: s.dom.setMetadata(1, "t", None, None, 0)),
    (Domain, "description"): (
        lambda s: setattr(s.dom, "description", "d"), lambda s: s.dom.setMetadata(0, "d", None, None, 0)
    ),
    (Domain, "save"): (lambda s: s.dom.save("/nonexistent"), lambda s: s.dom.save("/nonexistent")),
    (Domain, "managed_save"): (lambda s: s.dom.managed_save(), lambda s: s.dom.managedSave(0)),
    (Domain, "managed_save_remove"): (lambda s: s.dom.managed_save_remove(), lambda s: s.dom.managedSaveRemove(0)),
    (Domain, "set_scheduler_parameters"): (
        lambda s: s.dom.set_scheduler_parameters({"weight": 1}),
        lambda s: s.dom.setSchedulerParameters({"weight": 1}),
    ),
    (Domain, "get_time"): (lambda s: s.dom.get_time(), lambda s: s.dom.getTime(0)),
    (Domain, "set_time"): (lambda s: s.dom.set_time(1), lambda s: s.dom.setTime({"seconds": 1, "nseconds": 0}, 0)),
    (Domain, "fs_freeze"): (lambda s: s.dom.fs_freeze(), lambda s: s.dom.fsFreeze(None, 0)),
    (Domain, "fs_thaw"): (lambda s: s.dom.fs_thaw(), lambda s: s.dom.fsThaw(None, 0)),
    (Domain, "fs_trim"): (lambda s: s.dom.fs_trim(), lambda s: s.dom.fSTrim(None, 0, 0)),
    (Domain, "fs_info"): (lambda s: s.dom.fs_info(), lambda s: s.dom.fsInfo(0)),
    (Domain, "interface_addresses"): (
        lambda s: s.dom.interface_addresses(1), lambda s: s.dom.interfaceAddresses(1, 0)
    ),
    (Domain, "memory_peek"): (lambda s: s.dom.memory_peek(0, 8), lambda s: s.dom.memoryPeek(0, 8, 1)),
    (Domain, "launch_security_info"): (lambda s: s.dom.launch_security_info(), lambda s: s.dom.launchSecurityInfo(0)),
    (Domain, "inject_nmi"): (lambda s: s.dom.inject_nmi(), lambda s: s.dom.injectNMI(0)),
    (Domain, "send_process_signal"): (
        lambda s: s.dom.send_process_signal(1, 0), lambda s: s.dom.sendProcessSignal(1, 0, 0)
    ),
    (Domain, "set_user_password"): (
        lambda s: s.dom.set_user_password("root", "pw"), lambda s: s.dom.setUserPassword("root", "pw", 0)
    ),
    (Domain, "core_dump"): (
        lambda s: s.dom.core_dump("/nonexistent"), lambda s: s.dom.coreDumpWithFormat("/nonexistent", 0, 0)
    ),
    (Domain, "set_lifecycle_action"): (
        lambda s: s.dom.set_lifecycle_action(0, 0), lambda s: s.dom.setLifecycleAction(0, 0, 0)
    ),
    (Domain, "attach_device"): (lambda s: s.dom.attach_device("<disk/>"), lambda s: s.dom.attachDevice("<disk/>")),
    (Domain, "detach_device"): (lambda s: s.dom.detach_device("<disk/>"), lambda s: s.dom.detachDevice("<disk/>")),
    (Domain, "update_device"): (
        lambda s: s.dom.update_device("<disk/>"), lambda s: s.dom.updateDeviceFlags("<disk/>", 0)
    ),
    (Domain, "detach_device_alias"): (
        lambda s: s.dom.detach_device_alias("ua-x"), lambda s: s.dom.detachDeviceAlias("ua-x", 0)
    ),
    (Domain, "set_memory_stats_period"): (
        lambda s: s.dom.set_memory_stats_period(1), lambda s: s.dom.setMemoryStatsPeriod(1, 0)
    ),
    (Domain, "set_memory_parameters"): (
        lambda s: s.dom.set_memory_parameters({"hard_limit": 1 << 20}),
        lambda s: s.dom.setMemoryParameters({"hard_limit": 1 << 20}, 0),
    ),
    (Domain, "set_numa_parameters"): (
        lambda s: s.dom.set_numa_parameters({"numa_mode": 0}), lambda s: s.dom.setNumaParameters({"numa_mode": 0}, 0)
    ),
    (Domain, "set_interface_parameters"): (
        lambda s: s.dom.set_interface_parameters("testnet0", {"inbound.average": 1}),
        lambda s: s.dom.setInterfaceParameters("testnet0", {"inbound.average": 1}, 0),
    ),
    (Domain, "set_perf_events"): (
        lambda s: s.dom.set_perf_events({"cmt": True}), lambda s: s.dom.setPerfEvents({"cmt": True}, 0)
    ),
    (Domain, "set_blkio_parameters"): (
        lambda s: s.dom.set_blkio_parameters({"weight": 500}), lambda s: s.dom.setBlkioParameters({"weight": 500}, 0)
    ),
    (Domain, "set_block_io_tune"): (
        lambda s: s.dom.set_block_io_tune("vda", {"total_bytes_sec": 1}),
        lambda s: s.dom.setBlockIoTune("vda", {"total_bytes_sec": 1}, 0),
    ),
    (Domain, "pin_vcpu"): (lambda s: s.dom.pin_vcpu(0, {0}), lambda s: s.dom.pinVcpu(0, (True,))),
    (Domain, "pin_emulator"): (lambda s: s.dom.pin_emulator({0}), lambda s: s.dom.pinEmulator((True,), 0)),
    (Domain, "abort_job"): (lambda s: s.dom.abort_job(), lambda s: s.dom.abortJob()),
    (Domain, "rename"): (lambda s: s.dom.rename("ro-renamed"), lambda s: s.dom.rename("ro-renamed", 0)),
    (Domain, "create_snapshot"): (
        lambda s: s.dom.create_snapshot("<domainsnapshot/>"), lambda s: s.dom.snapshotCreateXML("<domainsnapshot/>", 0)
    ),
    (Domain, "qemu_monitor_command"): (
        lambda s: s.dom.qemu_monitor_command('{"execute":"quit"}'),
        lambda s: libvirt_qemu.qemuMonitorCommand(s.dom, '{"execute":"quit"}', 0),
    ),
    (Domain, "xml"): (lambda s: s.dom.xml(secure=True), lambda s: s.dom.XMLDesc(libvirt.VIR_DOMAIN_XML_SECURE)),
    # snapshot
    (DomainSnapshot, "revert"): (lambda s: s.snap.revert(), lambda s: s.snap.domain().revertToSnapshot(s.snap, 0)),
    (DomainSnapshot, "delete"): (lambda s: s.snap.delete(), lambda s: s.snap.delete(0)),
    (DomainSnapshot, "xml"): (
        lambda s: s.snap.xml(secure=True), lambda s: s.snap.getXMLDesc(libvirt.VIR_DOMAIN_SNAPSHOT_XML_SECURE)
    ),
    # network
    (Network, "start"): (lambda s: s.net.start(), lambda s: s.net.create()),
    (Network, "stop"): (lambda s: s.net.stop(), lambda s: s.net.destroy()),
    (Network, "destroy"): (lambda s: s.net.destroy(), lambda s: s.net.destroy()),
    (Network, "undefine"): (lambda s: s.net.undefine(), lambda s: s.net.undefine()),
    (Network, "autostart"): (lambda s: setattr(s.net, "autostart", False), lambda s: s.net.setAutostart(0)),
    (Network, "update"): (
        lambda s: s.net.update(3, 4, IP_DHCP_HOST),
        lambda s: s.net.update(3, 4, -1, IP_DHCP_HOST, 0),
    ),
    # storage
    (StoragePool, "start"): (lambda s: s.pool.start(), lambda s: s.pool.create(0)),
    (StoragePool, "stop"): (lambda s: s.pool.stop(), lambda s: s.pool.destroy()),
    (StoragePool, "destroy"): (lambda s: s.pool.destroy(), lambda s: s.pool.destroy()),
    (StoragePool, "build"): (lambda s: s.pool.build(), lambda s: s.pool.build(0)),
    (StoragePool, "delete"): (lambda s: s.pool.delete(), lambda s: s.pool.delete(0)),
    (StoragePool, "refresh"): (lambda s: s.pool.refresh(), lambda s: s.pool.refresh(0)),
    (StoragePool, "undefine"): (lambda s: s.pool.undefine(), lambda s: s.pool.undefine()),
    (StoragePool, "autostart"): (lambda s: setattr(s.pool, "autostart", True), lambda s: s.pool.setAutostart(1)),
    (StoragePool, "create_volume"): (lambda s: s.pool.create_volume(VOL_XML), lambda s: s.pool.createXML(VOL_XML, 0)),
    (StorageVolume, "delete"): (lambda s: s.vol.delete(), lambda s: s.vol.delete(0)),
    (StorageVolume, "resize"): (lambda s: s.vol.resize(1 << 21), lambda s: s.vol.resize(1 << 21, 0)),
    (StorageVolume, "wipe"): (lambda s: s.vol.wipe(), lambda s: s.vol.wipe(0)),
    # interface
    (Interface, "start"): (lambda s: s.iface.start(), lambda s: s.iface.create(0)),
    (Interface, "stop"): (lambda s: s.iface.stop(), lambda s: s.iface.destroy(0)),
    (Interface, "destroy"): (lambda s: s.iface.destroy(), lambda s: s.iface.destroy(0)),
    (Interface, "undefine"): (lambda s: s.iface.undefine(), lambda s: s.iface.undefine()),
    # node device
    (NodeDevice, "destroy"): (lambda s: s.dev.destroy(), lambda s: s.dev.destroy()),
}

#: a clone is its own libvirt API (virStorageVolCreateXMLFrom), swept beside the plain create
EXTRA_CASES: dict[str, tuple[Call, Call]] = {
    "StoragePool.create_volume(clone_from=...)": (
        lambda s: s.pool.create_volume(VOL_XML.replace(VOL, "ro-clone"), clone_from=s.vol),
        lambda s: s.pool.createXMLFrom(VOL_XML.replace(VOL, "ro-clone"), s.vol, 0),
    ),
}

#: public methods that only read (allowed read-only in libvirt too) or are local bookkeeping
QUERIES: dict[type, set[str]] = {
    Connection: {
        "capabilities", "cells_free_memory", "close", "closed", "cpu_map", "cpu_stats", "domain_stats", "domain", "driver", "events",
        "free_memory", "free_pages", "hostname", "is_alive", "is_encrypted", "is_secure", "lib_version",
        "list_defined_domain_names", "list_defined_interface_names", "list_defined_network_names",
        "list_defined_storage_pool_names", "list_domain_ids", "list_domains", "list_interface_names",
        "list_interfaces", "list_network_names", "list_networks", "list_node_device_names", "list_node_devices",
        "list_storage_pool_names", "list_storage_pools", "lookup_domain", "lookup_domain_by_id",
        "lookup_domain_by_name", "lookup_domain_by_uuid", "lookup_interface", "lookup_interface_by_mac",
        "lookup_interface_by_name", "lookup_network", "lookup_network_by_name", "lookup_network_by_uuid",
        "lookup_node_device", "lookup_scsi_host_by_wwn", "lookup_storage_pool", "lookup_storage_pool_by_name",
        "lookup_storage_pool_by_uuid", "lookup_storage_volume_by_key", "lookup_storage_volume_by_path",
        "max_vcpus", "network_events", "node_info", "num_of_defined_domains", "num_of_defined_interfaces",
        "num_of_defined_networks", "num_of_defined_storage_pools", "num_of_domains", "num_of_interfaces",
        "num_of_networks", "num_of_node_devices", "num_of_storage_pools", "readonly", "register_event",
        "deregister_event", "register_network_event", "deregister_network_event", "register_node_device_event",
        "deregister_node_device_event", "register_storage_pool_event", "deregister_storage_pool_event",
        "security_model", "storage_pool_events", "sysinfo", "type", "uri", "version",
    },
    Domain: {
        "blkio_parameters", "block_info", "block_io_tune", "block_stats", "connection", "control_info",
        "cpu_stats", "cpu_stats_count", "iothread_info", "current_snapshot", "disk_errors", "emulator_pin_info", "has_current_snapshot",
        "has_managed_save", "hostname", "id", "info", "interface_parameters", "interface_stats", "is_active",
        "is_persistent", "is_updated", "job_info", "lookup_snapshot", "max_memory", "max_vcpus",
        "memory_parameters", "memory_stats", "metadata", "name", "numa_parameters", "os_type", "perf_events",
        "ref", "scheduler_parameters", "scheduler_type", "security_label", "snapshot_count", "snapshot_names",
        "snapshots", "state", "uuid", "uuid_bytes", "vcpu_info", "vcpu_pin_info", "vcpus", "xml", "autostart",
        "title", "description", "interface_addresses",
    },
    DomainSnapshot: {"children", "children_names", "domain", "has_metadata", "is_current", "name", "num_children",
                     "parent", "ref", "xml"},
    Network: {"bridge_name", "connection", "dhcp_leases", "is_active", "is_persistent", "name", "ref", "uuid",
              "xml", "autostart"},
    StoragePool: {"connection", "info", "is_active", "is_persistent", "lookup_volume", "name", "num_of_volumes",
                  "ref", "uuid", "volume_names", "volumes", "xml", "autostart"},
    StorageVolume: {"info", "key", "name", "path", "pool", "pool_name", "ref", "xml"},
    Interface: {"is_active", "mac", "name", "ref", "xml"},
    NodeDevice: {"capabilities", "name", "num_of_capabilities", "parent", "ref", "xml"},
}


def _error(call: Callable[[], object], kind: type[BaseException]) -> tuple[int, int, str]:
    with pytest.raises(kind) as info:
        call()
    err: Any = info.value
    return err.get_error_code(), err.get_error_domain(), err.get_error_message()


ALL_CASES = {f"{cls.__name__}.{name}": pair for (cls, name), pair in CASES.items()} | EXTRA_CASES


@pytest.mark.parametrize("case", sorted(ALL_CASES))
def test_changing_call_is_refused_as_in_libvirt(sides: tuple[Side, Side], case: str) -> None:
    ours, theirs = sides
    our_call, their_call = ALL_CASES[case]
    expected = _error(lambda: their_call(theirs), libvirt.libvirtError)
    assert expected[0] == libvirt.VIR_ERR_OPERATION_DENIED, expected  # the oracle refuses it, too
    assert _error(lambda: our_call(ours), VirtError) == expected


@pytest.mark.parametrize("cls", sorted(QUERIES, key=lambda c: c.__name__), ids=lambda c: c.__name__)
def test_sweep_covers_every_public_method(cls: type) -> None:
    public = {name for name, _ in inspect.getmembers(cls) if not name.startswith("_")}
    swept = {name for (owner, name) in CASES if owner is cls}
    assert public - swept - QUERIES[cls] == set(), "new public methods: sweep them or list them as queries"
    assert (swept | QUERIES[cls]) - public == set(), "the sweep names methods that no longer exist"


def test_read_only_objects_still_answer_queries(sides: tuple[Side, Side]) -> None:
    """The refusals above are about changes only: the same read-only objects answer queries."""
    ours, theirs = sides
    assert ours.dom.info().state == theirs.dom.info()[0]
    assert ours.snap.name == theirs.snap.getName()
    assert ours.vol.name == theirs.vol.name()
    assert ours.net.is_active() == bool(theirs.net.isActive())
    assert ours.iface.mac == theirs.iface.MACString()
