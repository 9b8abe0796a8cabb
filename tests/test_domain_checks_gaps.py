"""Values libvirt 9.0 reads as C numbers, and the firmware rules, compared with live libvirt.

Each case is defined on libvirt's test driver (an empty node) and parsed by pyvirt: both must
refuse it with the same code and message, or both accept it (and, for networks and storage
pools, write the probed element the same way). The areas:

- USB device addresses: the port (up to four numbers, each read by ``strtoul`` with libvirt's
  checks, so " 1", "+1", "1.+2" and even "1 2" pass; non-ASCII digits, '-' and values past
  2**32-1 do not) and the bus (virXMLPropUInt);
- the firmware: a loader's path is its whole text (blanks included), what an autoselected
  firmware forbids, where NVRAM is allowed, the firmware features;
- a PCI controller's ``<target>`` options (virXMLPropInt: "Expected integer value" /
  "Expected non-negative value", any C base) and their ranges;
- the shared value helpers (``pyvirt.conf.values``) on the attributes their users read:
  network VLAN tags, routes, DHCP lease times and forward PCI addresses, storage pool adapter
  addresses and ports, and domain attributes the post-parse reads through ``uint_prop``.

Outputs of accepted domain documents are not compared here: respelling those numbers is the
device post-parse's part.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import random

import pytest
from conformance.domain_oracle import oracle_result
from lxml import etree

from pyvirt.conf.domain import DomainDef
from pyvirt.conf.network import NetworkDef
from pyvirt.conf.storage import StoragePoolDef
from pyvirt.conf.values import c_strtoul, prop_int, str_to_int, str_to_uint, uint_prop
from pyvirt.errors import VirtError

HEAD = (
    "<domain type='kvm'><name>probe</name><memory>1048576</memory>"
    "<os{os}><type arch='x86_64' machine='pc'>hvm</type>{boot}</os>"
)

#: values every sweep tries
NUMBERS = ["-1", "x", "1x", "", " 1", "0x10", "99999999999999999999", "-0", "+1", "1 ", "010",
           "4294967296", "4294967295", "2147483648", "0", "1", "&#9;1", "&#x663;"]  # fmt: skip


def domain(body: str, os: str = "", boot: str = "") -> str:
    return HEAD.format(os=os, boot=boot) + body + "</domain>"


def pyvirt_domain(text: str) -> tuple[int | None, str]:
    try:
        DomainDef.from_xml(text)
    except VirtError as exc:
        return int(exc.code), exc.message
    return None, ""


def same_domain_outcome(conn: object, text: str) -> None:
    _, code, message = oracle_result(conn, text)
    assert pyvirt_domain(text) == (code, message or ""), text


# -- USB addresses -------------------------------------------------------------------------------

USB_PORTS = NUMBERS + ["1.+2", "1 2", "1+2", "1. 2", "1.2.3.4", "1.2.3.4.5", "1.x", "1.", "1..2",
                       "1-2", "00000000000000000000001", "&#10;1.&#13;2", "1.4294967296"]  # fmt: skip


def usb_input(port: str = "1", bus: str = "0") -> str:
    return domain(
        "<devices><controller type='usb' model='piix3-uhci'/><input type='tablet' bus='usb'>"
        f"<address type='usb' bus='{bus}' port='{port}'/></input></devices>"
    )


@pytest.mark.parametrize("port", USB_PORTS)
def test_usb_port(libvirt_oracle: object, port: str) -> None:
    same_domain_outcome(libvirt_oracle, usb_input(port=port))


@pytest.mark.parametrize("bus", NUMBERS)
def test_usb_bus(libvirt_oracle: object, bus: str) -> None:
    same_domain_outcome(libvirt_oracle, usb_input(bus=bus))


@pytest.mark.parametrize("device", [
    "<serial type='pty'><target type='usb-serial'/>{a}</serial>",
    "<sound model='usb'>{a}</sound>",
    "<hub type='usb'>{a}</hub>",
    "<redirdev bus='usb' type='spicevmc'>{a}</redirdev>",
    "<disk type='file' device='disk'><source file='/d'/><target dev='sda' bus='usb'/>{a}</disk>",
])  # fmt: skip
def test_usb_port_on_any_device(libvirt_oracle: object, device: str) -> None:
    """libvirt reads every device's own address, whatever the device."""
    address = "<address type='usb' bus='0' port='1.x'/>"
    text = domain("<devices><controller type='usb' model='piix3-uhci'/>" + device.format(a=address) + "</devices>")
    same_domain_outcome(libvirt_oracle, text)


