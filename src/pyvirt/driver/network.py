"""Driver interface for virtual networks; every method defaults to VIR_ERR_NO_SUPPORT."""

from __future__ import annotations

from .unsupported import unsupported  # noqa: F401


class NetworkDriver:
    """Methods for virtual networks, named after libvirt's C API in snake_case."""
