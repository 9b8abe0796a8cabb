"""Device parse details of libvirt 9.0 compared live (libvirt-python on ``test:///<node/>``).

Each case is defined on libvirt's test driver and parsed by pyvirt: both refuse it with the
same code and message, or both accept it and write the probed devices the same way. The areas:

- numbers libvirt rewrites as it writes them back: a USB address's port ("1.2", the numbers
  before the first 0) and bus (a C int), a PCI controller's target options (port in hex) and
  NUMA node, a virtio NIC's queue count (more than one, else left out), graphics ports;
- how it reads them: drive and virtio-serial addresses in base 10 ("0x10" refused, "+1" and
  " 1" read), NIC queues and graphics ports without trailing blanks or values past a C
  (unsigned) int;
- controllers: several USB controllers may share an index; a 'none' USB controller must be
  the only one;
- the TPM: model, one backend, backend type and emulator version checked; what each backend
  type keeps; a local disk source's foreign parts (protocol, name, <host>) and a
  <backingStore> with no type (the chain's terminator).
"""

from __future__ import annotations

import re

import pytest
from conformance.domain_oracle import oracle_result
from lxml import etree

from pyvirt.conf.domain import DomainDef
from pyvirt.errors import VirtError

HEAD = (
    "<domain type='kvm'><name>probe</name><memory>1048576</memory>"
    "<os><type arch='x86_64' machine='pc'>hvm</type></os><devices>"
)

#: values every number sweep tries
NUMBERS = [" 1", "+1", "010", "0x10", "1 ", "-1", "-0", "99999999999999999999", "4294967296",
           "4294967295", "2147483648", "65536", "", "&#9;1", "0", "1"]  # fmt: skip


def domain(devices: str) -> str:
    return HEAD + devices + "</devices></domain>"


def _devices(text: str | None, tags: tuple[str, ...]) -> list[str] | None:
    """The probed devices as canonical text (generated MACs and test-driver targets masked)."""
    if text is None:
        return None
    root = etree.fromstring(text.encode(), etree.XMLParser(remove_blank_text=True))
    out = []
    for tag in tags:
        for el in root.findall(f"devices/{tag}"):
            for mac in el.findall("mac"):
                el.remove(mac)
            for target in el.findall("target"):
                if (target.get("dev") or "").startswith("testnet"):
                    el.remove(target)
            out.append(re.sub(rb">\s+<", b"><", etree.tostring(el, method="c14n")).decode())
    return out


def outcomes(conn: object, devices: str, tags: tuple[str, ...]) -> tuple[tuple, tuple]:
    text = domain(devices)
    want_xml, want_code, want_message = oracle_result(conn, text)
    try:
        got_xml, got_code, got_message = DomainDef.from_xml(text).to_xml(inactive=True), None, ""
    except VirtError as exc:
        got_xml, got_code, got_message = None, int(exc.code), exc.message
    return (
        (_devices(want_xml, tags), want_code, want_message or ""),
        (_devices(got_xml, tags), got_code, got_message),
    )


def same(conn: object, devices: str, *tags: str) -> None:
    want, got = outcomes(conn, devices, tags)
    assert got == want, devices


# -- number spelling and reading -------------------------------------------------------------

