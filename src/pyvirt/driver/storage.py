"""Driver interface for storage pools and volumes; every method defaults to VIR_ERR_NO_SUPPORT."""

from __future__ import annotations

from .unsupported import unsupported  # noqa: F401


class StorageDriver:
    """Methods for storage pools and volumes, named after libvirt's C API in snake_case."""
