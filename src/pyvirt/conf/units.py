"""libvirt's scaled-integer units (``<memory unit='MiB'>``, ``<capacity unit='G'>`` ...).

libvirt accepts a number plus a unit suffix and stores bytes (or KiB for memory). The suffix
rules are libvirt's: ``b``/``byte``/``bytes`` is 1, a bare letter or ``<letter>iB`` is a power
of 1024, ``<letter>B`` a power of 1000, letters k m g t p e (case-insensitive). An unknown
suffix is VIR_ERR_INVALID_ARG "unknown suffix 'x'"; a product past 2**64-1 is VIR_ERR_OVERFLOW.
Other modules import :func:`scale_integer` and :func:`parse_scaled`.
"""

from __future__ import annotations

from ..errors import ErrorDomain, ErrorNumber, virt_error

ULLONG_MAX = 2**64 - 1
LLONG_MAX = 2**63 - 1

_POWERS = {"k": 1, "m": 2, "g": 3, "t": 4, "p": 5, "e": 6}

__all__ = ["ULLONG_MAX", "LLONG_MAX", "unit_scale", "scale_integer", "parse_scaled", "to_kib"]


def unit_scale(suffix: str | None, default: int = 1) -> int:
    """The multiplier libvirt applies for ``suffix`` (``default`` when none is given)."""
    if not suffix:
        return default
    low = suffix.lower()
    if low in ("b", "byte", "bytes"):
        return 1
    rest = low[1:]
    if rest in ("", "ib"):
        base = 1024
    elif rest == "b":
        base = 1000
    else:
        raise virt_error(ErrorNumber.INVALID_ARG, f"unknown suffix '{suffix}'")
    power = _POWERS.get(low[0])
    if power is None:
        raise virt_error(ErrorNumber.INVALID_ARG, f"unknown suffix '{suffix}'")
    return base**power


def scale_integer(value: int, suffix: str | None, default: int = 1, limit: int = ULLONG_MAX) -> int:
    """``value`` times the scale of ``suffix``, with libvirt's overflow errors."""
    scale = unit_scale(suffix, default)
    if value and value > ULLONG_MAX // scale:
        raise virt_error(
            ErrorNumber.OVERFLOW, f"value too large: {value}{suffix or ''}", domain=ErrorDomain.NONE
        )
    result = value * scale
    if result > limit:
        raise virt_error(
            ErrorNumber.OVERFLOW, f"value too large: {value}{suffix or ''}", domain=ErrorDomain.NONE
        )
    return result


def parse_ull(text: str) -> int | None:
    """libvirt's virStrToLong_ull in base 10 (as its XPath number reader uses it).

    Leading blanks and a '+' are skipped as strtoull does; anything else that is not a
    decimal digit (trailing blanks, a sign, hex) makes the value invalid.
    """
    s = text.lstrip()
    if s[:1] == "+":
        s = s[1:]
    if not s or not (s.isascii() and s.isdigit()):
        return None
    v = int(s, 10)
    return v if v <= ULLONG_MAX else None


def parse_scaled(
    text: str | None,
    unit: str | None,
    *,
    what: str,
    default_scale: int = 1,
    limit: int = ULLONG_MAX,
    domain: int = ErrorDomain.XML,
) -> int:
    """Parse a scaled element value to bytes; ``what`` names it in libvirt's XML error."""
    value = parse_ull(text or "")
    if value is None:
        raise virt_error(
            ErrorNumber.XML_ERROR,
            f"Invalid value '{text or ''}' for element or attribute '{what}'",
            domain=domain,
        )
    return scale_integer(value, unit, default_scale, limit)


def to_kib(nbytes: int) -> int:
    """Bytes to KiB, rounding up as libvirt does for memory sizes."""
    return (nbytes + 1023) // 1024