NUMBER_CASES = {
    "usb-bus": ("<controller type='usb' model='piix3-uhci'/><input type='tablet' bus='usb'>"
                "<address type='usb' bus='{v}' port='1'/></input>", ("input",)),
    "usb-port": ("<controller type='usb' model='piix3-uhci'/><input type='tablet' bus='usb'>"
                 "<address type='usb' bus='0' port='{v}'/></input>", ("input",)),
    "drive-target": ("<disk type='file' device='disk'><source file='/a'/><target dev='sda' bus='scsi'/>"
                     "<address type='drive' controller='0' bus='0' target='{v}' unit='0'/></disk>", ("disk",)),
    "drive-controller": ("<disk type='file' device='disk'><source file='/a'/><target dev='sda' bus='scsi'/>"
                         "<address type='drive' controller='{v}' bus='0' target='0' unit='0'/></disk>",
                         ("disk", "controller")),
    "virtio-serial-port": ("<controller type='virtio-serial' index='0'/><channel type='pty'>"
                           "<target type='virtio' name='a'/>"
                           "<address type='virtio-serial' controller='0' bus='0' port='{v}'/></channel>",
                           ("channel",)),
    "pci-chassis-port": ("<controller type='pci' index='0' model='pcie-root'/>"
                         "<controller type='pci' index='1' model='pcie-root-port'>"
                         "<target chassis='{v}' port='{v}'/></controller>", ("controller",)),
    "pci-busNr": ("<controller type='pci' index='0' model='pci-root'/>"
                  "<controller type='pci' index='1' model='pci-expander-bus'><target busNr='{v}'/></controller>",
                  ("controller",)),
    "pci-node": ("<controller type='pci' index='0' model='pci-root'/>"
                 "<controller type='pci' index='1' model='pci-expander-bus'><target busNr='100'><node>{v}</node>"
                 "</target></controller>", ("controller",)),
    "nic-queues": ("<interface type='user'><model type='virtio'/><driver queues='{v}'/></interface>",
                   ("interface",)),
    "vnc-port": ("<graphics type='vnc' port='{v}' autoport='no'/>", ("graphics",)),
    "vnc-port-alone": ("<graphics type='vnc' port='{v}'/>", ("graphics",)),
    "vnc-websocket": ("<graphics type='vnc' port='5900' autoport='no' websocket='{v}'/>", ("graphics",)),
    "spice-port": ("<graphics type='spice' port='{v}' autoport='no'/>", ("graphics",)),
    "spice-tlsPort": ("<graphics type='spice' port='5900' tlsPort='{v}' autoport='no'/>", ("graphics",)),
    "spice-tlsPort-alone": ("<graphics type='spice' tlsPort='{v}'/>", ("graphics",)),
    "rdp-port": ("<graphics type='rdp' port='{v}' autoport='no'/>", ("graphics",)),
    "rdp-port-alone": ("<graphics type='rdp' port='{v}'/>", ("graphics",)),
}  # fmt: skip


@pytest.mark.parametrize("value", NUMBERS)
@pytest.mark.parametrize("case", sorted(NUMBER_CASES))
def test_numbers(libvirt_oracle: object, case: str, value: str) -> None:
    body, tags = NUMBER_CASES[case]
    same(libvirt_oracle, body.format(v=value), *tags)


@pytest.mark.parametrize("port", ["1 2", "1.+2", "1. 2", "&#9;1.&#10;2", "1.0.2", "0.1", "1.2.0", "1.2.3.4",
                                  "00000000000000000000001"])  # fmt: skip
def test_usb_port_spellings(libvirt_oracle: object, port: str) -> None:
    same(libvirt_oracle, "<controller type='usb' model='piix3-uhci'/><input type='tablet' bus='usb'>"
         f"<address type='usb' bus='0' port='{port}'/></input>", "input")  # fmt: skip


GRAPHICS = [
    "<graphics type='rdp'/>", "<graphics type='rdp' autoport='yes'/>", "<graphics type='rdp' port='3389'/>",
    "<graphics type='vnc' port='0'/>", "<graphics type='vnc' port='-1' autoport='no'/>",
    "<graphics type='spice' port='0' tlsPort='0' autoport='no'/>",
    "<graphics type='spice' port='-0' tlsPort='0' autoport='no'/>",
    "<graphics type='vnc' socket='/a' port='x'/>",
]  # fmt: skip


@pytest.mark.parametrize("graphics", GRAPHICS)
def test_graphics(libvirt_oracle: object, graphics: str) -> None:
    same(libvirt_oracle, graphics, "graphics")


@pytest.mark.parametrize("driver", ["<driver queues='1'/>", "<driver queues='0'/>",
                                    "<driver queues='1' txmode='iothread'/>"])  # fmt: skip
def test_nic_single_queue(libvirt_oracle: object, driver: str) -> None:
    same(
        libvirt_oracle,
        f"<interface type='user'><model type='virtio'/>{driver}</interface>",
        "interface",
    )


# -- controllers ------------------------------------------------------------------------------

CONTROLLERS = [
    "<controller type='usb' index='0' model='piix3-uhci'/><controller type='usb' index='0' model='qemu-xhci'/>",
    "<controller type='usb' index='0'/><controller type='usb' index='0'/>",
    "<controller type='usb' index='00'/><controller type='usb' index='0'/>",
    "<controller type='usb' index='0' model='ich9-ehci1'/><controller type='usb' index='0' model='nec-xhci'/>",
    "<controller type='usb' index='0' model='ich9-ehci1'/><controller type='usb' index='0' model='ich9-uhci1'/>"
    "<controller type='usb' index='0' model='ich9-ehci1'/><controller type='usb' index='0' model='ich9-uhci1'/>",
    "<controller type='usb' index='1' model='none'/><controller type='usb' index='1' model='ehci'/>",
    "<controller type='usb' index='0' model='ehci'/><controller type='usb' index='1' model='none'/>",
    "<controller type='usb' index='0' model='none'/><controller type='usb' index='0' model='none'/>",
    "<controller type='scsi' index='0'/><controller type='scsi' index='0'/>",
]


