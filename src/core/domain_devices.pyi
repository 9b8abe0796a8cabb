"""Type stubs for pyvirt._core.domain_devices (libvirt's generic post-parse of <devices>)."""

from lxml import etree

ADDRESS_FORMATS: dict[str, tuple[tuple[str, str, int | None, int | None], ...]]
NETWORK_DISK_PORTS: dict[str, str]
USB_COMPANION_PORTS: dict[str, str]
NET_MODELS: dict[str, str]
DECIMAL_ADDRESS_TYPES: frozenset[str]
TPM_MODELS: tuple[str, ...]
TPM_BACKEND_TYPES: tuple[str, ...]
TPM_VERSIONS: tuple[str, ...]
TPM_BACKEND_CHILDREN: dict[str, tuple[str, ...]]

def normalize_all(devices: etree._Element) -> None: ...
def post_parse_devices(
    root: etree._Element,
    devices: etree._Element,
    os_type: str,
    arch: str,
    refused_tpm: Exception | None = ...,
) -> Exception | None: ...
def normalize_address_python(addr: etree._Element, zero_empty: bool = ...) -> None: ...
def c_uint(text: str) -> int | None: ...
def insertion_order_py(keys: list[tuple[object, int | None, bool]]) -> list[int]: ...
def disk_name_index(name: str | None) -> int: ...
