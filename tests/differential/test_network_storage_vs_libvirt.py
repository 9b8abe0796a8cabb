"""Networks, storage, interfaces and node devices: pyvirt's test driver against libvirt 9.0's.

Each test runs the same calls on both, each on its own fresh ``test:///PATH`` state made from
the same node file, and compares results, XML and errors (code and message).
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

import pyvirt
from pyvirt.errors import VirtError

libvirt = pytest.importorskip("libvirt", reason="libvirt-python (the oracle) is not installed")

NODE = """<node>
  <network>
    <name>default</name>
    <uuid>dd8fe884-6c02-601e-7551-cca97df1c5df</uuid>
    <bridge name='virbr0'/>
    <forward/>
    <ip address='192.168.122.1' netmask='255.255.255.0'>
      <dhcp><range start='192.168.122.2' end='192.168.122.254'/></dhcp>
    </ip>
  </network>
  <interface type='ethernet' name='eth1'>
    <start mode='onboot'/>
    <mac address='aa:bb:cc:dd:ee:ff'/>
    <mtu size='1492'/>
    <protocol family='ipv4'>
      <ip address='192.168.0.5' prefix='24'/>
      <route gateway='192.168.0.1'/>
    </protocol>
  </interface>
  <pool type='dir'>
    <name>default-pool</name>
    <uuid>dfe224cb-28fb-8dd0-c4b2-64eb3f0f4566</uuid>
    <target><path>/default-pool</path></target>
  </pool>
  <device>
    <name>computer</name>
    <capability type='system'>
      <hardware><vendor>Libvirt</vendor><uuid>11111111-2222-3333-4444-555555555555</uuid></hardware>
    </capability>
  </device>