@pytest.mark.parametrize("controllers", CONTROLLERS)
def test_controllers(libvirt_oracle: object, controllers: str) -> None:
    same(libvirt_oracle, controllers, "controller")


# -- TPM --------------------------------------------------------------------------------------

SECRET = "<encryption secret='6dd3e4a5-1d76-44ce-961f-f119f5aad935'/>"
TPMS = [
    "<tpm model='bogus'><backend type='emulator'/></tpm>",
    "<tpm model='default'><backend type='emulator'/></tpm>",
    "<tpm model=''><backend type='emulator'/></tpm>",
    "<tpm model='tpm-tis'><backend type='bogus'/></tpm>",
    "<tpm model='tpm-tis'><backend type=''/></tpm>",
    "<tpm model='tpm-tis'><backend/></tpm>",
    "<tpm model='tpm-tis'/>",
    "<tpm><backend type='emulator'/></tpm>",
    "<tpm model='tpm-tis'><backend type='emulator' version='3.0'/></tpm>",
    "<tpm model='tpm-tis'><backend type='emulator' version='default'/></tpm>",
    "<tpm model='tpm-tis'><backend type='emulator' version=''/></tpm>",
    "<tpm model='tpm-crb'><backend type='emulator' version='1.2'/></tpm>",
    "<tpm model='tpm-tis'><backend type='emulator'/><backend type='passthrough'/></tpm>",
    "<tpm model='bogus'><backend type='bogus'/><backend/></tpm>",
    "<tpm model='tpm-tis'><backend type='bogus' version='x'/><backend/></tpm>",
    "<tpm model='tpm-tis'><backend type='passthrough'/></tpm>",
    "<tpm model='tpm-tis'><backend type='passthrough' version='3.0' persistent_state='yes'/></tpm>",
    "<tpm model='tpm-tis'><backend type='passthrough'><device/></backend></tpm>",
    "<tpm model='tpm-tis'><backend type='passthrough'><device path='/dev/x' foo='1'/><device path='/dev/y'/>"
    f"{SECRET}<active_pcr_banks><sha256/></active_pcr_banks></backend></tpm>",
    "<tpm model='tpm-tis'><backend type='external' version='2.0'><source type='unix' mode='connect' path='/a'/>"
    f"<device path='/dev/tpm0'/>{SECRET}</backend></tpm>",
    "<tpm model='tpm-tis'><backend type='emulator' version='2.0' persistent_state='yes'><active_pcr_banks>"
    f"<sha256/></active_pcr_banks>{SECRET}<device path='/x'/><source type='unix' path='/a'/></backend></tpm>",
    "<tpm model='tpm-tis'><backend type='emulator'><active_pcr_banks><md5/></active_pcr_banks></backend></tpm>",
    "<tpm model='tpm-tis'><backend type='emulator'/></tpm><tpm model='tpm-crb'><backend type='passthrough'/></tpm>",
]


@pytest.mark.parametrize("tpm", TPMS)
def test_tpm(libvirt_oracle: object, tpm: str) -> None:
    same(libvirt_oracle, tpm, "tpm")


# -- disk sources -----------------------------------------------------------------------------

ALL_SOURCE_ATTRS = ("file='/f' dev='/d' dir='/r' pool='p' volume='v' mode='host' protocol='http' name='n' tls='yes' "
                    "query='q' tlsHostname='t' path='/p' namespace='1' managed='yes' type='unix' index='1' "
                    "startupPolicy='optional'")  # fmt: skip
NETWORK_PARTS = ("<host name='h'/><snapshot name='s'/><config file='/c'/><reconnect delay='10'/><timeout seconds='5'/>"
                 "<readahead size='65536'/><cookies><cookie name='a'>b</cookie></cookies><ssl verify='yes'/>"
                 "<identity user='u'/><initiator><iqn name='i'/></initiator><seclabel model='dac' relabel='no'/>"
                 "<address type='pci' domain='0' bus='1' slot='0' function='0'/>"
                 "<slices><slice type='storage' offset='0' size='1'/></slices>")  # fmt: skip

