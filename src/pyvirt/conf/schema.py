"""RelaxNG validation against libvirt's own schemas (libvirt's ``VALIDATE`` flags).

``validate_against_schema(root, tag)`` picks the schema for a document kind, compiles it once
(per process, thread-safe) and reports a failure as libvirt does: VIR_ERR_XML_INVALID_SCHEMA,
"XML document failed to validate against schema: Unable to validate doc against <file>"
followed by libxml2's messages, each of which pyvirt suffixes with the line it refers to.

Schemas come from ``$PYVIRT_SCHEMAS``, else ``/usr/share/libvirt/schemas`` (Debian's
libvirt-daemon ships them), else ``$PYVIRT_CORPUS/schemas`` (the shared corpus). Loading a
schema reads only local files in that directory: the parser has network access switched off.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from lxml import etree

from ..errors import ErrorDomain, ErrorNumber, virt_error

__all__ = ["validate_against_schema", "schema_dir", "schema_path", "SCHEMA_FILES", "SchemaUnavailable"]

#: document kind (root tag, or libvirt's schema name) -> schema file
SCHEMA_FILES = {
    "domain": "domain.rng",
    "domainsnapshot": "domainsnapshot.rng",
    "network": "network.rng",
    "pool": "storagepool.rng",
    "storagepool": "storagepool.rng",
    "volume": "storagevol.rng",
    "storagevol": "storagevol.rng",
    "capabilities": "capability.rng",
    "capability": "capability.rng",
    "interface": "interface.rng",
    "device": "nodedev.rng",
    "nodedev": "nodedev.rng",
    "domaincheckpoint": "domaincheckpoint.rng",
    "domainbackup": "domainbackup.rng",
    "secret": "secret.rng",
    "filter": "nwfilter.rng",
    "networkport": "networkport.rng",
    "domainCapabilities": "domaincaps.rng",
    "storagepoolCapabilities": "storagepoolcaps.rng",
}

_SYSTEM_DIR = Path("/usr/share/libvirt/schemas")
_CACHE: dict[Path, etree.RelaxNG] = {}
_LOCK = threading.Lock()


class SchemaUnavailable(LookupError):
    """No schema directory (or no schema file for the kind) could be found."""


def schema_dir() -> Path:
    """Where libvirt's RelaxNG schemas are read from (see the module docstring)."""
    env = os.environ.get("PYVIRT_SCHEMAS")
    if env:
        return Path(env)
    if (_SYSTEM_DIR / "domain.rng").is_file():
        return _SYSTEM_DIR
    corpus = os.environ.get("PYVIRT_CORPUS")
    if corpus:
        return Path(corpus) / "schemas"
    repo = Path(__file__).resolve().parents[3]
    return repo.parent / "shared" / "corpus" / "libvirt-9.0.0" / "schemas"


def schema_path(kind: str) -> Path:
    name = SCHEMA_FILES.get(kind)
    if name is None:
        raise SchemaUnavailable(f"no RelaxNG schema known for <{kind}>")
    path = schema_dir() / name
    if not path.is_file():
        raise SchemaUnavailable(f"schema file {path} not found")
    return path


def _compiled(path: Path) -> etree.RelaxNG:
    with _LOCK:
        schema = _CACHE.get(path)
        if schema is None:
            parser = etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False)
            schema = etree.RelaxNG(etree.parse(str(path), parser))
            _CACHE[path] = schema
        return schema


def validate_against_schema(root: etree._Element, kind: str) -> None:
    """Raise libvirt's VIR_ERR_XML_INVALID_SCHEMA if ``root`` does not match the schema.

    A missing schema is reported as VIR_ERR_INTERNAL_ERROR (libvirt: "Unable to find
    'X' schema ...") rather than silently skipped: a caller asked for validation.
    """
    try:
        path = schema_path(kind)
        schema = _compiled(path)
    except (SchemaUnavailable, etree.RelaxNGParseError, OSError) as exc:
        raise virt_error(
            ErrorNumber.INTERNAL_ERROR, f"Unable to load schema for '{kind}': {exc}", domain=ErrorDomain.XML
        ) from None
    with _LOCK:  # a compiled schema's error log is per object: validate one at a time
        ok = schema.validate(root)
        entries = [] if ok else list(schema.error_log)
    if ok:
        return
    lines = []
    for entry in entries:
        text = entry.message
        if entry.line:
            where = f" (line {entry.line}"
            if entry.path:
                where += f", {entry.path}"
            text += where + ")"
        lines.append(text)
    detail = f"Unable to validate doc against {path}\n" + "\n".join(lines) + "\n"
    raise virt_error(ErrorNumber.XML_INVALID_SCHEMA, detail, domain=ErrorDomain.XML)