</node>
"""
NET2 = "<network><name>n2</name><uuid>0fd362db-838f-4e0d-bfed-49ae41fe7e54</uuid><bridge name='virbr9'/></network>"
POOL2 = "<pool type='dir'><name>p2</name><uuid>0268871e-82e9-4f03-bf39-79e2bf660b20</uuid><target><path>/p2</path></target></pool>"
VOL = (
    "<volume><name>{name}</name><capacity unit='M'>10</capacity><allocation unit='M'>{alloc}</allocation>"
    "<target><format type='raw'/></target></volume>"
)


def outcome(fn, *args) -> tuple:  # noqa: ANN001
    try:
        return ("ok", fn(*args))
    except libvirt.libvirtError as exc:
        return ("error", exc.get_error_code(), exc.get_error_message())
    except VirtError as exc:
        return ("error", int(exc.code), exc.message)


@pytest.fixture
def pair(tmp_path: Path):
    libvirt.registerErrorHandler(lambda *a: None, None)
    nodes = []
    for kind in ("libvirt", "pyvirt"):
        path = tmp_path / f"{kind}.xml"
        path.write_text(NODE)
        nodes.append(f"test://{path}")
    lv = libvirt.open(nodes[0])
    pv = pyvirt.open(nodes[1])
    yield lv, pv
    lv.close()
    pv.close()


# -- networks ---------------------------------------------------------------------------------------


def test_network_xml_and_properties(pair) -> None:
    lv, pv = pair
    a, b = lv.networkLookupByName("default"), pv.lookup_network("default")
    assert b.xml() == a.XMLDesc(0)
    assert (b.is_active(), b.is_persistent(), b.autostart, b.bridge_name()) == (
        bool(a.isActive()), bool(a.isPersistent()), bool(a.autostart()), a.bridgeName()
    )
    lv.networkDefineXML(NET2)
    pv.define_network(NET2)
    assert pv.lookup_network("n2").xml() == lv.networkLookupByName("n2").XMLDesc(0)


def test_network_life_cycle_outcomes(pair) -> None:
    lv, pv = pair
    lv_ops = {
        "define": lambda: lv.networkDefineXML(NET2).name(),
        "start": lambda: lv.networkLookupByName("n2").create(),
        "start again": lambda: lv.networkLookupByName("n2").create(),
        "undefine running": lambda: lv.networkLookupByName("n2").undefine(),
        "destroy": lambda: lv.networkLookupByName("n2").destroy(),
        "undefine": lambda: lv.networkLookupByName("n2").undefine(),
        "lookup gone": lambda: lv.networkLookupByName("n2"),
        "uuid clash": lambda: lv.networkDefineXML(
            "<network><name>n5</name><uuid>dd8fe884-6c02-601e-7551-cca97df1c5df</uuid></network>"
        ),
        "name clash": lambda: lv.networkDefineXML("<network><name>default</name></network>"),
        "create transient": lambda: lv.networkCreateXML(NET2).isPersistent(),
        "destroy transient": lambda: lv.networkLookupByName("n2").destroy(),
        "transient gone": lambda: lv.networkLookupByName("n2"),
        "lookup uuid": lambda: lv.networkLookupByUUIDString("dd8fe884-6c02-601e-7551-cca97df1c5df").name(),
        "lookup bad uuid": lambda: lv.networkLookupByUUIDString("dd8fe884-6c02-601e-7551-cca97df1c5d0"),
        "xml inactive flag": lambda: lv.networkLookupByName("default").XMLDesc(1),
    }
    pv_ops = {
        "define": lambda: pv.define_network(NET2).name,
        "start": lambda: pv.lookup_network("n2").start(),
        "start again": lambda: pv.lookup_network("n2").start(),
        "undefine running": lambda: pv.lookup_network("n2").undefine(),
        "destroy": lambda: pv.lookup_network("n2").destroy(),
        "undefine": lambda: pv.lookup_network("n2").undefine(),
        "lookup gone": lambda: pv.lookup_network("n2"),
        "uuid clash": lambda: pv.define_network(
            "<network><name>n5</name><uuid>dd8fe884-6c02-601e-7551-cca97df1c5df</uuid></network>"
        ),
        "name clash": lambda: pv.define_network("<network><name>default</name></network>"),
        "create transient": lambda: pv.create_network(NET2).is_persistent(),
        "destroy transient": lambda: pv.lookup_network("n2").destroy(),
        "transient gone": lambda: pv.lookup_network("n2"),
        "lookup bad uuid": lambda: pv.lookup_network_by_uuid("dd8fe884-6c02-601e-7551-cca97df1c5d0"),
        "lookup uuid": lambda: pv.lookup_network_by_uuid("dd8fe884-6c02-601e-7551-cca97df1c5df").name,
        "xml inactive flag": lambda: pv.lookup_network("default").xml(inactive=True),
    }
    for label in lv_ops:
        want, got = outcome(lv_ops[label]), outcome(pv_ops[label])
        if want[0] == "error":
            assert got == want, label
        else:
            assert got[0] == "ok" and bool(got[1]) == bool(want[1]) or got == ("ok", want[1]), label


def test_network_list_filters(pair) -> None:
    lv, pv = pair
    lv.networkDefineXML(NET2).setAutostart(1)
    n = pv.define_network(NET2)
    n.autostart = True
    for flags in range(1 << 7):
        want = outcome(lambda f: sorted(x.name() for x in lv.listAllNetworks(f)), flags)
        got = outcome(lambda f: sorted(x.name for x in pv.list_networks(flags=f)), flags)
        assert got == want, f"listAllNetworks(0x{flags:x})"
    assert pv.list_network_names() == lv.listNetworks()
    assert pv.list_defined_network_names() == lv.listDefinedNetworks()
    assert (pv.num_of_networks(), pv.num_of_defined_networks()) == (lv.numOfNetworks(), lv.numOfDefinedNetworks())


# -- storage ----------------------------------------------------------------------------------------


def test_pool_xml_info_and_life_cycle(pair) -> None:
    lv, pv = pair
    a, b = lv.storagePoolLookupByName("default-pool"), pv.lookup_storage_pool("default-pool")
    # libvirt writes an empty <source> as an open/close pair; compare without that spelling
    norm = lambda x: x.replace("<source>\n  </source>", "<source/>")  # noqa: E731
    assert norm(b.xml()) == norm(a.XMLDesc(0))
    assert tuple(b.info()) == tuple(a.info())
    lp, pp = lv.storagePoolDefineXML(POOL2), pv.define_storage_pool(POOL2)
    assert norm(pp.xml()) == norm(lp.XMLDesc(0))
    steps = [
        ("numOfVolumes", lambda p: p.numOfVolumes(), lambda p: p.num_of_volumes()),
        ("build", lambda p: p.build(), lambda p: p.build()),
        ("create", lambda p: p.create(), lambda p: p.start()),
        ("create again", lambda p: p.create(), lambda p: p.start()),
        ("build active", lambda p: p.build(), lambda p: p.build()),
        ("undefine active", lambda p: p.undefine(), lambda p: p.undefine()),
        ("delete active", lambda p: p.delete(), lambda p: p.delete()),
        ("info", lambda p: tuple(p.info()), lambda p: tuple(p.info())),
        ("destroy", lambda p: p.destroy(), lambda p: p.destroy()),
        ("destroy again", lambda p: p.destroy(), lambda p: p.destroy()),
        ("refresh", lambda p: p.refresh(), lambda p: p.refresh()),
        ("delete", lambda p: p.delete(), lambda p: p.delete()),
        ("undefine", lambda p: p.undefine(), lambda p: p.undefine()),
        ("info gone", lambda p: p.info(), lambda p: p.info()),
    ]
    for label, lv_call, pv_call in steps:
        want, got = outcome(lv_call, lp), outcome(pv_call, pp)
        if want[0] == "error" or label == "info":
            assert got == want, label
        else:
            assert got[0] == "ok", label


def test_volumes(pair) -> None:
    lv, pv = pair
    lp, pp = lv.storagePoolDefineXML(POOL2), pv.define_storage_pool(POOL2)
    lp.create()
    pp.start()
    la = lp.createXML(VOL.format(name="v1", alloc=5), 0)
    pa = pp.create_volume(VOL.format(name="v1", alloc=5))
    assert pa.xml() == la.XMLDesc(0)
    assert tuple(pa.info()) == tuple(la.info())
    assert (pa.key, pa.path(), pa.name) == (la.key(), la.path(), la.name())
    assert tuple(pp.info()) == tuple(lp.info())
    assert outcome(pp.create_volume, VOL.format(name="v1", alloc=5)) == outcome(
        lp.createXML, VOL.format(name="v1", alloc=5), 0
    )
    huge = VOL.replace("unit='M'>10<", "unit='G'>300<").format(name="huge", alloc="300")
    huge = huge.replace("unit='M'>300<", "unit='G'>300<")
    assert outcome(pp.create_volume, huge) == outcome(lp.createXML, huge, 0)
    lp.createXMLFrom(VOL.format(name="v2", alloc=5), la, 0)
    pp.create_volume(VOL.format(name="v2", alloc=5), clone_from=pa)
    assert sorted(pp.volume_names()) == sorted(lp.listVolumes())
    assert tuple(pp.info()) == tuple(lp.info())
    assert pv.lookup_storage_volume_by_path("/p2/v2").name == lv.storageVolLookupByPath("/p2/v2").name()
    for key in ("/p2/v1", "nope"):
        want = outcome(lambda k: lv.storageVolLookupByKey(k).name(), key)
        assert outcome(lambda k: pv.lookup_storage_volume_by_key(k).name, key) == want
    assert outcome(pp.lookup_volume, "nope") == outcome(lp.storageVolLookupByName, "nope")
    la.delete(0)
    pa.delete()
    assert tuple(pp.info()) == tuple(lp.info())
    assert outcome(pa.info) == outcome(la.info)
    lp.destroy()
    pp.destroy()
    assert outcome(pp.volume_names) == outcome(lp.listVolumes)


def test_pool_list_filters_and_sources(pair) -> None:
    lv, pv = pair
    lv.storagePoolDefineXML(POOL2)
    pv.define_storage_pool(POOL2)
    bits = [1, 2, 4, 8, 16, 32, 64, 512]
    for combo in itertools.chain([()], itertools.combinations(bits, 1), itertools.combinations(bits, 2)):
        flags = sum(combo)
        want = outcome(lambda f: sorted(x.name() for x in lv.listAllStoragePools(f)), flags)
        got = outcome(lambda f: sorted(x.name for x in pv.list_storage_pools(flags=f)), flags)
        assert got == want, f"listAllStoragePools(0x{flags:x})"
    for args in (("logical", None), ("netfs", "<source><host name='nas'/></source>"), ("netfs", None),
                 ("dir", None), ("iscsi", None), ("bogus", None)):
        assert outcome(pv.find_storage_pool_sources, *args) == outcome(lv.findStoragePoolSources, *args, 0), args


# -- interfaces and node devices ----------------------------------------------------------------------


def test_interfaces(pair) -> None:
    lv, pv = pair
    assert pv.lookup_interface("eth1").xml() == lv.interfaceLookupByName("eth1").XMLDesc(0)
    eth2 = "<interface type='ethernet' name='eth2'><mac address='aa:bb:cc:dd:ee:01'/></interface>"
    steps = [
        ("define", lambda: lv.interfaceDefineXML(eth2).name(), lambda: pv.define_interface(eth2).name),
        ("destroy inactive", lambda: lv.interfaceLookupByName("eth2").destroy(),
         lambda: pv.lookup_interface("eth2").destroy()),
        ("create", lambda: lv.interfaceLookupByName("eth2").create(), lambda: pv.lookup_interface("eth2").start()),
        ("create again", lambda: lv.interfaceLookupByName("eth2").create(),
         lambda: pv.lookup_interface("eth2").start()),
        ("mac", lambda: lv.interfaceLookupByMACString("AA:BB:CC:DD:EE:01").name(),
         lambda: pv.lookup_interface_by_mac("AA:BB:CC:DD:EE:01").name),
        ("active names", lambda: sorted(lv.listInterfaces()), lambda: sorted(pv.list_interface_names())),
        ("begin", lambda: lv.changeBegin(0), lambda: pv.interface_change_begin()),
        ("begin again", lambda: lv.changeBegin(0), lambda: pv.interface_change_begin()),
        ("undefine", lambda: lv.interfaceLookupByName("eth2").undefine(), lambda: pv.lookup_interface("eth2").undefine()),
        ("rollback", lambda: lv.changeRollback(0), lambda: pv.interface_change_rollback()),
        ("after rollback", lambda: (sorted(lv.listInterfaces()), sorted(lv.listDefinedInterfaces())),
         lambda: (sorted(pv.list_interface_names()), sorted(pv.list_defined_interface_names()))),
        ("commit none", lambda: lv.changeCommit(0), lambda: pv.interface_change_commit()),
        ("lookup missing", lambda: lv.interfaceLookupByName("nope"), lambda: pv.lookup_interface("nope")),
        ("mac missing", lambda: lv.interfaceLookupByMACString("aa:bb:cc:dd:ee:00"),
         lambda: pv.lookup_interface_by_mac("aa:bb:cc:dd:ee:00")),
    ]
    for label, lv_call, pv_call in steps:
        want, got = outcome(lv_call), outcome(pv_call)
        if want[0] == "error" or label in ("mac", "active names", "after rollback", "define"):
            assert got == want, label
        else:
            assert got[0] == "ok", label


def test_node_devices_against_default(tmp_path: Path) -> None:
    """test:///default's node devices, and creating/destroying the mock vHBA."""
    libvirt.registerErrorHandler(lambda *a: None, None)
    lv = libvirt.open("test:///default")
    with pyvirt.open("test:///default") as pv:
        # libvirt lists in hash order: compare as sets
        assert sorted(pv.list_node_device_names()) == sorted(lv.listDevices(None, 0))
        for cap in ("system", "scsi_host", "fc_host", "vports", "pci"):
            assert pv.num_of_node_devices(cap) == lv.numOfDevices(cap, 0), cap
            assert sorted(pv.list_node_device_names(cap)) == sorted(lv.listDevices(cap, 0)), cap
        for name in lv.listDevices(None, 0):
            a, b = lv.nodeDeviceLookupByName(name), pv.lookup_node_device(name)
            assert (b.parent(), b.capabilities(), b.num_of_capabilities()) == (a.parent(), a.listCaps(), a.numOfCaps())
        vhba = """<device><parent>{}</parent><capability type='scsi_host'><capability type='fc_host'>
<wwnn>2000000012341299</wwnn><wwpn>1000000012341299</wwpn></capability></capability></device>"""
        assert outcome(pv.create_node_device, vhba.format("computer")) == outcome(
            lv.nodeDeviceCreateXML, vhba.format("computer"), 0
        )
        a = lv.nodeDeviceCreateXML(vhba.format("scsi_host1"), 0)
        b = pv.create_node_device(vhba.format("scsi_host1"))
        try:
            assert b.name == a.name()
            assert b.parent() == a.parent()
        finally:
            a.destroy()
            b.destroy()
        assert outcome(lambda: pv.lookup_node_device("scsi_host12")) == outcome(
            lambda: lv.nodeDeviceLookupByName("scsi_host12")
        )
        assert outcome(lambda: pv.lookup_node_device("nope")) == outcome(lambda: lv.nodeDeviceLookupByName("nope"))
    lv.close()


