"""Value syntaxes shared by libvirt's formats: UUIDs, MAC addresses, integers, enums, booleans.

Each parser accepts exactly what libvirt accepts and raises libvirt's error (code, domain and
wording, naming the attribute and element) for anything else, so a bad value in a hand-written
document never surfaces as a Python traceback.
"""

from __future__ import annotations

import os
import re
import uuid as _uuid
from collections.abc import Iterable, Mapping

from ..errors import ErrorDomain, ErrorNumber, VirtError, virt_error

__all__ = [
    "parse_uuid",
    "format_uuid",
    "generate_uuid",
    "parse_mac",
    "format_mac",
    "generate_mac",
    "normalize_mac",
    "is_multicast_mac",
    "MAC_PREFIX_QEMU",
    "uint_prop",
    "prop_int",
    "prop_enum",
    "prop_bool",
    "invalid_prop",
]

_HEX = frozenset("0123456789abcdefABCDEF")


# ---------------------------------------------------------------------------------------------
# UUID


_CANONICAL_MAC = re.compile(r"[0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){5}")
_CANONICAL_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def parse_uuid(text: str) -> bytes | None:
    """libvirt's virUUIDParse: 32 hex digits, '-' or ' ' allowed between bytes; else None."""
    if _CANONICAL_UUID.fullmatch(text):
        return bytes.fromhex(text.replace("-", ""))
    s = text.lstrip()
    out = bytearray()
    i = 0
    n = len(s)
    while len(out) < 16:
        if i >= n:
            return None
        ch = s[i]
        if ch in "- ":
            i += 1
            continue
        if ch not in _HEX or i + 1 >= n or s[i + 1] not in _HEX:
            return None
        out.append(int(s[i : i + 2], 16))
        i += 2
    if s[i:].strip():
        return None
    return bytes(out)


def format_uuid(raw: bytes) -> str:
    """Canonical lowercase 8-4-4-4-12 text (a slice of ``hex()``: uuid.UUID costs 4x more)."""
    h = bytes(raw).hex()
    if len(h) != 32:
        return str(_uuid.UUID(bytes=bytes(raw)))  # its ValueError for a wrong length
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def generate_uuid() -> str:
    """A random (version 4, RFC 4122 variant) UUID, as libvirt generates for a definition
    without one; built from os.urandom as uuid.uuid4 does, without its object."""
    b = bytearray(os.urandom(16))
    b[6] = (b[6] & 0x0F) | 0x40
    b[8] = (b[8] & 0x3F) | 0x80
    return format_uuid(bytes(b))


def canonical_uuid(text: str, *, domain: int = ErrorDomain.DOMAIN) -> str:
    """Parse and reformat a UUID; libvirt's "malformed uuid element" when it is not one."""
    if _CANONICAL_UUID.fullmatch(text):
        return text.lower()
    raw = parse_uuid(text)
    if raw is None:
        raise virt_error(ErrorNumber.INTERNAL_ERROR, "malformed uuid element", domain=domain)
    return format_uuid(raw)


# ---------------------------------------------------------------------------------------------
# MAC addresses

#: libvirt's (QEMU/KVM) prefix for generated addresses
MAC_PREFIX_QEMU = (0x52, 0x54, 0x00)


def parse_mac(text: str) -> bytes | None:
    """libvirt's virMacAddrParse: six 1-2 digit hex groups joined by ':'; else None."""
    if _CANONICAL_MAC.fullmatch(text):
        return bytes.fromhex(text.replace(":", ""))  # the usual spelling: no group walk
    groups = text.split(":")
    if len(groups) != 6:
        # libvirt stops at the sixth group when the rest starts with a blank/control char
        if len(groups) < 6:
            return None
        return None
    out = bytearray()
    for index, group in enumerate(groups):
        if index == 5:
            # trailing whitespace/control characters end the address
            cut = 0
            while cut < len(group) and group[cut] in _HEX:
                cut += 1
            if group[cut:] and group[cut] > " ":
                return None
            group = group[:cut]
        if not 1 <= len(group) <= 2 or any(c not in _HEX for c in group):
            return None
        out.append(int(group, 16))
    return bytes(out)


def format_mac(raw: bytes) -> str:
    return ":".join(f"{b:02x}" for b in raw)


def is_multicast_mac(raw: bytes) -> bool:
    return bool(raw[0] & 1)


