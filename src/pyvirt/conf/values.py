"""Value syntaxes shared by libvirt's formats: UUIDs, MAC addresses, integers, enums, booleans.

Each parser accepts exactly what libvirt accepts and raises libvirt's error (code, domain and
wording, naming the attribute and element) for anything else, so a bad value in a hand-written
document never surfaces as a Python traceback.
"""

from __future__ import annotations

import os
import re
import uuid as _uuid
from collections.abc import Iterable

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
    "prop_uint",
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


def _to_int(value: str) -> int | None:
    s = value.strip()
    try:
        if s[:2].lower() in ("0x",) or s[:3].lower() in ("-0x", "+0x"):
            return int(s, 16)
        return int(s, 10)
    except ValueError:
        return None


def prop_int(value: str, attr: str, element: str) -> int:
    """A signed integer attribute (virXMLPropInt)."""
    v = _to_int(value)
    if v is None:
        raise invalid_prop(attr, element, value, "Expected integer value")
    return v


def prop_uint(value: str, attr: str, element: str, *, nonzero: bool = False) -> int:
    """A non-negative integer attribute (virXMLPropUInt), libvirt's two distinct errors."""
    v = _to_int(value)
    if v is None:
        raise invalid_prop(attr, element, value, "Expected integer value")
    if v < 0:
        raise invalid_prop(attr, element, value, "Expected non-negative value")
    if nonzero and v == 0:
        raise invalid_prop(attr, element, value, "Expected non-zero value")
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


def uint_prop(value: str, attr: str, element: str, *, base: int = 10) -> int:
    """virXMLPropUInt: a non-negative integer (base 10, 16, or 0 for C's any-base)."""
    s = value.strip()
    result: int | None = None
    try:
        if base == 0:
            if s[:2].lower() == "0x":
                result = int(s[2:], 16)
            elif len(s) > 1 and s[0] == "0":
                result = int(s[1:], 8)
            else:
                result = int(s, 10)
        else:
            result = int(s, base)
    except ValueError:
        result = None
    if result is None or result < 0 or not s or s[0] in "+-" or result > 0xFFFFFFFF:
        raise invalid_prop(attr, element, value, "Expected non-negative integer value")
    return result
