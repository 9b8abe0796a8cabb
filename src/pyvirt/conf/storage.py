"""libvirt's storage pool (``<pool>``) and volume (``<volume>``) formats, as libvirt 9.0 has them.

What a pool needs depends on its type (a ``netfs`` pool needs a source host, a ``logical`` one
a volume-group name, a ``dir`` one a target path ...), so each type carries its options here,
as libvirt's storage_conf.c does. A volume is parsed in the context of its pool: the pool
type decides which ``<format type=...>`` values are allowed and which is the default.

Sizes are stored in bytes and written with ``unit='bytes'``; libvirt's inactive format writes
a pool's capacity/allocation/available as 0 (they are runtime values).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from lxml import etree

from .._core.xmlcore import child as _child
from .._core.xmlcore import children as _children
from .._core.xmlcore import find_all, ns_children
from .._core.xmlcore import get as _aget
from .._core.xmlcore import set as _aset
from ..errors import ErrorDomain, ErrorNumber, VirtError, virt_error
from ._shape import TEXT, VERBATIM, Shape, canonicalize, drop_root_namespaces, leaf
from .base import ChildText, XMLDef, XMLView, xml_error
from .units import parse_scaled, parse_ull
from .values import (
    format_pci_address,
    format_uuid,
    generate_uuid,
    invalid_prop,
    missing_prop,
    parse_pci_address,
    parse_uuid,
    prop_int,
    str_to_int,
)

__all__ = ["StoragePoolDef", "StorageVolDef", "POOL_TYPES", "sanitize_path"]


#: plain element paths ('a/b') as core steps; anything fancier goes to lxml's path engine
_STEPS: dict[str, tuple[str, ...] | None] = {}


def _find(el: etree._Element, path: str) -> etree._Element | None:
    """``el.find(path)`` for a plain path, walked in the core (lxml's engine costs ~1 µs)."""
    steps = _STEPS.get(path)
    if steps is None:
        if any(ch in path for ch in "{}[]*.@:") or not path:
            return el.find(path)
        steps = _STEPS[path] = tuple(path.split("/"))
    found = find_all(el, steps)
    return found[0] if found else None


def _findtext(el: etree._Element, path: str) -> str | None:
    """``el.findtext(path)``: the first match's text ('' when it has none), None without one."""
    found = _find(el, path)
    return None if found is None else (found.text or "")

_E = ErrorDomain.STORAGE
RBD_NS = "http://libvirt.org/schemas/storagepool/rbd/1.0"
FS_NS = "http://libvirt.org/schemas/storagepool/fs/1.0"

# source requirements, as libvirt's per-type pool options
HOST, DEVICE, DIR, ADAPTER, NAME, INITIATOR, NETWORK = 1, 2, 4, 8, 16, 32, 64

#: image formats a file-backed volume may have ("none" is not one of them)
_FILE_FORMATS = (
    "raw", "dir", "bochs", "cloop", "dmg", "iso", "vpc", "vdi", "fat", "vhd", "ploop",
    "cow", "qcow", "qcow2", "qed", "vmdk",
)
_PART_FORMATS = ("none", "linux", "fat16", "fat32", "linux-swap", "linux-lvm", "linux-raid", "extended")


@dataclass(frozen=True)
class PoolKind:
    """What libvirt knows about one pool type: source needs and formats."""

    flags: int = 0
    formats: tuple[str, ...] = ()
    default_format: str | None = None
    vol_formats: tuple[str, ...] = ()
    vol_default_format: str | None = None
    vol_type: str = "file"


POOL_TYPES: dict[str, PoolKind] = {
    "dir": PoolKind(vol_formats=_FILE_FORMATS, vol_default_format="raw"),
    "fs": PoolKind(
        DEVICE,
        ("auto", "ext2", "ext3", "ext4", "ufs", "iso9660", "udf", "gfs", "gfs2", "vfat", "hfs+", "xfs", "ocfs2", "vmfs"),
        "auto",
        _FILE_FORMATS,
        "raw",
    ),
    "netfs": PoolKind(HOST | DIR, ("auto", "nfs", "glusterfs", "cifs"), "auto", _FILE_FORMATS, "raw"),
    "logical": PoolKind(NAME | DEVICE, ("unknown", "lvm2"), "lvm2", vol_type="block"),
    "disk": PoolKind(
        DEVICE,
        ("unknown", "dos", "dvh", "gpt", "mac", "bsd", "pc98", "sun", "lvm2"),
        "unknown",
        _PART_FORMATS,
        "none",
        vol_type="block",
    ),
    "iscsi": PoolKind(HOST | DEVICE | INITIATOR, vol_type="block"),
    "iscsi-direct": PoolKind(HOST | DEVICE | NETWORK | INITIATOR, vol_type="network"),
    "scsi": PoolKind(ADAPTER, vol_type="block"),
    "mpath": PoolKind(vol_type="block"),
    "rbd": PoolKind(HOST | NETWORK | NAME, vol_formats=_FILE_FORMATS, vol_default_format="raw", vol_type="network"),
    "sheepdog": PoolKind(HOST | NETWORK | NAME, vol_formats=_FILE_FORMATS, vol_default_format="raw", vol_type="network"),
    "gluster": PoolKind(HOST | NETWORK | NAME | DIR, vol_formats=_FILE_FORMATS, vol_default_format="raw", vol_type="network"),
    "zfs": PoolKind(NAME | DEVICE, vol_type="block"),
    "vstorage": PoolKind(NAME, vol_formats=_FILE_FORMATS, vol_default_format="raw"),
}


def sanitize_path(path: str) -> str:
    """libvirt's virFileSanitizePath: collapse '//' runs and drop a trailing '/'."""
    leading_double = path.startswith("//") and not path.startswith("///")
    clean = re.sub("/+", "/", path)
    if len(clean) > 1 and clean.endswith("/"):
        clean = clean[:-1]
    if leading_double:
        clean = "/" + clean
    return clean


# ---------------------------------------------------------------------------------------------
# shapes

def _shape(**fields: Any) -> Shape:
    """A storage shape: singletons unless listed in ``multi`` (libvirt reads ``tag[1]``)."""
    fields.setdefault("multi", ())
    return Shape(**fields)


SIZE = _shape(attrs={"unit": None}, keep_text=True)
_PERMS = _shape(children=(("mode", TEXT), ("owner", TEXT), ("group", TEXT), ("label", TEXT)))
_AUTH = _shape(attrs={"type": None, "username": None}, children=(("secret", leaf("uuid", "usage")),))
_ADAPTER = _shape(
    attrs={"type": None, "name": None, "parent": None, "managed": None, "parent_wwnn": None,
           "parent_wwpn": None, "parent_fabric_wwn": None, "wwnn": None, "wwpn": None},
    children=(("parentaddr", _shape(attrs={"unique_id": None}, children=(
        ("address", leaf("type", "domain", "bus", "slot", "function", "multifunction")),))),),
)
_POOL_SOURCE = _shape(
    multi=("host", "device"),
    children=(
        ("host", leaf("name", "port")),
        ("device", leaf("path", "part_separator")),
        ("dir", leaf("path")),
        ("adapter", _ADAPTER),
        ("name", TEXT),
        ("initiator", _shape(children=(("iqn", leaf("name")),))),
        ("auth", _AUTH),
        ("vendor", leaf("name")),
        ("product", leaf("name")),
        ("format", leaf("type")),
        ("protocol", leaf("ver")),
    )
)
POOL_SHAPE = _shape(
    attrs={"type": None},
    children=(
        ("name", TEXT),
        ("uuid", TEXT),
        ("capacity", SIZE),
        ("allocation", SIZE),
        ("available", SIZE),
        ("features", _shape(children=(("cow", leaf("state")),))),
        ("source", _POOL_SOURCE),
        ("target", _shape(children=(("path", TEXT), ("permissions", _PERMS)))),
        ("refresh", _shape(children=(("volume", leaf("allocation")),))),
        # the storage driver's namespaces (kept only for their pool types, see _post_parse)
        (f"{{{RBD_NS}}}config_opts", VERBATIM),
        (f"{{{FS_NS}}}mount_opts", VERBATIM),
    ),
)
_VOL_TARGET = _shape(
    children=(
        ("path", TEXT),
        ("format", leaf("type")),
        ("permissions", _PERMS),
        ("encryption", VERBATIM),
        ("compat", TEXT),
        ("clusterSize", SIZE),
        ("nocow", None),
        ("features", _shape(children=(("lazy_refcounts", None), ("extended_l2", None)))),
    )
)
VOL_SHAPE = _shape(
    attrs={"type": None},
    children=(
        ("name", TEXT),
        ("key", TEXT),
        ("source", _shape()),
        ("capacity", SIZE),
        ("allocation", SIZE),
        ("physical", SIZE),
        ("target", _VOL_TARGET),
        ("backingStore", _shape(children=(("path", TEXT), ("format", leaf("type")), ("permissions", _PERMS)))),
    ),
)


def _set_child(parent: etree._Element, tag: str, text: str | None, before: tuple[str, ...] = ()) -> etree._Element:
    el = _find(parent, tag)
    if el is None:
        el = etree.Element(tag)
        for name in before:
            anchor = _find(parent, name)
            if anchor is not None:
                anchor.addprevious(el)
                break
        else:
            parent.append(el)
    if el.text != text or not text:
        el.text = text  # a text write replaces the node: only when it changes
    return el


def _set_unit(el: etree._Element, unit: str) -> None:
    """Leave ``unit`` as the element's only attribute (no rewrite when it already is)."""
    attrib = el.attrib
    if len(attrib) != 1 or _aget(el, "unit") != unit:
        attrib.clear()
        _aset(el, "unit", unit)


def _parse_perms(perms: etree._Element | None) -> None:
    """Normalise <permissions>: octal mode, decimal owner/group (-1 = unset, dropped)."""
    if perms is None:
        return
    for child in list(perms):
        if not (child.text or "") and child.tag in ("mode", "label"):
            perms.remove(child)  # an empty value is an absent one
    mode = _child(perms, "mode")
    if mode is not None:
        text = (mode.text or "").strip()
        try:
            value = int(text, 8)
        except ValueError:
            value = -1
        if value < 0 or value & ~0o777:
            raise xml_error("malformed octal mode", domain=_E)
        mode.text = f"0{value:o}"
    for tag in ("owner", "group"):
        el = _find(perms, tag)
        if el is None:
            continue
        text = (el.text or "").strip()
        try:
            value = int(text, 10)
        except ValueError:
            raise xml_error(f"malformed {tag} element", domain=_E) from None
        if value == -1:
            perms.remove(el)
        elif value < -1 or value > 2**32 - 1:
            raise xml_error(f"malformed {tag} element", domain=_E)
        else:
            el.text = str(value)
    if not len(perms):
        perms.getparent().remove(perms)


def _parse_adapter(adapter: etree._Element) -> None:
    atype = _aget(adapter, "type")
    if atype is None:
        # the legacy form: a bare name means a SCSI host; FC attributes need the type
        if any(_aget(adapter, a) for a in ("wwnn", "wwpn", "parent")):
            raise xml_error(
                "Use of 'wwnn', 'wwpn', and 'parent' attributes requires use of the adapter 'type'",
                domain=_E,
            )
        if _aget(adapter, "name"):
            adapter.set("type", atype := "scsi_host")
    if atype is not None and atype not in ("scsi_host", "fc_host"):
        raise invalid_prop("type", "adapter", atype)
    parentaddr = _child(adapter, "parentaddr")
    if parentaddr is not None:
        # libvirt reads the id as a decimal int (virXPathInt), not negative
        uid = _aget(parentaddr, "unique_id")
        number = None if uid is None else str_to_int(uid)
        if number is None or number < 0:
            raise xml_error("Missing or invalid scsi adapter 'unique_id' value", domain=_E)
        if str(number) != uid:
            _aset(parentaddr, "unique_id", str(number))
        addr = _child(parentaddr, "address")
        if addr is None:
            raise xml_error("Missing scsi_host PCI address element", domain=_E)
        for name, text in format_pci_address(parse_pci_address(addr.attrib)).items():
            _aset(addr, name, text)
        if "multifunction" in addr.attrib:
            del addr.attrib["multifunction"]  # read, not written
    if atype == "scsi_host" and not _aget(adapter, "name") and parentaddr is None:
        raise xml_error("Either 'name' or 'parent' must be specified for the 'scsi_host' adapter", domain=_E)


_ENCRYPTION_FORMATS = ("default", "qcow", "luks", "luks2", "luks-any")


def _parse_encryption(enc: etree._Element) -> None:
    fmt = _aget(enc, "format")
    if not fmt:
        raise xml_error("unknown volume encryption format", domain=_E)
    if fmt not in _ENCRYPTION_FORMATS:
        raise _unsupported(f"unknown volume encryption format type {fmt}")
    for secret in _children(enc, "secret"):
        stype = _aget(secret, "type")
        if not stype:
            raise xml_error("unknown volume encryption secret type", domain=_E)
        if stype != "passphrase":
            raise _unsupported(f"unknown volume encryption secret type {stype}")
        uuid = _aget(secret, "uuid")
        if uuid is not None:
            raw = parse_uuid(uuid)
            if raw is None:
                raise virt_error(ErrorNumber.XML_ERROR, f"invalid secret uuid '{uuid}'", domain=ErrorDomain.NONE)
            secret.set("uuid", format_uuid(raw))
        elif not _aget(secret, "usage"):
            raise virt_error(
                ErrorNumber.XML_ERROR, "missing secret uuid or usage attribute", domain=ErrorDomain.NONE
            )


def _unsupported(detail: str) -> VirtError:
    return virt_error(ErrorNumber.CONFIG_UNSUPPORTED, detail, domain=_E)


def _size(el: etree._Element, what: str) -> int:
    """A scaled size in bytes; a non-number is libvirt's "malformed <what> element"."""
    if parse_ull(el.text or "") is None:
        raise xml_error(f"malformed {what} element", domain=_E)
    return parse_scaled(el.text, _aget(el, "unit"), what=what, domain=_E)


# ---------------------------------------------------------------------------------------------
# pools


class PoolSource(XMLView):
    TAG = "source"
    __slots__ = ()
    name = ChildText[str]("name")

    @property
    def hosts(self) -> list[tuple[str, int | None]]:
        return [(_aget(h, "name", ""), int(_aget(h, "port")) if _aget(h, "port") else None) for h in _children(self._el, "host")]

    @property
    def devices(self) -> list[str]:
        return [_aget(d, "path", "") for d in _children(self._el, "device")]

    @property
    def dir(self) -> str | None:
        d = _child(self._el, "dir")
        return None if d is None else _aget(d, "path")

    @property
    def format(self) -> str | None:
        f = _child(self._el, "format")
        return None if f is None else _aget(f, "type")


class StoragePoolDef(XMLDef):
    """A storage pool definition (libvirt's ``<pool type=...>``)."""

    TAG = "pool"
    SOURCE = "storage_pool_definition"
    ERROR_DOMAIN = ErrorDomain.STORAGE
    __slots__ = ()

    name = ChildText[str]("name")
    uuid = ChildText[str]("uuid")

    @property
    def type(self) -> str:
        return _aget(self._el, "type", "")

    @property
    def kind(self) -> PoolKind:
        return POOL_TYPES[self.type]

    @property
    def source(self) -> PoolSource:
        return PoolSource(_child(self._el, "source"))

    @property
    def target_path(self) -> str | None:
        el = _find(self._el, "target/path")
        return None if el is None else el.text

    @target_path.setter
    def target_path(self, value: str) -> None:
        target = _child(self._el, "target")
        if target is None:
            target = etree.SubElement(self._el, "target")
        _set_child(target, "path", sanitize_path(value), ("permissions",))

    def _size_get(self, tag: str) -> int:
        el = _find(self._el, tag)
        return 0 if el is None else int(el.text or 0)

    def _size_set(self, tag: str, value: int) -> None:
        el = _set_child(self._el, tag, str(int(value)), ("available", "features", "source", "target"))
        el.set("unit", "bytes")
        canonicalize(self._el, POOL_SHAPE)

    capacity = property(lambda self: self._size_get("capacity"), lambda self, v: self._size_set("capacity", v))
    allocation = property(lambda self: self._size_get("allocation"), lambda self, v: self._size_set("allocation", v))
    available = property(lambda self: self._size_get("available"), lambda self, v: self._size_set("available", v))

    def _post_parse(self, **options: Any) -> None:
        root = self._el
        ptype = _aget(root, "type")
        if ptype is None:
            raise missing_prop("type", "pool")
        kind = POOL_TYPES.get(ptype)
        if kind is None:
            raise invalid_prop("type", "pool", ptype)
        cow = _find(root, "features/cow")
        if cow is not None and _aget(cow, "state") is not None and _aget(cow, "state") not in ("yes", "no"):
            raise invalid_prop("state", "cow", _aget(cow, "state", ""))
        refresh_vol = _find(root, "refresh/volume")
        if refresh_vol is not None:
            alloc = _aget(refresh_vol, "allocation")
            if alloc is not None and alloc not in ("default", "capacity"):
                raise _unsupported(f"unknown storage pool volume refresh allocation type {alloc}")
        canonicalize(root, POOL_SHAPE)  # first of duplicates, unknown dropped, before reading
        for ns_el in ns_children(root):  # namespaced children only (usually none)
            if isinstance(ns_el.tag, str) and ns_el.tag.startswith("{") and not (
                (ptype == "rbd" and ns_el.tag.startswith("{" + RBD_NS))
                or (ptype in ("fs", "netfs") and ns_el.tag.startswith("{" + FS_NS))
            ):
                root.remove(ns_el)
        source = _child(root, "source")
        had_source = source is not None
        if source is None:
            source = etree.Element("source")
            anchor = _child(root, "target")
            if anchor is not None:
                anchor.addprevious(source)
            else:
                root.append(source)
        src_name_el = _child(source, "name")
        if src_name_el is not None and not src_name_el.text:
            source.remove(src_name_el)  # empty: absent
        self._parse_source(source, kind, ptype, had_source)
        name_el = _child(root, "name")
        if name_el is None or not (name_el.text or ""):
            src_name = _findtext(source, "name")
            if kind.flags & NAME and src_name:
                name_el = _set_child(root, "name", src_name)
                root.insert(0, name_el)
            else:
                raise xml_error("missing pool source name element", domain=_E)
        if "/" in name_el.text:
            raise xml_error(f"name {name_el.text} cannot contain '/'", domain=_E)
        uuid_el = _child(root, "uuid")
        if uuid_el is not None and not uuid_el.text:
            root.remove(uuid_el)  # empty: libvirt generates one
            uuid_el = None
        if uuid_el is None:
            uuid_el = etree.Element("uuid")
            name_el.addnext(uuid_el)
            uuid_el.text = generate_uuid()
        else:
            raw = parse_uuid(uuid_el.text or "")
            if raw is None:
                raise xml_error("malformed uuid element", domain=_E)
            uuid_el.text = format_uuid(raw)
        self._check_source(source, kind, ptype)
        if kind.flags & NAME and _child(source, "name") is None:
            src_name_el = etree.SubElement(source, "name")
            src_name_el.text = name_el.text
            canonicalize(source, _POOL_SOURCE)
        # sizes are runtime values: the inactive definition always shows zero
        for tag in ("capacity", "allocation", "available"):
            el = _set_child(root, tag, "0", ("features", "source", "target"))
            _set_unit(el, "bytes")
        self._parse_target(kind, ptype)
        refresh = _child(root, "refresh")
        if refresh is not None and (_child(refresh, "volume") is None or not _child(refresh, "volume").get("allocation")):
            root.remove(refresh)
        features = _child(root, "features")
        if features is not None and (_child(features, "cow") is None or not _child(features, "cow").get("state")):
            root.remove(features)
        canonicalize(root, POOL_SHAPE)  # libvirt's order for what was added
        etree.cleanup_namespaces(root)  # declarations only where used (rbd:config_opts)
        self._el = drop_root_namespaces(root, (RBD_NS, FS_NS))

    def _parse_source(self, source: etree._Element, kind: PoolKind, ptype: str, had_source: bool = True) -> None:
        """Values inside <source> (libvirt parses these before the pool's name and uuid)."""
        if ptype == "rbd" and had_source and not _findtext(source, "name"):
            raise xml_error("element 'name' is mandatory for RBD pool", domain=_E)
        for host in _children(source, "host"):
            if _aget(host, "name") is None:
                raise xml_error("missing storage pool host name", domain=_E)
            port = _aget(host, "port")
            if port is not None:
                number = prop_int(port, "port", "host")
                if number == 0:
                    del host.attrib["port"]  # 0 is "no port" and is not written
                elif str(number) != port:
                    _aset(host, "port", str(number))
        for dev in _children(source, "device"):
            if _aget(dev, "path") is None:
                raise xml_error("missing storage pool source device path", domain=_E)
            for fe in _children(dev, "freeExtent"):
                dev.remove(fe)
            ps = _aget(dev, "part_separator")
            if ps is not None and ps not in ("yes", "no"):
                raise invalid_prop("part_separator", "device", ps)
        fmt = _child(source, "format")
        if fmt is not None and not _aget(fmt, "type"):
            source.remove(fmt)  # empty: the type's default
            fmt = None
        if kind.formats:
            if fmt is None:
                fmt = etree.SubElement(source, "format", type=kind.default_format or "")
                canonicalize(source, _POOL_SOURCE)
            if _aget(fmt, "type") not in kind.formats:
                raise _unsupported(f"unknown pool format type {_aget(fmt, 'type')}")
        elif fmt is not None:
            source.remove(fmt)
        adapter = _child(source, "adapter")
        if adapter is not None:
            _parse_adapter(adapter)
        auth = _child(source, "auth")
        if auth is not None:
            atype = _aget(auth, "type")
            if not atype:
                raise _unsupported("storage pool missing auth type")
            if atype not in ("chap", "ceph"):
                raise _unsupported(f"unknown auth type '{atype}'")
            if not _aget(auth, "username"):
                raise xml_error("missing username for auth", domain=_E)
            secret = _child(auth, "secret")
            if secret is None:
                raise xml_error("Missing <secret> element in auth", domain=_E)
            if _aget(secret, "uuid") is not None:
                raw = parse_uuid(_aget(secret, "uuid", ""))
                if raw is None:
                    raise xml_error(f"invalid secret uuid '{_aget(secret, 'uuid')}'", domain=_E)
                secret.set("uuid", format_uuid(raw))
        proto = _child(source, "protocol")
        if proto is not None and fmt is not None and _aget(fmt, "type") not in ("auto", "nfs"):
            raise _unsupported(
                f"storage pool protocol ver unsupported for pool type '{_aget(fmt, 'type')}'"
            )

    def _check_source(self, source: etree._Element, kind: PoolKind, ptype: str) -> None:
        """What each pool type requires of its source (checked after name and uuid)."""
        if kind.flags & HOST and not _children(source, "host"):
            raise xml_error("missing storage pool source host name", domain=_E)
        dir_el = _child(source, "dir")
        if dir_el is not None and not _aget(dir_el, "path"):
            source.remove(dir_el)
            dir_el = None
        if kind.flags & DIR and ptype == "netfs" and dir_el is None:
            raise xml_error("missing storage pool source path", domain=_E)
        if kind.flags & DEVICE and ptype in ("fs", "disk") and not _children(source, "device"):
            raise xml_error("missing storage pool source device name", domain=_E)
        if kind.flags & ADAPTER:
            adapter = _child(source, "adapter")
            if adapter is None or _aget(adapter, "type") is None:
                raise xml_error("missing storage pool source adapter", domain=_E)
        if ptype == "iscsi-direct" and not any(_aget(i, "name") for i in source.findall("initiator/iqn")):
            raise _unsupported("missing initiator IQN")
        if ptype == "gluster" and dir_el is None:
            etree.SubElement(source, "dir", path="/")
            canonicalize(source, _POOL_SOURCE)

    def _parse_target(self, kind: PoolKind, ptype: str) -> None:
        root = self._el
        target = _child(root, "target")
        if kind.flags & NETWORK:
            if target is not None:
                root.remove(target)
            return
        src_name = _findtext(root, "source/name")
        if ptype == "logical":
            path = f"/dev/{src_name}"
        elif ptype == "zfs":
            path = f"/dev/zvol/{src_name}"
        else:
            path = None if target is None else _findtext(target, "path")
            if not path:
                raise xml_error("missing storage pool target path", domain=_E)
        if target is None:
            target = etree.SubElement(root, "target")
        _set_child(target, "path", sanitize_path(path), ("permissions",))
        _parse_perms(_child(target, "permissions"))


# ---------------------------------------------------------------------------------------------
# volumes

_VOL_TYPES = ("file", "block", "dir", "network", "netdir", "ploop")


class StorageVolDef(XMLDef):
    """A storage volume definition; parse it with the pool it belongs to (``pool=``)."""

    TAG = "volume"
    SOURCE = "storage_volume_definition"
    ERROR_DOMAIN = ErrorDomain.STORAGE
    __slots__ = ()

    name = ChildText[str]("name")
    key = ChildText[str]("key")

    @property
    def type(self) -> str:
        return _aget(self._el, "type", "file")

    @property
    def capacity(self) -> int | None:
        el = _child(self._el, "capacity")
        return None if el is None else int(el.text or 0)

    @capacity.setter
    def capacity(self, value: int) -> None:
        _set_child(self._el, "capacity", str(int(value)), ("allocation", "physical", "target")).set("unit", "bytes")
        canonicalize(self._el, VOL_SHAPE)

    @property
    def allocation(self) -> int | None:
        el = _child(self._el, "allocation")
        return None if el is None else int(el.text or 0)

    @allocation.setter
    def allocation(self, value: int) -> None:
        _set_child(self._el, "allocation", str(int(value)), ("physical", "target")).set("unit", "bytes")
        canonicalize(self._el, VOL_SHAPE)

    @property
    def target_path(self) -> str | None:
        return _findtext(self._el, "target/path")

    @target_path.setter
    def target_path(self, value: str) -> None:
        target = _child(self._el, "target")
        if target is None:
            target = etree.SubElement(self._el, "target")
        _set_child(target, "path", value, ("format", "permissions"))
        canonicalize(self._el, VOL_SHAPE)

    @property
    def format(self) -> str | None:
        el = _find(self._el, "target/format")
        return None if el is None else _aget(el, "type")

    @property
    def backing_path(self) -> str | None:
        return _findtext(self._el, "backingStore/path")

    @classmethod
    def from_xml(cls, text: str | bytes, *, validate: bool = False, pool: StoragePoolDef | str | None = None, **options: Any) -> StorageVolDef:  # type: ignore[override]
        """Parse a volume for ``pool`` (a pool definition or a pool type; default ``dir``)."""
        return super().from_xml(text, validate=validate, pool=pool, **options)

    def _post_parse(self, *, pool: StoragePoolDef | str | None = None, **options: Any) -> None:
        ptype = pool.type if isinstance(pool, StoragePoolDef) else (pool or "dir")
        kind = POOL_TYPES.get(ptype, POOL_TYPES["dir"])
        root = self._el
        canonicalize(root, VOL_SHAPE)  # first of duplicates, unknown dropped, before reading
        name = _findtext(root, "name")
        if not name:
            raise xml_error("missing volume name element", domain=_E)
        vtype = _aget(root, "type")
        if vtype is None:
            root.set("type", "file")
        elif vtype not in _VOL_TYPES:
            raise _unsupported(f"unknown volume type '{vtype}'")
        src = _child(root, "source")
        if src is not None:
            root.remove(src)
        backing = _child(root, "backingStore")
        if backing is not None and not _findtext(backing, "path"):
            root.remove(backing)  # libvirt keeps a backing store only with its path
            backing = None
        if backing is not None:
            self._parse_format(backing, kind, default=True)
            _parse_perms(_child(backing, "permissions"))
        for tag in ("capacity", "allocation"):
            el = _find(root, tag)
            if el is not None and not el.text:
                root.remove(el)  # empty: absent
        cap = _child(root, "capacity")
        has_backing = _child(root, "backingStore") is not None
        if cap is None:
            if not (has_backing and options.get("allow_no_capacity")):
                raise xml_error("missing capacity element", domain=_E)
        else:
            text = str(_size(cap, "capacity"))
            if cap.text != text:
                cap.text = text
            _set_unit(cap, "bytes")
        alloc = _child(root, "allocation")
        if alloc is not None:
            # libvirt reports a bad allocation with the capacity wording
            text = str(_size(alloc, "capacity"))
            if alloc.text != text:
                alloc.text = text
            _set_unit(alloc, "bytes")
        elif cap is not None:
            alloc = _set_child(root, "allocation", cap.text, ("physical", "target", "backingStore"))
            alloc.set("unit", "bytes")
        phys = _child(root, "physical")
        if phys is not None:
            root.remove(phys)
        target = _child(root, "target")
        if target is None:
            target = etree.SubElement(root, "target")
        self._parse_target(target, kind, name)
        canonicalize(root, VOL_SHAPE)

    def _parse_format(self, parent: etree._Element, kind: PoolKind, *, default: bool) -> None:
        fmt = _child(parent, "format")
        if fmt is not None and not _aget(fmt, "type"):
            parent.remove(fmt)  # empty: the pool type's default
            fmt = None
        if not kind.vol_formats:
            if fmt is not None:
                parent.remove(fmt)
            return
        if fmt is None:
            if default and kind.vol_default_format:
                fmt = etree.SubElement(parent, "format", type=kind.vol_default_format)
            return
        ftype = _aget(fmt, "type")
        if ftype is None:
            raise xml_error("format type is required", domain=_E)
        if ftype not in kind.vol_formats:
            raise _unsupported(f"unknown volume format type {ftype}")

    def _parse_target(self, target: etree._Element, kind: PoolKind, name: str) -> None:
        timestamps = _child(target, "timestamps")
        if timestamps is not None:
            target.remove(timestamps)
        nocow = _child(target, "nocow")
        if nocow is not None:
            target.remove(nocow)
        self._parse_format(target, kind, default=True)
        _parse_perms(_child(target, "permissions"))
        enc = _child(target, "encryption")
        if enc is not None:
            _parse_encryption(enc)
        compat = _child(target, "compat")
        if compat is not None and not re.fullmatch(r"\d+\.\d+", compat.text or ""):
            raise xml_error(f"Invalid target compat value '{compat.text}'", domain=_E)
        cluster = _child(target, "clusterSize")
        if cluster is not None:
            text = str(_size(cluster, "clusterSize"))
            if cluster.text != text:
                cluster.text = text
            _set_unit(cluster, "B")
        if _child(target, "features") is not None and compat is None:
            etree.SubElement(target, "compat").text = "1.1"
