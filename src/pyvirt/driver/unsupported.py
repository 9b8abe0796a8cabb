"""The default for every driver method: libvirt's VIR_ERR_NO_SUPPORT naming the C API.

libvirt reports the error from the public entry point, so its error domain is the one of the
source file that holds the API (``libvirt-network.c`` reports VIR_FROM_NETWORK, ``libvirt-host.c``
and ``libvirt-domain.c`` VIR_FROM_DOMAIN, ``libvirt-qemu.c`` VIR_FROM_NONE). The family is
read from the API's name, so a remote client sees the same (code, domain) pair as a libvirt one.
"""

from __future__ import annotations

from typing import NoReturn

from ..errors import ErrorDomain, ErrorNumber, virt_error

#: name fragments -> the error domain of the libvirt source file declaring such APIs, most
#: specific first ("virConnectListAllNetworks" is a network call, "virDomainSnapshot..." a
#: snapshot one); anything else lives in libvirt-domain.c or libvirt-host.c
_FAMILIES: tuple[tuple[str, ErrorDomain], ...] = (
    ("Qemu", ErrorDomain.NONE),
    ("Lxc", ErrorDomain.NONE),
    ("DomainSnapshot", ErrorDomain.DOMAIN_SNAPSHOT),
    ("DomainCheckpoint", ErrorDomain.DOMAIN_CHECKPOINT),
    ("NodeDevice", ErrorDomain.NODEDEV),
    ("NWFilter", ErrorDomain.NWFILTER),
    ("Network", ErrorDomain.NETWORK),
    ("Storage", ErrorDomain.STORAGE),
    ("Interface", ErrorDomain.INTERFACE),
    ("Secret", ErrorDomain.SECRET),
)


def api_error_domain(api_name: str) -> ErrorDomain:
    """The error domain libvirt's public API ``api_name`` reports its failures under."""
    for fragment, domain in _FAMILIES:
        if fragment in api_name:
            return domain
    return ErrorDomain.DOMAIN


def unsupported(api_name: str) -> NoReturn:
    """Raise what libvirt raises when a driver lacks ``api_name`` (e.g. ``virDomainReboot``)."""
    raise virt_error(ErrorNumber.NO_SUPPORT, api_name, domain=api_error_domain(api_name))
