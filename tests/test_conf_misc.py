"""InterfaceDef, NodeDeviceDef and Capabilities: API, round trips, and checks against live
libvirt's test driver (its interfaces, node devices and host capabilities documents).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from pyvirt.conf.capabilities import Capabilities, CellSpec, GuestSpec, build_capabilities
from pyvirt.conf.interface import InterfaceDef
from pyvirt.conf.nodedev import NodeDeviceDef
from pyvirt.conf.schema import validate_against_schema
from pyvirt.errors import ErrorNumber, VirtError


def canonical(text: str) -> bytes:
    root = etree.fromstring(text.encode(), etree.XMLParser(remove_blank_text=True))
    for el in root.iter():
        if el.text is not None and not el.text.strip():
            el.text = None
        el.tail = None
    return etree.tostring(root, method="c14n")


@pytest.fixture(scope="module")
def oracle(tmp_path_factory: pytest.TempPathFactory):
    libvirt = pytest.importorskip("libvirt", reason="libvirt-python (the oracle) is not installed")
    libvirt.registerErrorHandler(lambda *args: None, None)
    node: Path = tmp_path_factory.mktemp("misc") / "empty.xml"
    node.write_text("<node/>")
    empty = libvirt.open(f"test://{node}")
    default = libvirt.open("test:///default")
    yield libvirt, empty, default
    empty.close()
    default.close()


# ---------------------------------------------------------------------------------------------
# interfaces


def test_interface_fields() -> None:
    iface = InterfaceDef.from_xml(
        "<interface type='ethernet' name='eth1'><mac address='aa:bb:cc:dd:ee:ff'/><start mode='onboot'/>"
        "<mtu size='1492'/><protocol family='ipv4'><ip address='192.168.0.5' prefix='24'/>"
        "<route gateway='192.168.0.1'/></protocol></interface>"
    )
    assert (iface.type, iface.name, iface.mac, iface.start_mode, iface.mtu) == (
        "ethernet", "eth1", "aa:bb:cc:dd:ee:ff", "onboot", 1492
    )
    proto = iface.protocols[0]
    assert (proto.family, proto.addresses, proto.gateway, proto.dhcp) == ("ipv4", [("192.168.0.5", 24)], "192.168.0.1", False)
    iface.mtu = 9000
    iface.start_mode = "hotplug"
    out = InterfaceDef.from_xml(iface.to_xml())
    assert (out.mtu, out.start_mode) == (9000, "hotplug")
    assert [c.tag for c in out.element] == ["start", "mtu", "protocol", "mac"]


def test_bridge_slaves() -> None:
    br = InterfaceDef.from_xml(
        "<interface type='bridge' name='br0'><bridge stp='off'><interface type='ethernet' name='eth0'/>"
        "<interface type='ethernet' name='eth1'/></bridge></interface>"
    )
    assert [s.name for s in br.slaves] == ["eth0", "eth1"]


INTERFACES = [
    "<interface type='ethernet' name='eth0'><mac address='AA:BB:CC:DD:EE:FF'/><protocol family='ipv6'><autoconf/>"
    "<dhcp/><ip address='fd00::2' prefix='64'/><route gateway='fd00::1'/></protocol><protocol family='ipv4'>"
    "<dhcp peerdns='no'/></protocol><link speed='1000' state='up'/><mtu size='1500'/><start mode='hotplug'/><bogus/></interface>",
    "<interface type='bridge' name='br0'><start mode='onboot'/><bridge stp='off' delay='0.01'><interface type='ethernet' "
    "name='eth0'><mac address='ab:bb:cc:dd:ee:ff'/></interface><interface type='vlan' name='eth0.1'><vlan tag='1'>"
    "<interface name='eth0'/></vlan></interface></bridge><protocol family='ipv4'><ip address='1.2.3.4' prefix='24'/>"
    "</protocol></interface>",
    "<interface type='bond' name='bond0'><start mode='none'/><bond mode='active-backup'><miimon freq='100' updelay='10' "
    "carrier='ioctl'/><interface type='ethernet' name='eth1'/><interface type='ethernet' name='eth2'/></bond></interface>",
    "<interface type='bond' name='bond0'><bond mode='802.3ad'><arpmon interval='100' target='1.2.3.4' validate='all'/>"
    "<interface type='ethernet' name='eth1'/></bond></interface>",
    "<interface type='vlan' name='eth0.42'><start mode='onboot'/><vlan tag='42'><interface name='eth0'/></vlan></interface>",
    # rejected
    "<interface name='eth0'/>",
    "<interface type='bogus' name='eth0'/>",
    "<interface type='ethernet'/>",
    "<interface type='ethernet' name='eth0'><start mode='sometimes'/></interface>",
    "<interface type='ethernet' name='eth0'><protocol family='ipv5'/></interface>",
    "<interface type='vlan' name='eth0.42'><vlan><interface name='eth0'/></vlan></interface>",
    "<interface type='bridge' name='br0'></interface>",
]


@pytest.mark.parametrize("index", range(len(INTERFACES)))
def test_interface_against_libvirt(oracle, index: int) -> None:
    libvirt, empty, _ = oracle
    text = INTERFACES[index]
    try:
        obj = empty.interfaceDefineXML(text)
    except libvirt.libvirtError as exc:
        with pytest.raises(VirtError) as info:
            InterfaceDef.from_xml(text)
        assert (int(info.value.code), info.value.message) == (exc.get_error_code(), exc.get_error_message())
        return
    try:
        theirs = obj.XMLDesc(0)
    finally:
        obj.undefine()
    ours = InterfaceDef.from_xml(text).to_xml()
    assert canonical(ours) == canonical(theirs)
    validate_against_schema(etree.fromstring(ours.encode()), "interface")


def test_default_interfaces_round_trip(oracle) -> None:
    _, _, default = oracle
    for iface in default.listAllInterfaces():
        theirs = iface.XMLDesc(0)
        ours = InterfaceDef.from_xml(theirs, validate=True)
        assert canonical(ours.to_xml()) == canonical(theirs)


# ---------------------------------------------------------------------------------------------
# node devices


def test_nodedev_fields() -> None:
    dev = NodeDeviceDef.from_xml(
        create=True,
        text="<device><parent>scsi_host1</parent><capability type='scsi_host'><capability type='fc_host'>"
        "<wwnn>2000000012341299</wwnn><wwpn>1000000012341299</wwpn></capability></capability></device>"
    )
    assert dev.name == "new device" and dev.parent == "scsi_host1"
    assert [c.type for c in dev.capabilities] == ["scsi_host"]
    assert dev.capability("fc_host").get("wwpn") == "1000000012341299"
    dev.parent = "scsi_host2"
    dev.name = "scsi_host12"  # what a driver does when it creates the device
    again = NodeDeviceDef.from_xml(dev.to_xml())
    assert (again.name, again.parent) == ("scsi_host12", "scsi_host2")
    with pytest.raises(VirtError) as info:
        NodeDeviceDef.from_xml("<device><capability type='system'/></device>")
    assert info.value.code == ErrorNumber.NO_NAME


def test_default_node_devices_round_trip(oracle) -> None:
    _, _, default = oracle
    devices = default.listAllDevices()
    assert devices
    for dev in devices:
        theirs = dev.XMLDesc(0)
        ours = NodeDeviceDef.from_xml(theirs, validate=True)
        assert canonical(ours.to_xml()) == canonical(theirs)
        assert ours.name == dev.name()


@pytest.mark.parametrize(
    "text",
    [
        "<device/>",
        "<device><name>x</name></device>",
        "<device><name>x</name><capability type='bogus'/></device>",
        "<device><name>x</name><capability type='system'/></device>",
    ],
)
def test_nodedev_errors_match_libvirt(oracle, text: str) -> None:
    libvirt, _, default = oracle
    with pytest.raises(libvirt.libvirtError) as exc:
        default.nodeDeviceCreateXML(text, 0)
    with pytest.raises(VirtError) as info:
        NodeDeviceDef.from_xml(text, create=True)
    assert (int(info.value.code), info.value.message) == (exc.value.get_error_code(), exc.value.get_error_message())


# ---------------------------------------------------------------------------------------------
# capabilities


def test_parse_libvirts_capabilities(oracle) -> None:
    _, _, default = oracle
    text = default.getCapabilities()
    caps = Capabilities.from_xml(text, validate=True)
    root = etree.fromstring(text.encode())
    assert caps.host_arch == root.findtext("host/cpu/arch")
    assert [g.os_type for g in caps.guests] == [g.text for g in root.findall("guest/os_type")]
    assert len(caps.cells) == len(root.findall("host/topology/cells/cell"))
    guest = caps.find_guest(os_type="hvm")
    assert guest is not None and guest.emulator == root.findtext("guest/arch/emulator")
    assert caps.find_guest(os_type="exe") is None


def test_builder_reproduces_the_test_drivers_host(oracle) -> None:
    """Describe test:///default's fake host with the builder: same document as libvirt's."""
    _, _, default = oracle
    theirs = Capabilities.from_xml(default.getCapabilities())
    cells = []
    for cell in theirs.cells:
        el = cell.element
        pages = {int(p.get("size")): int(p.text) for p in el.findall("pages")}
        cells.append(CellSpec(cell.memory_kib, cell.cpu_ids, pages, socket=cell.id))
    guests = [
        GuestSpec(g.os_type, g.arch, g.emulator, domain_types=g.domain_types, features=g.features)
        for g in theirs.guests
    ]
    page_sizes = [int(p.get("size")) for p in theirs.element.findall("host/cpu/pages")]
    ours = build_capabilities(
        arch=theirs.host_arch,
        cpu_features=theirs.host_cpu_features,
        page_sizes_kib=page_sizes,
        cells=cells,
        secmodels=theirs.secmodels,
        guests=guests,
    )
    assert canonical(ours.to_xml()) == canonical(theirs.to_xml())


