# cython: language_level=3, boundscheck=False, wraparound=False
"""The XML hot path: safe parsing of untrusted text and libvirt-style formatting of a tree.

Parsing goes through lxml's parser with every dangerous feature switched off (no DTD loading,
no entity expansion, no network, libxml2's own depth and node-size limits kept on), plus a
size cap. Formatting walks libxml2's nodes directly through lxml's public C API and writes
libvirt's spelling (two-space indent, single-quoted attributes, libvirt's escaping), so a
whole document becomes text without a Python call per element.

This module knows bytes and trees only; it raises :class:`ParseFailure` and the
configuration layer turns that into libvirt's error.
"""

from cpython.bytes cimport PyBytes_FromStringAndSize
from cpython.mem cimport PyMem_Free, PyMem_Malloc, PyMem_Realloc
from libc.string cimport memcpy, strlen

from lxml.includes cimport tree
from lxml.includes.etreepublic cimport _Element, import_lxml__etree

from lxml import etree

import_lxml__etree()

#: libvirt refuses XML documents larger than this (VIR_XML_MAX_SIZE... 10 MiB).
MAX_DOCUMENT_BYTES = 10 * 1024 * 1024


class ParseFailure(Exception):
    """The text is not a well-formed, safe XML document.

    ``line``/``column`` locate the problem (1-based, 0 when unknown); ``reason`` is the
    parser's message; ``context`` the offending source line, as libvirt prints it.
    """

    def __init__(self, reason, line=0, column=0, context=""):
        super().__init__(reason)
        self.reason = reason
        self.line = line
        self.column = column
        self.context = context


class _DenyExternal(etree.Resolver):
    """Answers every external entity / DTD / parameter-entity load with nothing.

    libxml2 opens ``file://`` SYSTEM ids of external parameter entities and DTD subsets even
    with DTD loading off (only the network is barred by no_network); lxml routes every such
    load through the parser's resolvers, so this keeps the parser from reading any file.
    """

    def resolve(self, url, pubid, context):
        return self.resolve_string("", context)


def _new_parser():
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,        # keeps libxml2's depth (256) and text-node size limits
        remove_comments=True,
        remove_pis=True,
        remove_blank_text=True,
        collect_ids=False,
    )
    parser.resolvers.add(_DenyExternal())
    return parser



import threading
_local = threading.local()


cdef object _parser_for_thread():
    # lxml parsers are not thread-safe to share; keep one per thread.
    p = getattr(_local, "parser", None)
    if p is None:
        p = _new_parser()
        _local.parser = p
    return p


cdef bint _has_entity_nodes(tree.xmlNode* node):
    """True if any entity reference survives in the tree (unexpanded entity use)."""
    cdef tree.xmlNode* c = node.children
    while c is not NULL:
        if c.type == tree.XML_ENTITY_REF_NODE:
            return True
        if c.type == tree.XML_ELEMENT_NODE and _has_entity_nodes(c):
            return True
        c = c.next
    return False


def parse(text, int max_bytes=MAX_DOCUMENT_BYTES):
    """Parse ``text`` (str or bytes) into an lxml element; never touches DTDs or the network.

    Raises :class:`ParseFailure` for malformed XML, a document type declaration (which
    could declare entities), entity references, or text over ``max_bytes``.
    """
    cdef bytes data
    if isinstance(text, str):
        data = (<str>text).encode("utf-8")
    elif isinstance(text, (bytes, bytearray, memoryview)):
        data = bytes(text)
    else:
        raise TypeError("XML text must be str or bytes")
    if len(data) > max_bytes:
        raise ParseFailure("document is %d bytes, over the %d byte limit" % (len(data), max_bytes))
    if len(data.strip()) == 0:
        raise ParseFailure("Document is empty", 1, 1)
    parser = _parser_for_thread()
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        line, col = exc.position if exc.position else (0, 0)
        lines = data.split(b"\n")
        ctx = lines[line - 1].decode("utf-8", "replace") if 0 < line <= len(lines) else ""
        msg = exc.msg or str(exc)
        # lxml appends ", line N, column M"; libvirt prints only the reason.
        cut = msg.rfind(", line ")
        if cut > 0:
            msg = msg[:cut]
        raise ParseFailure(msg, line, col, ctx) from None
    doc = root.getroottree()
    if doc.docinfo.internalDTD is not None or doc.docinfo.doctype:
        raise ParseFailure("document type declarations (DTDs) are not allowed", 1, 1)
    if _has_entity_nodes((<_Element>root)._c_node):
        raise ParseFailure("entity references are not allowed", 1, 1)
    return root


# ---------------------------------------------------------------------------------------------
# formatting

cdef struct Buffer:
    char* data
    size_t length
    size_t capacity


cdef int buf_reserve(Buffer* b, size_t extra) except -1:
    cdef size_t need = b.length + extra
    cdef size_t cap
    cdef char* p
    if need <= b.capacity:
        return 0
    cap = b.capacity * 2 if b.capacity else 4096
    while cap < need:
        cap *= 2
    p = <char*>PyMem_Realloc(b.data, cap)
    if p is NULL:
        raise MemoryError()
    b.data = p
    b.capacity = cap
    return 0