DISKS = [
    "<disk type='file' device='disk'><source file='/a'/><backingStore><format type='raw'/><source file='/b'/>"
    "</backingStore><target dev='vda' bus='virtio'/></disk>",
    "<disk type='file' device='disk'><source file='/a'/><backingStore index='2'><backingStore type='file'/>"
    "</backingStore><target dev='vda' bus='virtio'/></disk>",
    "<disk type='file' device='disk'><source file='/a'/><backingStore/><target dev='vda' bus='virtio'/></disk>",
    "<disk type='file' device='disk'><source file='/a' protocol='nbd' name='x'><host name='h' port='1'/></source>"
    "<target dev='vda' bus='virtio'/></disk>",
    "<disk type='file' device='disk'><source file='/a' protocol='bogus'/><target dev='vda' bus='virtio'/></disk>",
    "<disk type='file' device='disk'><source file='/a' dev='/c' dir='/d' pool='p' volume='v' name='n' "
    "startupPolicy='optional' index='1'/><target dev='vda' bus='virtio'/></disk>",
] + [
    f"<disk type='{dtype}' device='cdrom'><source {ALL_SOURCE_ATTRS}>{NETWORK_PARTS}</source>"
    "<target dev='hda' bus='ide'/></disk>"
    for dtype in ("file", "block", "dir", "volume")
]


@pytest.mark.parametrize("disk", DISKS)
def test_disk_sources(libvirt_oracle: object, disk: str) -> None:
    same(libvirt_oracle, disk, "disk")


# -- the checks that can no longer be reached --------------------------------------------------


def test_watchdogs_in_two_device_lists(libvirt_oracle: object) -> None:
    """Two watchdogs, also across two <devices>: refused by the device step (the post-parse
    merged the lists first), as libvirt does."""
    same(libvirt_oracle, "<watchdog model='i6300esb'/><watchdog model='ib700'/>", "watchdog")
    text = (
        HEAD
        + "<watchdog model='i6300esb'/></devices><devices><watchdog model='ib700'/></devices></domain>"
    )
    _, code, message = oracle_result(libvirt_oracle, text)
    with pytest.raises(VirtError) as info:
        DomainDef.from_xml(text)
    assert (int(info.value.code), info.value.message) == (code, message)


# -- which refusal libvirt reports: its parse order of device kinds ----------------------------

USB_USERS = {
    "disk": "<disk type='file' device='disk'><source file='/a'/><target dev='sda' bus='usb'/>{a}</disk>",
    "input": "<input type='tablet' bus='usb'>{a}</input>",
    "hub": "<hub type='usb'>{a}</hub>",
    "redirdev": "<redirdev bus='usb' type='spicevmc'>{a}</redirdev>",
    "hostdev": "<hostdev mode='subsystem' type='usb'><source><vendor id='0x1234'/><product id='0xbeef'/>"
    "</source>{a}</hostdev>",
    "interface": "<interface type='user'><model type='usb-net'/>{a}</interface>",
    "serial": "<serial type='pty'><target type='usb-serial'/>{a}</serial>",
    "parallel": "<parallel type='pty'>{a}</parallel>",
    "sound": "<sound model='usb'>{a}</sound>",
    "controller": "<controller type='usb' index='1' model='qemu-xhci'>{a}</controller>",
    "watchdog": "<watchdog model='i6300esb'>{a}</watchdog>",
    "rng": "<rng model='virtio'><backend model='random'>/dev/random</backend>{a}</rng>",
    "memory": "<memory model='dimm'><target><size unit='KiB'>524288</size><node>0</node></target>{a}</memory>",
}


@pytest.mark.parametrize("first", sorted(USB_USERS))
def test_refusal_by_kind(libvirt_oracle: object, first: str) -> None:
    """Every device with a USB bus libvirt cannot read, ``first`` first in the document."""
    names = [first] + [n for n in sorted(USB_USERS, reverse=True) if n != first]
    body = "<controller type='usb' index='0' model='piix3-uhci'/>" + "".join(
        USB_USERS[n].format(a=f"<address type='usb' bus='x{n}' port='1'/>") for n in names
    )
    body += (
        "<controller type='pci' index='1' model='pcie-root-port'><target chassis='x'/></controller>"
    )
    same(libvirt_oracle, body)