def normalize_mac(text: str, *, domain: int = ErrorDomain.DOMAIN) -> str:
    """Parse and reformat a guest MAC with libvirt's errors (bad syntax, multicast)."""
    if _CANONICAL_MAC.fullmatch(text) and not int(text[:2], 16) & 1:
        return text.lower()  # already six 2-digit groups: only the case can change
    raw = parse_mac(text)
    if raw is None:
        raise virt_error(ErrorNumber.XML_ERROR, f"unable to parse mac address '{text}'", domain=domain)
    if is_multicast_mac(raw):
        raise virt_error(
            ErrorNumber.XML_ERROR, f"expected unicast mac address, found multicast '{text}'", domain=domain
        )
    return format_mac(raw)


def generate_mac(prefix: Iterable[int] = MAC_PREFIX_QEMU) -> str:
    """A random address under ``prefix`` (libvirt's 52:54:00 for QEMU guests)."""
    head = bytes(prefix)
    return format_mac(head + os.urandom(6 - len(head)))


# ---------------------------------------------------------------------------------------------
# attribute values, with libvirt's virXMLProp* error wording


def invalid_prop(attr: str, element: str, value: str, hint: str = "") -> VirtError:
    """VIR_ERR_XML_ERROR (XML domain) "Invalid value for attribute 'a' in element 'e': 'v'."."""
    text = f"Invalid value for attribute '{attr}' in element '{element}': '{value}'."
    if hint:
        text += " " + hint
    return virt_error(ErrorNumber.XML_ERROR, text, domain=ErrorDomain.XML)


def missing_prop(attr: str, element: str) -> VirtError:
    return virt_error(
        ErrorNumber.XML_ERROR,
        f"Missing required attribute '{attr}' in element '{element}'",
        domain=ErrorDomain.XML,
    )


#: C's isspace() in the "C" locale: what strtol and strtoul skip before a number
_C_SPACE = " \t\n\v\f\r"
_DIGIT_VALUE = {c: int(c, 36) for c in "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"}


def c_strtoul(text: str, base: int = 10, start: int = 0) -> tuple[int | None, int, bool]:
    """C's strtol/strtoul reading ``text`` from ``start``: ``(magnitude, end, negative)``.

    Blanks (C's, not Unicode's), one sign, then digits of ``base`` (ASCII only; base 0 or 16
    take a "0x" prefix, base 0 reads a leading 0 as octal). ``magnitude`` is None and ``end``
    is ``start`` when no digit follows, as strtoul leaves its end pointer at the start; the
    caller applies its type's range (C clamps and sets ERANGE, which libvirt refuses)."""
    i = start
    n = len(text)
    while i < n and text[i] in _C_SPACE:
        i += 1
    negative = False
    if i < n and text[i] in "+-":
        negative = text[i] == "-"
        i += 1
    if base in (0, 16) and text[i : i + 2] in ("0x", "0X") and i + 2 < n and _digit(text[i + 2]) < 16:
        i += 2
        base = 16
    elif base == 0:
        base = 8 if text[i : i + 1] == "0" else 10
    value = 0
    first = i
    while i < n and _digit(text[i]) < base:
        value = value * base + _digit(text[i])
        i += 1
    if i == first:
        return None, start, False
    return value, i, negative


def _digit(ch: str) -> int:
    return _DIGIT_VALUE.get(ch, 99)


def str_to_uint(text: str, base: int = 10, *, bits: int = 32) -> int | None:
    """libvirt's virStrToLong_uip (``bits`` 64: virStrToLong_ullp) on a whole string: 0 ..
    2**bits-1, any '-' refused (even "-0"); None when it fails."""
    value, end, negative = c_strtoul(text, base)
    if value is None or end != len(text) or negative or value >= 1 << bits:
        return None
    return value


def str_to_int(text: str, base: int = 10) -> int | None:
    """libvirt's virStrToLong_i on a whole string: a C int; None when it fails."""
    value, end, negative = c_strtoul(text, base)
    if value is None or end != len(text):
        return None
    if negative:
        value = -value
    if not -(2**31) <= value <= 2**31 - 1:
        return None
    return value


def _zero_refused(attr: str, element: str) -> VirtError:
    return virt_error(
        ErrorNumber.XML_ERROR,
        f"Invalid value for attribute '{attr}' in element '{element}': Zero is not permitted",
        domain=ErrorDomain.XML,
    )


def prop_int(
    value: str, attr: str, element: str, *, base: int = 10, nonnegative: bool = False, nonzero: bool = False
) -> int:
    """libvirt's virXMLPropInt: a C int ("Expected integer value"), with its flags
    VIR_XML_PROP_NONNEGATIVE ("Expected non-negative value", "-0" being 0) and
    VIR_XML_PROP_NONZERO."""
    v = str_to_int(value, base)
    if v is None:
        raise invalid_prop(attr, element, value, "Expected integer value")
    if nonnegative and v < 0:
        raise invalid_prop(attr, element, value, "Expected non-negative value")
    if nonzero and v == 0:
        raise _zero_refused(attr, element)
    return v