cdef inline int buf_add(Buffer* b, const char* s, size_t n) except -1:
    buf_reserve(b, n)
    memcpy(b.data + b.length, s, n)
    b.length += n
    return 0


cdef inline int buf_addz(Buffer* b, const char* s) except -1:
    return buf_add(b, s, strlen(s))


cdef int buf_indent(Buffer* b, int level) except -1:
    cdef int i
    buf_reserve(b, level * 2)
    for i in range(level * 2):
        b.data[b.length + i] = b' '
    b.length += level * 2
    return 0


cdef int buf_escaped(Buffer* b, const unsigned char* s) except -1:
    """libvirt's escaping (virBufferEscapeString): the five XML specials, control chars dropped."""
    cdef unsigned char c
    if s is NULL:
        return 0
    while s[0] != 0:
        c = s[0]
        if c == b'<':
            buf_add(b, "&lt;", 4)
        elif c == b'>':
            buf_add(b, "&gt;", 4)
        elif c == b'&':
            buf_add(b, "&amp;", 5)
        elif c == b"'":
            buf_add(b, "&apos;", 6)
        elif c == b'"':
            buf_add(b, "&quot;", 6)
        elif c < 0x20 and c != b'\n' and c != b'\t' and c != b'\r':
            pass
        else:
            buf_reserve(b, 1)
            b.data[b.length] = <char>c
            b.length += 1
        s += 1
    return 0


cdef int buf_qname(Buffer* b, tree.xmlNode* node) except -1:
    if node.ns is not NULL and node.ns.prefix is not NULL:
        buf_addz(b, <const char*>node.ns.prefix)
        buf_add(b, ":", 1)
    buf_addz(b, <const char*>node.name)
    return 0


cdef bint _only_text(tree.xmlNode* node):
    cdef tree.xmlNode* c = node.children
    while c is not NULL:
        if c.type == tree.XML_ELEMENT_NODE:
            return False
        c = c.next
    return True


cdef int write_element(Buffer* b, tree.xmlNode* node, int level) except -1:
    cdef tree.xmlAttr* attr
    cdef tree.xmlNs* ns
    cdef tree.xmlNode* c
    cdef bint has_content = False
    buf_indent(b, level)
    buf_add(b, "<", 1)
    buf_qname(b, node)
    ns = node.nsDef
    while ns is not NULL:
        if ns.prefix is not NULL:
            buf_add(b, " xmlns:", 7)
            buf_addz(b, <const char*>ns.prefix)
        else:
            buf_add(b, " xmlns", 6)
        buf_add(b, "='", 2)
        buf_escaped(b, ns.href)
        buf_add(b, "'", 1)
        ns = ns.next
    attr = node.properties
    while attr is not NULL:
        buf_add(b, " ", 1)
        if attr.ns is not NULL and attr.ns.prefix is not NULL:
            buf_addz(b, <const char*>attr.ns.prefix)
            buf_add(b, ":", 1)
        buf_addz(b, <const char*>attr.name)
        buf_add(b, "='", 2)
        c = attr.children
        while c is not NULL:
            buf_escaped(b, c.content)
            c = c.next
        buf_add(b, "'", 1)
        attr = attr.next
    c = node.children
    if c is NULL:
        buf_add(b, "/>\n", 3)
        return 0
    if _only_text(node):
        # text content (several text/CDATA nodes are concatenated)
        while c is not NULL:
            if c.type == tree.XML_TEXT_NODE or c.type == tree.XML_CDATA_SECTION_NODE:
                if c.content is not NULL and c.content[0] != 0:
                    has_content = True
            c = c.next
        if not has_content:
            buf_add(b, "/>\n", 3)
            return 0
        buf_add(b, ">", 1)
        c = node.children
        while c is not NULL:
            if c.type == tree.XML_TEXT_NODE or c.type == tree.XML_CDATA_SECTION_NODE:
                buf_escaped(b, c.content)
            c = c.next
    else:
        buf_add(b, ">\n", 2)
        while c is not NULL:
            if c.type == tree.XML_ELEMENT_NODE:
                write_element(b, c, level + 1)
            c = c.next
        buf_indent(b, level)
    buf_add(b, "</", 2)
    buf_qname(b, node)
    buf_add(b, ">\n", 2)
    return 0


def format(_Element element not None, int indent=0):
    """Write ``element`` and its subtree the way libvirt formats XML; returns ``str``.

    Text mixed with child elements is dropped (libvirt's formats have none), comments are
    skipped, and the result ends with a newline.
    """
    cdef Buffer b
    b.data = NULL
    b.length = 0
    b.capacity = 0
    try:
        write_element(&b, element._c_node, indent)
        return b.data[:b.length].decode("utf-8")
    finally:
        PyMem_Free(b.data)
