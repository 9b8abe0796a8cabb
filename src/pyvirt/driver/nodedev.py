"""Driver interface for node devices; every method defaults to VIR_ERR_NO_SUPPORT."""

from __future__ import annotations

from .unsupported import unsupported  # noqa: F401


class NodeDeviceDriver:
    """Methods for node devices, named after libvirt's C API in snake_case."""
