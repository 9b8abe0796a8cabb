"""The default for every driver method: libvirt's VIR_ERR_NO_SUPPORT naming the C API."""

from __future__ import annotations

from typing import NoReturn

from ..errors import ErrorNumber, virt_error


def unsupported(api_name: str) -> NoReturn:
    """Raise what libvirt raises when a driver lacks ``api_name`` (e.g. ``virDomainReboot``)."""
    raise virt_error(ErrorNumber.NO_SUPPORT, api_name)