def test_usb_port_is_a_parse_error(libvirt_oracle: object) -> None:
    """A bad port is found while parsing, before the memory post-parse complains."""
    text = usb_input(port="x").replace("<memory>1048576</memory>", "<memory>0</memory>")
    same_domain_outcome(libvirt_oracle, text)


# -- firmware ------------------------------------------------------------------------------------

FIRMWARES = ["", " firmware='efi'", " firmware='bios'"]
LOADERS = [
    "", "<loader/>", "<loader> </loader>", "<loader>&#160;</loader>", "<loader>\n  \n</loader>",
    "<loader>&#9;</loader>", "<loader><![CDATA[ ]]></loader>", "<loader><!-- c --></loader>",
    "<loader>/p</loader>", "<loader type='pflash'>/p</loader>", "<loader readonly='no'/>",
    "<loader type='pflash' readonly='yes'/>", "<loader readonly='yes'>/p</loader>", "<loader secure='no'/>",
    "<loader secure='yes'/>", "<loader stateless='no'/>", "<loader stateless='yes'>/p</loader>",
    "<loader type='pflash' stateless='no'>/p</loader>", "<loader type='rom'/>",
]  # fmt: skip
NVRAMS = ["", "<nvram/>", "<nvram>/n</nvram>", "<nvram template='/t'/>", "<nvram template=''/>",
          "<nvram><!--c--></nvram>", "<nvram type='file'><source file='/n'/></nvram>"]  # fmt: skip


@pytest.mark.parametrize("firmware", FIRMWARES)
@pytest.mark.parametrize("loader", LOADERS)
@pytest.mark.parametrize("nvram", NVRAMS)
def test_firmware(libvirt_oracle: object, firmware: str, loader: str, nvram: str) -> None:
    same_domain_outcome(libvirt_oracle, domain("", os=firmware, boot=loader + nvram))


FEATURES = [
    "<feature enabled='yes' name='enrolled-keys'/><feature enabled='no' name='secure-boot'/>",
    "<feature enabled='yes' name='enrolled-keys'/><feature enabled='no' name='secure-boot'/>"
    "<feature enabled='yes' name='secure-boot'/>",
    "<feature enabled='no' name='secure-boot'/><feature enabled='yes' name='enrolled-keys'/>",
    "<feature enabled='yes' name='enrolled-keys'/>",
]


@pytest.mark.parametrize("firmware", FIRMWARES)
@pytest.mark.parametrize("features", FEATURES)
@pytest.mark.parametrize("loader", ["", "<loader readonly='yes'/>"])
def test_firmware_features(libvirt_oracle: object, firmware: str, features: str, loader: str) -> None:
    text = domain("", os=firmware, boot=f"<firmware>{features}</firmware>{loader}")
    same_domain_outcome(libvirt_oracle, text)


def test_firmware_features_of_every_firmware_element(libvirt_oracle: object) -> None:
    boot = ("<firmware><feature enabled='no' name='secure-boot'/></firmware>"
            "<firmware><feature enabled='yes' name='enrolled-keys'/></firmware>")  # fmt: skip
    same_domain_outcome(libvirt_oracle, domain("", os=" firmware='efi'", boot=boot))


# -- PCI controller targets ----------------------------------------------------------------------

PCI_CONTROLLERS = [("pci-bridge", "1"), ("pci-root", "0"), ("pci-root", "1")]
TARGET_OPTIONS = ["index", "chassisNr", "chassis", "port", "busNr"]


@pytest.mark.parametrize(("model", "index"), PCI_CONTROLLERS)
@pytest.mark.parametrize("option", TARGET_OPTIONS)
@pytest.mark.parametrize("value", NUMBERS + ["30", "31", "254", "255", "256", "017", "0x1e"])
def test_pci_target_option(libvirt_oracle: object, model: str, index: str, option: str, value: str) -> None:
    text = domain(f"<devices><controller type='pci' index='{index}' model='{model}'>"
                  f"<target {option}='{value}'/></controller></devices>")  # fmt: skip
    same_domain_outcome(libvirt_oracle, text)


