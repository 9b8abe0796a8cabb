"""Driver interface for host interfaces; every method defaults to VIR_ERR_NO_SUPPORT."""

from __future__ import annotations

from .unsupported import unsupported  # noqa: F401


class InterfaceDriver:
    """Methods for host interfaces, named after libvirt's C API in snake_case."""
