"""The QEMU driver's errors: libvirt's codes in the QEMU error domain, and its flag check."""

from __future__ import annotations

from ...errors import ErrorDomain, ErrorNumber, VirtError, virt_error

__all__ = ["qemu_error", "no_domain", "not_running", "check_flags"]


def qemu_error(code: int, detail: str | None = None) -> VirtError:
    return virt_error(code, detail, domain=ErrorDomain.QEMU)


def no_domain(uuid: str, name: str | None = None) -> VirtError:
    detail = f"no domain with matching uuid '{uuid}'"
    if name:
        detail += f" ({name})"
    return virt_error(ErrorNumber.NO_DOMAIN, detail, domain=ErrorDomain.QEMU)


def not_running() -> VirtError:
    return virt_error(ErrorNumber.OPERATION_INVALID, "domain is not running", domain=ErrorDomain.QEMU)


def check_flags(flags: int, allowed: int, api: str) -> None:
    """libvirt's virCheckFlags: unknown bits are VIR_ERR_INVALID_ARG naming the function."""
    extra = int(flags) & ~int(allowed)
    if extra:
        text = f"unsupported flags (0x{extra:x}) in function {api}"
        raise virt_error(ErrorNumber.INVALID_ARG, text, domain=ErrorDomain.QEMU, message=text)