def prop_enum(value: str, attr: str, element: str, allowed: Iterable[str]) -> str:
    """An enumerated attribute (virXMLPropEnum)."""
    if value not in allowed:
        raise invalid_prop(attr, element, value)
    return value


_BOOLS = {"yes": True, "no": False}
_SWITCH = {"on": True, "off": False}


def prop_bool(value: str, attr: str, element: str, *, onoff: bool = False) -> bool:
    """A yes/no (or on/off) attribute (virXMLPropTristateBool / Switch)."""
    table = _SWITCH if onoff else _BOOLS
    if value not in table:
        raise invalid_prop(attr, element, value)
    return table[value]


# ---------------------------------------------------------------------------------------------
# CPU / NUMA node sets ("0-3,^2,8")


def parse_bitmap(text: str) -> set[int] | None:
    """libvirt's virBitmapParse: comma list of N, N-M and ^N (exclusion); None when malformed."""
    on: set[int] = set()
    off: set[int] = set()
    for raw in text.split(","):
        item = raw.strip()
        if not item:
            return None
        neg = item.startswith("^")
        if neg:
            item = item[1:].strip()
        lo, sep, hi = item.partition("-")
        if not lo.strip().isdigit() or (sep and not hi.strip().isdigit()):
            return None
        a = int(lo)
        b = int(hi) if sep else a
        if b < a or (neg and sep):
            return None
        (off if neg else on).update(range(a, b + 1))
    return on - off


def format_bitmap(bits: set[int]) -> str:
    """libvirt's virBitmapFormat: sorted runs, 'N' or 'N-M'."""
    out: list[str] = []
    items = sorted(bits)
    i = 0
    while i < len(items):
        j = i
        while j + 1 < len(items) and items[j + 1] == items[j] + 1:
            j += 1
        out.append(str(items[i]) if i == j else f"{items[i]}-{items[j]}")
        i = j + 1
    return ",".join(out)


def uint_prop(
    value: str, attr: str, element: str, *, base: int = 10, nonzero: bool = False, bits: int = 32
) -> int:
    """libvirt's virXMLPropUInt (``bits`` 64: virXMLPropULongLong): a C unsigned number read by
    virStrToLong_uip (leading blanks and '+' allowed, trailing ones and any '-' not), every
    failure worded "Expected non-negative integer value"; ``base`` 10, 16, or 0 for C's
    prefixes."""
    result = str_to_uint(value, base, bits=bits)
    if result is None:
        raise invalid_prop(attr, element, value, "Expected non-negative integer value")
    if nonzero and result == 0:
        raise _zero_refused(attr, element)
    return result


#: a PCI address's fields: (name, libvirt's spelling, the largest value it takes or None,
#: the wording of a larger one)
PCI_ADDRESS_FIELDS = (
    ("domain", "0x{:04x}", None, ""),
    ("bus", "0x{:02x}", 0xFF, "bus='0x{:x}', must be <= 0xFF"),
    ("slot", "0x{:02x}", 0x1F, "slot='0x{:x}', must be <= 0x1F"),
    ("function", "0x{:x}", 7, "function=0x{:x}, must be <= 7"),
)


def parse_pci_address(attrs: Mapping[str, str]) -> tuple[int, ...]:
    """libvirt's virPCIDeviceAddressParseXML on an element's attributes: domain, bus, slot and
    function (virXMLPropUInt in any C base, absent meaning 0), multifunction (on/off), then,
    unless all four are 0, the ranges of bus, slot and function."""
    numbers = tuple(
        0 if (raw := attrs.get(name)) is None else uint_prop(raw, name, "address", base=0)
        for name, _, _, _ in PCI_ADDRESS_FIELDS
    )
    multi = attrs.get("multifunction")
    if multi is not None:
        prop_bool(multi, "multifunction", "address", onoff=True)
    if any(numbers):
        for (_, _, limit, wording), number in zip(PCI_ADDRESS_FIELDS, numbers, strict=True):
            if limit is not None and number > limit:
                detail = "Invalid PCI address " + wording.format(number)
                raise virt_error(ErrorNumber.XML_ERROR, detail, domain=ErrorDomain.NONE)
    return numbers


def format_pci_address(numbers: tuple[int, ...]) -> dict[str, str]:
    """The four fields as libvirt writes them ("0x0000", "0x01", "0x1f", "0x7")."""
    fields = zip(PCI_ADDRESS_FIELDS, numbers, strict=True)
    return {name: spelling.format(n) for (name, spelling, _, _), n in fields}