def test_network_update_sequence(pair) -> None:
    """virNetworkUpdate: the same commands give the same results, errors and XML."""
    lv, pv = pair
    host = "<host mac='00:16:3e:77:e2:ed' name='foo' ip='192.168.122.10'/>"
    steps = [
        (3, 4, -1, host, 0), (3, 4, -1, host, 0),
        (1, 4, -1, "<host mac='00:16:3e:77:e2:ed' name='bar' ip='192.168.122.11'/>", 0),
        (2, 4, -1, "<host mac='00:16:3e:77:e2:ee'/>", 0),
        (4, 4, -1, "<host mac='00:16:3e:77:e2:01' ip='192.168.122.12'/>", 0),
        (3, 5, -1, "<range start='192.168.122.100' end='192.168.122.120'/>", 0),
        (3, 5, -1, "<range start='192.168.122.100' end='192.168.122.120'/>", 0),
        (2, 5, -1, "<range start='192.168.122.100' end='192.168.122.121'/>", 0),
        (1, 5, -1, "<range start='192.168.122.100' end='192.168.122.120'/>", 0),
        (2, 5, -1, "<range start='192.168.122.100' end='192.168.122.120'/>", 0),
        (3, 10, -1, "<host ip='192.168.122.5'><hostname>h1</hostname></host>", 0),
        (3, 10, -1, "<host ip='192.168.122.5'><hostname>h2</hostname></host>", 0),
        (3, 11, -1, "<txt name='a' value='b'/>", 0), (3, 11, -1, "<txt name='a' value='c'/>", 0),
        (2, 11, -1, "<txt name='z'/>", 0),
        (3, 1, -1, "<bridge name='x'/>", 0), (3, 3, -1, "<ip/>", 0), (3, 6, -1, "<forward/>", 0),
        (3, 4, 5, host, 0), (3, 4, -1, "<foo/>", 0), (3, 4, -1, host, 4), (0, 4, -1, host, 0),
        (3, 4, -1, host, 2),  # config only: the running definition keeps its hosts
        (3, 9, -1, "<portgroup name='pg'/>", 0), (3, 9, -1, "<portgroup name='pg'/>", 0),
        (2, 9, -1, "<portgroup name='nope'/>", 0),
    ]
    a, b = lv.networkLookupByName("default"), pv.lookup_network("default")
    norm = lambda x: x.replace("<portgroup name='pg'>\n  </portgroup>", "<portgroup name='pg'/>")  # noqa: E731
    for command, section, index, xml, flags in steps:
        want = outcome(a.update, command, section, index, xml, flags)
        got = outcome(lambda *args: b.update(args[0], args[1], args[3], index=args[2], flags=args[4]),
                      command, section, index, xml, flags)
        assert (got == want) if want[0] == "error" else (got[0] == "ok"), (command, section, xml, flags, got, want)
        assert norm(b.xml()) == norm(a.XMLDesc(0)), (command, section, xml, flags)
    a.destroy()
    b.destroy()  # the configuration-only change shows after a restart
    a.create()
    b.start()
    assert norm(b.xml()) == norm(a.XMLDesc(0))