def test_pci_target_options_order(libvirt_oracle: object) -> None:
    """Parse errors in libvirt's reading order, then the ranges in its checking order."""
    for a in TARGET_OPTIONS:
        for b in TARGET_OPTIONS:
            if a != b:
                for value in ("x", "300"):
                    text = domain("<devices><controller type='pci' index='1' model='pci-bridge'>"
                                  f"<target {a}='{value}' {b}='{value}'/></controller></devices>")  # fmt: skip
                    same_domain_outcome(libvirt_oracle, text)


@pytest.mark.parametrize("index", ["0", "1"])
@pytest.mark.parametrize("node", NUMBERS + ["1.0", " 1 ", "1<!--c-->2"])
def test_pci_target_node(libvirt_oracle: object, index: str, node: str) -> None:
    model = "pci-root" if index == "0" else "pci-expander-bus"
    text = domain(f"<devices><controller type='pci' index='{index}' model='{model}'>"
                  f"<target busNr='200'><node>{node}</node></target></controller></devices>")  # fmt: skip
    if index == "0":
        text = text.replace(" busNr='200'", "")
    same_domain_outcome(libvirt_oracle, text)


# -- the value helpers, through their users ------------------------------------------------------


@pytest.mark.parametrize("value", NUMBERS)
@pytest.mark.parametrize("template", [
    "<vcpu current='{v}'>2</vcpu>",
    "<vcpu>2</vcpu><cpu><numa><cell id='{v}' cpus='0-1' memory='1048576'/></numa></cpu>",
])  # fmt: skip
def test_domain_uint_attributes(libvirt_oracle: object, template: str, value: str) -> None:
    same_domain_outcome(libvirt_oracle, domain(template.replace("{v}", value)))


def define(conn: object, kind: str, text: str) -> tuple[int | None, str]:
    """libvirt's outcome for a network or pool: (None, its XML) or (code, message)."""
    import libvirt

    try:
        define_xml = conn.networkDefineXML if kind == "network" else conn.storagePoolDefineXML  # type: ignore[attr-defined]
        obj = define_xml(text)
    except libvirt.libvirtError as exc:
        return exc.get_error_code(), exc.get_error_message()
    try:
        return None, obj.XMLDesc(0)
    finally:
        obj.undefine()


def parse(kind: str, text: str) -> tuple[int | None, str]:
    try:
        return None, (NetworkDef if kind == "network" else StoragePoolDef).from_xml(text).to_xml()
    except VirtError as exc:
        return int(exc.code), exc.message


def probed(text: str, path: str) -> list[dict[str, str]]:
    return [dict(el.attrib) for el in etree.fromstring(text.encode()).iterfind(path)]


NETWORK = "<network><name>n1</name>{}</network>"
ROUTED = "<ip address='192.168.1.1' prefix='24'/><route address='10.0.0.0' gateway='192.168.1.2' {}/>"
DHCP = (
    "<ip address='192.168.1.1' prefix='24'><dhcp><range start='192.168.1.2' end='192.168.1.9'>"
    "<lease {}/></range></dhcp></ip>"
)
HOSTDEV_FORWARD = "<forward mode='hostdev'><address type='pci' {}/></forward>"
PCI = "domain='0' bus='{v}' slot='1' function='0'"
POOL_ADAPTER = (
    "<pool type='scsi'><name>p1</name><source><adapter type='scsi_host'><parentaddr unique_id='{}'>"
    "<address {}/></parentaddr></adapter></source><target><path>/dev/disk/by-path</path></target></pool>"
)
NETFS_POOL = (
    "<pool type='netfs'><name>p1</name><source><host name='h' port='{v}'/><dir path='/x'/>"
    "<format type='nfs'/></source><target><path>/mnt</path></target></pool>"
)
VLAN = "<forward mode='bridge'/><bridge name='br0'/><vlan><tag id='{v}'/></vlan>"
LEASE = "ip/dhcp/range/lease"
#: case -> (object kind, document with {v} for the value, path of the element compared)
CASES = {
    "vlan-tag-id": ("network", NETWORK.format(VLAN), "vlan/tag"),
    "ip-prefix": ("network", NETWORK.format("<ip address='192.168.1.1' prefix='{v}'/>"), "ip"),
    "route-prefix": ("network", NETWORK.format(ROUTED.format("prefix='{v}'")), "route"),
    "route-metric": ("network", NETWORK.format(ROUTED.format("prefix='8' metric='{v}'")), "route"),
    "lease-expiry": ("network", NETWORK.format(DHCP.format("expiry='{v}'")), LEASE),
    "lease-expiry-seconds": ("network", NETWORK.format(DHCP.format("expiry='{v}' unit='seconds'")), LEASE),
    "forward-pci-bus": ("network", NETWORK.format(HOSTDEV_FORWARD.format(PCI)), "forward/address"),
    "pool-parentaddr-bus": ("pool", POOL_ADAPTER.format("1", PCI), "source/adapter/parentaddr/address"),
    "pool-unique-id": ("pool", POOL_ADAPTER.format("{v}", PCI.format(v="1")), "source/adapter/parentaddr"),
    "pool-host-port": ("pool", NETFS_POOL, "source/host"),
}