def test_builder_output_is_valid() -> None:
    caps = build_capabilities(
        cpu_model="Skylake-Client",
        cpu_vendor="Intel",
        cpu_feature_flags=["vmx"],
        migration_transports=["tcp", "rdma"],
        guests=[
            GuestSpec("hvm", "x86_64", "/usr/bin/qemu-system-x86_64", machines=[("pc-i440fx-7.2", "pc"), "q35"],
                      domain_types=["qemu", "kvm"], features=["acpi", ("apic", {"default": "off", "toggle": "yes"})]),
            GuestSpec("hvm", "aarch64", "/usr/bin/qemu-system-aarch64", machines=["virt"], domain_types=["qemu"]),
        ],
    )
    validate_against_schema(caps.element, "capabilities")
    assert caps.find_guest(arch="aarch64").wordsize == 64
    assert caps.find_guest(domain_type="kvm").machines == ["pc-i440fx-7.2", "q35"]
    assert caps.cells and sum(len(c.cpu_ids) for c in caps.cells) >= 1


def test_broken_capabilities_document() -> None:
    with pytest.raises(VirtError) as info:
        Capabilities.from_xml("<capabilities><host>")
    assert info.value.code == ErrorNumber.XML_DETAIL


_JUNK = ("", "x", "-1", "0", "yes", "no", "on", "1.2.3.4", "fd00::1", "/abs", "52:54:00:00:00:01",
         "ipv4", "ethernet", "bridge")


