"""libvirt's storage pool (``<pool>``) and volume (``<volume>``) formats, as libvirt 9.0 has them.

What a pool needs depends on its type (a ``netfs`` pool needs a source host, a ``logical`` one
a volume-group name, a ``dir`` one a target path ...), so each type carries its options here,
as libvirt's storage_conf.c does. A volume is parsed in the context of its pool: the pool
type decides which ``<format type=...>`` values are allowed and which is the default.

Sizes are stored in bytes and written with ``unit='bytes'``; libvirt's inactive format writes
a pool's capacity/allocation/available as 0 (they are runtime values).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lxml import etree

from .._core.netstore_rules import (
    ADAPTER,
    DEVICE,
    DIR,
    FS_NS,
    HOST,
    INITIATOR,
    NAME,
    NETWORK,
    RBD_NS,
    pool_post_parse,
    sanitize_path,
    volume_post_parse,
)
from .._core.xmlcore import child as _child
from .._core.xmlcore import children as _children
from .._core.xmlcore import find_all
from .._core.xmlcore import get as _aget
from ..errors import ErrorDomain
from ._shape import TEXT, VERBATIM, Shape, canonicalize, compiled, drop_root_namespaces, leaf
from .base import ChildText, XMLDef, XMLView

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
# PoolKind.flags are the source requirements HOST, DEVICE, DIR, ADAPTER, NAME, INITIATOR and
# NETWORK, defined with the rules that read them (pyvirt._core.netstore_rules)

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
#: the core's tables of the shapes (the parse rules run the canonical walk with them)
_POOL_TABLES = compiled(POOL_SHAPE)
_VOL_TABLES = compiled(VOL_SHAPE)


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
        """libvirt's pool parse, run by the compiled core (pyvirt._core.netstore_rules)."""
        if pool_post_parse(self._el, _POOL_TABLES, POOL_TYPES):
            self._el = drop_root_namespaces(self._el, (RBD_NS, FS_NS))


# ---------------------------------------------------------------------------------------------
# volumes

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
        """libvirt's volume parse for its pool's type, run by the compiled core."""
        ptype = pool.type if isinstance(pool, StoragePoolDef) else (pool or "dir")
        kind = POOL_TYPES.get(ptype, POOL_TYPES["dir"])
        volume_post_parse(self._el, _VOL_TABLES, kind, bool(options.get("allow_no_capacity")))
