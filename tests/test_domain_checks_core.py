"""The cross-field checks (``pyvirt._core.domain_checks``) on the paths the corpus leaves out.

Every error the checks raise is reached by the corpus conformance run or by a probe of the
domain test modules, except those below; each is compared with live libvirt (define on a test
driver with an empty node), code and message. A few more probes pin the core's own paths:
the deduplication of controllers whose index is not a plain decimal number, host devices whose
``<source>`` is compared through C14N (a comment inside) or attribute by attribute (another
order), and a second ``<devices>`` element, which libvirt reads as well as the first.
"""

from __future__ import annotations

import pytest
from conformance.domain_oracle import oracle_result

from pyvirt._core import domain_checks, xmlcore
from pyvirt.conf.domain import DomainDef
from pyvirt.errors import ErrorNumber, VirtError

HEAD = (
    "<domain type='kvm'><name>probe</name><memory>1048576</memory>"
    "<os><type arch='x86_64' machine='pc'>hvm</type></os>"
)


def pyvirt_result(text: str) -> tuple[int | None, str]:
    try:
        DomainDef.from_xml(text)
    except VirtError as exc:
        return int(exc.code), exc.message
    return None, ""


def pci_hostdev(source: str) -> str:
    return f"<hostdev mode='subsystem' type='pci'><source>{source}</source></hostdev>"


PCI_SOURCE = "<address domain='0' bus='6' slot='7' function='0'/>"

#: documents both refuse with the same code and message
SAME_ERROR = {
    "memory-devices-exceed-total": "<maxMemory slots='16' unit='KiB'>8388608</maxMemory><vcpu>2</vcpu>"
    "<cpu><numa><cell id='0' cpus='0-1' memory='1048576'/></numa></cpu><devices><memory model='dimm'>"
    "<target><size unit='KiB'>2097152</size><node>0</node></target></memory></devices>",
    "numa-cells-overlap": "<vcpu>4</vcpu><cpu><numa><cell id='0' cpus='0-2' memory='524288'/>"
    "<cell id='1' cpus='2-3' memory='524288'/></numa></cpu>",
    "hostdev-duplicate-attribute-order": "<devices>" + pci_hostdev(PCI_SOURCE)
    + pci_hostdev("<address function='0' slot='7' bus='6' domain='0'/>") + "</devices>",
    "hostdev-duplicate-comment-in-source": "<devices>" + pci_hostdev("<!-- c -->" + PCI_SOURCE)
    + pci_hostdev(PCI_SOURCE) + "</devices>",
    "controllers-same-index-spelled-01": "<devices><controller type='scsi' index='01'/>"
    "<controller type='scsi' index='01'/></devices>",
    "pci-root-target-index-not-a-number": "<devices><controller type='pci' index='0' model='pci-root'>"
    "<target index='x'/></controller></devices>",
    "usb-port-in-second-devices": "<devices><emulator>/bin/q</emulator></devices><devices>"
    "<controller type='usb' model='piix3-uhci'/><input type='tablet' bus='usb'>"
    "<address type='usb' bus='0' port='1.x'/></input></devices>",
}

@pytest.mark.parametrize("name", sorted(SAME_ERROR))
def test_same_error_as_libvirt(libvirt_oracle: object, name: str) -> None:
    text = HEAD + SAME_ERROR[name] + "</domain>"
    _, want_code, want_message = oracle_result(libvirt_oracle, text)
    assert want_code is not None, "libvirt accepts the probe"
    assert pyvirt_result(text) == (want_code, want_message)


def test_hostdevs_with_different_sources_pass() -> None:
    other = "<address domain='0' bus='6' slot='8' function='0'/>"
    text = HEAD + "<devices>" + pci_hostdev("<!-- c -->" + PCI_SOURCE) + pci_hostdev(other) + "</devices></domain>"
    assert pyvirt_result(text) == (None, "")


def check(body: str) -> tuple[int | None, str]:
    """The checks alone, on a tree that skipped the post-parse."""
    try:
        domain_checks.validate_domain(xmlcore.parse(HEAD + body + "</domain>"))
    except VirtError as exc:
        return int(exc.code), exc.message
    return None, ""


@pytest.mark.parametrize("ctype", ["pci", "other"])
def test_many_controllers(ctype: str) -> None:
    """Controllers past the bitmap's range, or of a type it does not know, are compared one
    by one; a duplicate among a thousand is still found, the first one reported."""
    many = "".join(f"<controller type='{ctype}' index='{i}'/>" for i in range(1100))
    assert check(f"<devices>{many}</devices>") == (None, "")
    for index in (5, 1050):
        dup = f"<controller type='{ctype}' index='{index}'/>"
        assert check(f"<devices>{many}{dup}{dup}</devices>") == (
            ErrorNumber.XML_ERROR,
            f"XML error: Multiple '{ctype}' controllers with index '{index}'",
        )


def test_memory_beyond_64_bits() -> None:
    """Sizes too long for the C fast path are added as Python integers."""
    head = "<domain type='kvm'><name>probe</name><memory>{total}</memory><devices>{dimms}</devices></domain>"
    dimm = "<memory model='dimm'><target><size>{size}</size></target></memory>"
    big = 10**25
    fits = head.format(total=3 * big + 1, dimms=dimm.format(size=big) * 3)
    assert domain_checks.validate_domain(xmlcore.parse(fits)) is None
    for total, message in ((3 * big, "Memory size must be specified via <memory> or in the <numa> configuration"),
                           (3 * big - 1, "Total size of memory devices exceeds the total memory size")):  # fmt: skip
        with pytest.raises(VirtError) as info:
            domain_checks.validate_domain(xmlcore.parse(head.format(total=total, dimms=dimm.format(size=big) * 3)))
        assert info.value.message == "XML error: " + message
