"""libvirt's node device format (``<device>``): a host device and what it can do.

A node device has a name, a parent in the device tree, and one or more ``<capability
type=...>`` blocks (a PCI function, a SCSI host with an FC HBA, a network port ...). Users
write this format to create virtual HBAs (an ``fc_host`` capability under a ``scsi_host``);
drivers write it to describe real devices. pyvirt models the common fields and keeps each
capability's content as written, in libvirt's order (name, path, devnode, parent, driver,
capabilities).
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from .._core.xmlcore import child as _child
from .._core.xmlcore import children as _children
from ..errors import ErrorDomain, ErrorNumber, virt_error
from ._shape import TEXT, VERBATIM, Shape, canonicalize
from .base import ChildText, XMLDef, XMLView
from .values import invalid_prop, parse_uuid

__all__ = ["NodeDeviceDef", "NodeDeviceCapability", "CAPABILITY_TYPES"]

_E = ErrorDomain.NODEDEV

#: libvirt 9.0's virNodeDevCapType names
CAPABILITY_TYPES = (
    "system", "pci", "usb_device", "usb", "net", "scsi_host", "scsi_target", "scsi", "storage",
    "fc_host", "vports", "scsi_generic", "drm", "mdev_types", "mdev", "ccw", "css", "vdpa",
    "ap_card", "ap_queue", "ap_matrix", "vpd",
)

NODEDEV_SHAPE = Shape(
    children=(
        ("name", TEXT),
        ("path", TEXT),
        ("devnode", VERBATIM),
        ("parent", VERBATIM),
        ("driver", VERBATIM),
        ("capability", VERBATIM),
    )
)


class NodeDeviceCapability(XMLView):
    """One ``<capability type=...>`` block (its content is type-specific)."""

    TAG = "capability"
    __slots__ = ()

    @property
    def type(self) -> str:
        return self._el.get("type", "")

    def get(self, tag: str) -> str | None:
        """Text of a direct child (``cap.get('wwnn')``)."""
        return self._el.findtext(tag)

    @property
    def capabilities(self) -> list[NodeDeviceCapability]:
        """Nested capabilities (an ``fc_host`` inside a ``scsi_host`` ...)."""
        return [NodeDeviceCapability(e) for e in _children(self._el, "capability")]


class NodeDeviceDef(XMLDef):
    """A node device definition."""

    TAG = "device"
    SOURCE = "node_device_definition"
    ERROR_DOMAIN = ErrorDomain.NODEDEV
    __slots__ = ()

    name = ChildText[str]("name")
    path = ChildText[str]("path")

    @property
    def parent(self) -> str | None:
        return self._el.findtext("parent")

    @parent.setter
    def parent(self, value: str | None) -> None:
        el = _child(self._el, "parent")
        if value is None:
            if el is not None:
                self._el.remove(el)
            return
        if el is None:
            el = etree.SubElement(self._el, "parent")
        el.text = value
        canonicalize(self._el, NODEDEV_SHAPE)

    @property
    def capabilities(self) -> list[NodeDeviceCapability]:
        return [NodeDeviceCapability(e) for e in _children(self._el, "capability")]

    def capability(self, ctype: str) -> NodeDeviceCapability | None:
        """The first capability of ``ctype`` at any depth, or None."""
        for el in self._el.iter("capability"):
            if el.get("type") == ctype:
                return NodeDeviceCapability(el)
        return None

    @classmethod
    def from_xml(cls, text: str | bytes, *, validate: bool = False, create: bool = False, **options: Any) -> NodeDeviceDef:  # type: ignore[override]
        """Parse a device; ``create=True`` parses a request to create one (libvirt then
        ignores any ``<name>``: the driver names the new device)."""
        return super().from_xml(text, validate=validate, create=create, **options)

    def _post_parse(self, *, create: bool = False, **options: Any) -> None:
        root = self._el
        canonicalize(root, NODEDEV_SHAPE)
        if create:
            name = "new device"
            name_el = _child(root, "name")
            if name_el is None:
                name_el = etree.Element("name")
                root.insert(0, name_el)
            name_el.text = name
        else:
            name = root.findtext("name") or ""
            if not name:
                raise virt_error(ErrorNumber.NO_NAME, domain=_E)
        caps = _children(root, "capability")
        for cap in caps:
            ctype = cap.get("type")
            if ctype is None:
                raise virt_error(
                    ErrorNumber.XML_ERROR,
                    "Missing required attribute 'type' in element 'capability'",
                    domain=ErrorDomain.XML,
                )
            if ctype not in CAPABILITY_TYPES:
                raise invalid_prop("type", "capability", ctype)
        if not caps:
            raise virt_error(
                ErrorNumber.INTERNAL_ERROR, f"no device capabilities for '{name}'", domain=_E
            )
        for cap in caps:
            if cap.get("type") == "system":
                uuid = cap.findtext("hardware/uuid")
                if not uuid:
                    raise virt_error(
                        ErrorNumber.INTERNAL_ERROR, f"no system UUID supplied for '{name}'", domain=_E
                    )
                if parse_uuid(uuid) is None:
                    raise virt_error(
                        ErrorNumber.INTERNAL_ERROR, f"malformed uuid element for '{name}'", domain=_E
                    )
