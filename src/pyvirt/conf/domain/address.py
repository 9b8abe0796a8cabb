"""Device addresses (``<address type='pci' .../>`` and friends): parse, check, and respell.

libvirt reads address numbers in any C base (``0x12``, ``18``, ``022``) and writes each type
with its own fixed spelling (pci slot as ``0x12``, ccw devno as ``0x000a``, drive units in
decimal, ...). The per-type spelling lives in :data:`ADDRESS_FORMATS`.
"""

from __future__ import annotations

from lxml import etree

from ..._core.xmlcore import child, respell_address, respell_device_addresses
from ..._core.xmlcore import get as aget
from ..._core.xmlcore import set as aset
from ...errors import ErrorDomain, ErrorNumber, virt_error
from ..values import invalid_prop


def c_uint(text: str) -> int | None:
    """strtoul with base 0 (hex with 0x, octal with a leading 0, else decimal); None if bad."""
    s = text.strip()
    if not s or s[0] in "+-":
        return None
    try:
        if s[:2].lower() == "0x":
            return int(s[2:], 16)
        if len(s) > 1 and s[0] == "0":
            return int(s[1:], 8)
        return int(s, 10)
    except ValueError:
        return None


# per type: attribute name -> (printf format, default when absent or None to leave out, limit)
ADDRESS_FORMATS: dict[str, tuple[tuple[str, str, int | None, int | None], ...]] = {
    "pci": (
        ("domain", "0x%04x", 0, 0xFFFF),
        ("bus", "0x%02x", 0, 0xFF),
        ("slot", "0x%02x", 0, 0x1F),
        ("function", "0x%x", 0, 7),
    ),
    "drive": (
        ("controller", "%d", 0, None),
        ("bus", "%d", 0, None),
        ("target", "%d", 0, None),
        ("unit", "%d", 0, None),
    ),
    "virtio-serial": (
        ("controller", "%d", 0, None),
        ("bus", "%d", 0, None),
        ("port", "%d", 0, None),
    ),
    "ccw": (
        ("cssid", "0x%x", 0, 0xFF),
        ("ssid", "0x%x", 0, 0x3),
        ("devno", "0x%04x", 0, 0xFFFF),
    ),
    "spapr-vio": (("reg", "0x%08x", None, None),),
    "ccid": (("controller", "%d", 0, None), ("slot", "%d", 0, None)),
    "isa": (("iobase", "0x%x", None, None), ("irq", "0x%x", None, None)),
    "dimm": (("slot", "%d", 0, None), ("base", "0x%x", None, None)),
}

#: the types the core respells (ccw keeps its partial-specification check in Python), as
#: rows ``(name, name bytes, default, limit or -1, is pci, C format)``
_FAST_TYPES = {
    atype: tuple(
        (name, name.encode(), default, -1 if limit is None else limit, atype == "pci",
         (fmt[:-1] + "ll" + fmt[-1]).encode())
        for name, fmt, default, limit in spec
    )
    for atype, spec in ADDRESS_FORMATS.items()
    if atype != "ccw"
}  # fmt: skip
_PCI_ATTRS = tuple(name for name, *_ in ADDRESS_FORMATS["pci"])

PCI_NAMES = {"domain": "domain", "bus": "bus", "slot": "slot", "function": "function"}


#: (format, limit, text as written) -> (value, libvirt's spelling): address numbers repeat a lot
_SPELLED: dict[tuple[str, int | None, str], tuple[int, str]] = {}


def normalize_address(addr: etree._Element, zero_empty: bool = True) -> None:
    """Rewrite one address element in libvirt's spelling, checking ranges as libvirt does.

    Only values that change are written (each lxml write costs more than a read). The core
    respells the plain spellings of the common types; anything else comes here.
    """
    done = respell_address(addr, _FAST_TYPES, zero_empty)
    if done:
        if done == 2:
            for name in _PCI_ATTRS:
                addr.attrib.pop(name, None)
        return
    atype = aget(addr, "type")
    spec = ADDRESS_FORMATS.get(atype or "")
    if spec is None:
        return
    changes: list[tuple[str, str]] = []
    all_zero = True
    if atype == "ccw":
        given = sum(aget(addr, name) is not None for name in ("cssid", "ssid", "devno"))
        if 0 < given < 3:
            raise virt_error(
                ErrorNumber.INTERNAL_ERROR,
                "Invalid partial specification for virtio ccw address",
                domain=ErrorDomain.DOMAIN,
            )
    if atype == "pci":
        zpci = child(addr, "zpci")
        if zpci is not None:
            _normalize_zpci(zpci)
    for name, fmt, default, limit in spec:
        raw = aget(addr, name)
        if raw is None:
            if default is None:
                continue
            value = default
            text = fmt % value
        else:
            known = _SPELLED.get((fmt, limit, raw))
            if known is None:
                value = c_uint(raw)
                if value is None:
                    raise _bad(atype, name, raw)
                if limit is not None and value > limit and atype == "pci":
                    raise virt_error(
                        ErrorNumber.XML_ERROR,
                        f"Invalid PCI address {name}='{raw}', must be <= 0x{limit:X}",
                        domain=ErrorDomain.DOMAIN,
                    )
                text = fmt % value
                if len(_SPELLED) < 4096:
                    _SPELLED[(fmt, limit, raw)] = (value, text)
            else:
                value, text = known
        if value:
            all_zero = False
        if text != raw:
            changes.append((name, text))
    if zero_empty and atype == "pci" and all_zero:
        # an all-zero PCI address is "not assigned yet": libvirt writes only the type
        for name, *_ in spec:
            addr.attrib.pop(name, None)
        return
    for name, text in changes:
        aset(addr, name, text)


def _normalize_zpci(zpci: etree._Element) -> None:
    """s390 PCI ids: both written, uid as 0x%04x and fid as 0x%08x (0 when absent)."""
    values = []
    for name, fmt in (("uid", "0x%04x"), ("fid", "0x%08x")):
        raw = aget(zpci, name)
        value = 0 if raw is None else c_uint(raw)
        if value is None:
            raise _bad("pci", name, raw or "")
        values.append((name, fmt % value))
    zpci.attrib.clear()
    for name, text in values:
        aset(zpci, name, text)


def _bad(atype: str | None, name: str, raw: str) -> Exception:
    """libvirt's virXMLPropUInt wording for a number it cannot read."""
    return invalid_prop(name, "zpci" if name in ("uid", "fid") else "address", raw,
                        "Expected non-negative integer value")


def normalize_all(devices: etree._Element) -> None:
    """Respell every device address below ``devices``."""
    # a device's own address is its direct child; deeper ones (host device sources, drive
    # addresses of a hostdev's <source>) have other spellings. The core respells the plain
    # ones in one walk and hands back the rest (unusual spellings, errors, all-zero PCI).
    for addr, code in respell_device_addresses(devices, _FAST_TYPES):
        if code == 2:
            for name in _PCI_ATTRS:
                addr.attrib.pop(name, None)
        else:
            normalize_address(addr)
