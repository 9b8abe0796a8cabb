"""Driver interface for connection-level calls (open/close, capabilities, hostname, version, node info, events, lists); every method defaults to VIR_ERR_NO_SUPPORT."""

from __future__ import annotations

from .unsupported import unsupported  # noqa: F401


class ConnectDriver:
    """Methods for connection-level calls (open/close, capabilities, hostname, version, node info, events, lists), named after libvirt's C API in snake_case."""