VOLUME_NODE = """<node>
  <pool type='dir'>
    <name>vp</name>
    <uuid>dfe224cb-28fb-8dd0-c4b2-64eb3f0f4567</uuid>
    <target><path>/vp</path></target>
    <volume><name>v1</name><capacity unit='G'>1</capacity><allocation unit='M'>100</allocation></volume>
    <volume type='block'><name>v2</name><capacity>1000</capacity><target><format type='qcow2'/></target></volume>
  </pool>
  <pool type='logical'>
    <name>lvm</name>
    <source><name>vg0</name><format type='lvm2'/></source>
    <target><path>/dev/vg0</path></target>
    <volume><name>lv1</name><capacity unit='M'>8</capacity></volume>
  </pool>
</node>
"""


def test_node_file_volumes(tmp_path: Path) -> None:
    path = tmp_path / "node.xml"
    path.write_text(VOLUME_NODE)
    libvirt.registerErrorHandler(lambda *a: None, None)
    lv = libvirt.open(f"test://{path}")
    with pyvirt.open(f"test://{path}") as pv:
        for pool, vols in (("vp", ("v1", "v2")), ("lvm", ("lv1",))):
            a, b = lv.storagePoolLookupByName(pool), pv.lookup_storage_pool(pool)
            assert tuple(b.info()) == tuple(a.info()), pool
            assert sorted(b.volume_names()) == sorted(a.listVolumes()), pool
            for name in vols:
                va, vb = a.storageVolLookupByName(name), b.lookup_volume(name)
                assert vb.xml() == va.XMLDesc(0), name
                assert tuple(vb.info()) == tuple(va.info()), name
                assert (vb.key, vb.path()) == (va.key(), va.path()), name
    lv.close()