@pytest.mark.parametrize("value", NUMBERS + ["119", "120", "18446744073709551615", "18446744073709551616"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_network_and_pool_numbers(libvirt_oracle: object, case: str, value: str) -> None:
    kind, template, path = CASES[case]
    text = template.replace("{v}", value)
    want = define(libvirt_oracle, kind, text)
    got = parse(kind, text)
    if want[0] is not None or got[0] is not None:
        assert got == want
    else:
        assert probed(got[1], path) == probed(want[1], path)


@pytest.mark.parametrize("address", [
    "domain='0' bus='0x100' slot='1' function='0'", "domain='0' bus='1' slot='0x20' function='0'",
    "domain='0' bus='1' slot='1' function='8'", "domain='0x10000' bus='1' slot='1' function='0'",
    "domain='0' bus='0' slot='0' function='0'", "bus='1' multifunction='on'", "bus='1' multifunction='x'",
])  # fmt: skip
def test_pci_addresses(libvirt_oracle: object, address: str) -> None:
    for kind, template, path in (CASES["forward-pci-bus"], CASES["pool-parentaddr-bus"]):
        text = template.replace(PCI, address)
        want = define(libvirt_oracle, kind, text)
        got = parse(kind, text)
        if want[0] is not None or got[0] is not None:
            assert got == want, text
        else:
            assert probed(got[1], path) == probed(want[1], path), text


# -- the helpers themselves (no libvirt needed) -------------------------------------------------


def test_c_strtoul_is_the_c_library_one() -> None:
    """The emulation agrees with the C library's strtoul (value and end) on random strings."""
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    libc.strtoul.restype = ctypes.c_ulong
    libc.strtoul.argtypes = [ctypes.c_char_p, ctypes.POINTER(ctypes.c_char_p), ctypes.c_int]
    rng = random.Random(7)
    for _ in range(20000):
        text = "".join(rng.choice(" \t+-0123456789xXabfg.") for _ in range(rng.randint(0, 7)))
        for base in (0, 8, 10, 16):
            buf = ctypes.create_string_buffer(text.encode())
            end = ctypes.c_char_p()
            value = libc.strtoul(buf, ctypes.byref(end), base)
            end_index = ctypes.cast(end, ctypes.c_void_p).value - ctypes.addressof(buf)
            magnitude, got_end, negative = c_strtoul(text, base)
            if magnitude is None:
                assert (value, end_index) == (0, 0), (text, base)
            else:
                assert (value, end_index) == ((-magnitude if negative else magnitude) % 2**64, got_end), (text, base)


def test_helper_rules() -> None:
    assert [str_to_uint(t) for t in (" 1", "+1", "-0", "1 ", "\u0663", "4294967295", "4294967296")] == [
        1, 1, None, None, None, 2**32 - 1, None]  # fmt: skip
    assert [str_to_int(t, 0) for t in ("-0", "0x10", "010", "2147483648", "-2147483648")] == [0, 16, 8, None, -(2**31)]
    assert uint_prop("18446744073709551615", "a", "e", bits=64) == 2**64 - 1
    with pytest.raises(VirtError, match="'-1'. Expected non-negative value"):
        prop_int("-1", "a", "e", nonnegative=True)
    with pytest.raises(VirtError, match="'x'. Expected integer value"):
        prop_int("x", "a", "e", nonnegative=True)
    with pytest.raises(VirtError, match="Zero is not permitted"):
        uint_prop("0", "a", "e", nonzero=True)