def test_interface_mutants_agree_with_libvirt(oracle) -> None:
    """Seeded random perturbations of the accepted cases above: same verdict, error text and
    document as libvirt's interface parser."""
    import random

    libvirt, empty, _ = oracle
    rng = random.Random(20261125)
    seeds = [text for text in INTERFACES if "<interface name=" not in text][:5]
    disagreements = []
    for _ in range(200):
        root = etree.fromstring(rng.choice(seeds).encode())
        for _ in range(rng.randint(1, 2)):
            el = rng.choice(list(root.iter()))
            roll = rng.random()
            if roll < 0.3 and el is not root:
                el.getparent().remove(el)
            elif roll < 0.7 and el.attrib:
                el.set(rng.choice(sorted(el.attrib)), rng.choice(_JUNK))
            elif el is not root:
                el.getparent().append(etree.fromstring(etree.tostring(el)))
        text = etree.tostring(root).decode()
        try:
            obj = empty.interfaceDefineXML(text)
            theirs, exc = obj.XMLDesc(0), None
            obj.undefine()
        except libvirt.libvirtError as e:
            theirs, exc = None, e
        try:
            ours, err = InterfaceDef.from_xml(text).to_xml(), None
        except VirtError as e:
            ours, err = None, e
        if theirs is None or ours is None:
            ok = theirs is None and ours is None and err.message == exc.get_error_message()
        else:
            ok = canonical(ours) == canonical(theirs)
        if not ok:
            disagreements.append(text)
    assert len(disagreements) <= 4, disagreements[:3]  # >= 98% agreement