def test_node_device_list_flags() -> None:
    libvirt.registerErrorHandler(lambda *a: None, None)
    lv = libvirt.open("test:///default")
    with pyvirt.open("test:///default") as pv:
        for bit in [0] + [1 << i for i in range(22)] + [1 << 30, 1 << 31, 1 | 32, 512 | 1024]:
            want = outcome(lambda f: sorted(x.name() for x in lv.listAllDevices(f)), bit)
            got = outcome(lambda f: sorted(x.name for x in pv.list_node_devices(flags=f)), bit)
            assert got == want, hex(bit)
    lv.close()


def test_define_over_running_objects(pair) -> None:
    """Defining a running network or pool again: what shows, before and after a restart."""
    lv, pv = pair
    net_xml = lv.networkLookupByName("default").XMLDesc(0).replace("virbr0", "virbr5")
    pool_xml = lv.storagePoolLookupByName("default-pool").XMLDesc(0).replace("/default-pool<", "/dp2<")
    assert outcome(lambda: pv.define_network(net_xml).name) == outcome(lambda: lv.networkDefineXML(net_xml).name())
    assert outcome(lambda: pv.define_storage_pool(pool_xml).name) == outcome(
        lambda: lv.storagePoolDefineXML(pool_xml).name()
    )
    a, b = lv.networkLookupByName("default"), pv.lookup_network("default")
    pa, pb = lv.storagePoolLookupByName("default-pool"), pv.lookup_storage_pool("default-pool")
    for step in ("before", "stopped", "restarted"):
        if step == "stopped":
            a.destroy(), b.destroy(), pa.destroy(), pb.destroy()
        if step == "restarted":
            a.create(), b.start(), pa.create(), pb.start()
        assert b.xml() == a.XMLDesc(0), step
        norm = lambda x: x.replace("<source>\n  </source>", "<source/>")  # noqa: E731
        assert norm(pb.xml()) == norm(pa.XMLDesc(0)), step
