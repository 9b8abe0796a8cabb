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

from cpython.mem cimport PyMem_Free, PyMem_Malloc, PyMem_Realloc
from libc.string cimport memcpy, strcmp, strlen

from lxml.includes cimport tree
from cpython.unicode cimport PyUnicode_DecodeUTF8

from lxml.includes.etreepublic cimport _Document, _Element, elementFactory, import_lxml__etree

from lxml import etree

import_lxml__etree()

# libxml2's constructors and removal functions, bound from the copy lxml carries, and the
# shared cache of short decoded strings (strcache.pxi, included by nodeops.pxi)
include "nodeops.pxi"

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
    cdef tree.xmlDoc* c_doc
    if isinstance(text, str):
        data = (<str>text).encode("utf-8")
    elif isinstance(text, (bytes, bytearray, memoryview)):
        data = bytes(text)
    else:
        raise TypeError("XML text must be str or bytes")
    if len(data) > max_bytes:
        raise ParseFailure("document is %d bytes, over the %d byte limit" % (len(data), max_bytes))
    if len(data) == 0:
        # libvirt shows "(null)" for the missing source line; blank text is libxml2's to report
        raise ParseFailure("Document is empty", 1, 1, "(null)")
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
    c_doc = (<_Element>root)._doc._c_doc
    if c_doc.intSubset is not NULL or c_doc.extSubset is not NULL:
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


cdef int buf_escaped_dq(Buffer* b, const unsigned char* s, bint attribute) except -1:
    """libxml2's escaping (as its serializer writes custom metadata): '<' '>' '&', and in
    double-quoted attributes also '"' and the whitespace controls as character references."""
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
        elif c == b'"' and attribute:
            buf_add(b, "&quot;", 6)
        elif c == b'\r':
            buf_add(b, "&#13;", 5)
        elif attribute and c == b'\n':
            buf_add(b, "&#10;", 5)
        elif attribute and c == b'\t':
            buf_add(b, "&#9;", 4)
        else:
            buf_reserve(b, 1)
            b.data[b.length] = <char>c
            b.length += 1
        s += 1
    return 0


cdef inline int buf_value(Buffer* b, const unsigned char* s, bint dq, bint attribute) except -1:
    if dq:
        return buf_escaped_dq(b, s, attribute)
    return buf_escaped(b, s)


cdef bint _mixed(tree.xmlNode* node) noexcept:
    """Element children and non-blank text side by side (kept inline, as libxml2 does)."""
    cdef tree.xmlNode* c = node.children
    cdef bint elements = False, text = False
    cdef const unsigned char* p
    while c is not NULL:
        if c.type == tree.XML_ELEMENT_NODE:
            elements = True
        elif (c.type == tree.XML_TEXT_NODE or c.type == tree.XML_CDATA_SECTION_NODE) and c.content is not NULL:
            p = c.content
            while p[0] != 0:
                if p[0] not in b" \t\r\n":
                    text = True
                    break
                p += 1
        c = c.next
    return elements and text


cdef int write_inline(Buffer* b, tree.xmlNode* node) except -1:
    """libxml2's unindented form of a subtree (custom metadata with mixed content)."""
    cdef tree.xmlAttr* attr
    cdef tree.xmlNs* ns
    cdef tree.xmlNode* c
    buf_add(b, "<", 1)
    buf_qname(b, node)
    ns = node.nsDef
    while ns is not NULL:
        if ns.prefix is not NULL:
            buf_add(b, " xmlns:", 7)
            buf_addz(b, <const char*>ns.prefix)
        else:
            buf_add(b, " xmlns", 6)
        buf_add(b, "=\"", 2)
        buf_escaped_dq(b, ns.href, True)
        buf_add(b, "\"", 1)
        ns = ns.next
    attr = node.properties
    while attr is not NULL:
        buf_add(b, " ", 1)
        if attr.ns is not NULL and attr.ns.prefix is not NULL:
            buf_addz(b, <const char*>attr.ns.prefix)
            buf_add(b, ":", 1)
        buf_addz(b, <const char*>attr.name)
        buf_add(b, "=\"", 2)
        c = attr.children
        while c is not NULL:
            buf_escaped_dq(b, c.content, True)
            c = c.next
        buf_add(b, "\"", 1)
        attr = attr.next
    if node.children is NULL:
        buf_add(b, "/>", 2)
        return 0
    buf_add(b, ">", 1)
    c = node.children
    while c is not NULL:
        if c.type == tree.XML_ELEMENT_NODE:
            write_inline(b, c)
        elif c.type == tree.XML_TEXT_NODE or c.type == tree.XML_CDATA_SECTION_NODE:
            buf_escaped_dq(b, c.content, False)
        c = c.next
    buf_add(b, "</", 2)
    buf_qname(b, node)
    buf_add(b, ">", 1)
    return 0


cdef bint _secret_attr(tree.xmlNode* node, tree.xmlAttr* attr) noexcept:
    """An attribute libvirt writes only with VIR_DOMAIN_XML_SECURE (graphics passwords)."""
    return (attr.ns is NULL and node.ns is NULL and strcmp(<const char*>attr.name, "passwd") == 0
            and strcmp(<const char*>node.name, "graphics") == 0)


cdef bint _secret_element(tree.xmlNode* node) noexcept:
    """An element libvirt writes only with VIR_DOMAIN_XML_SECURE (the HTTP cookies of a
    network disk source, which may carry session credentials)."""
    return node.ns is NULL and strcmp(<const char*>node.name, "cookies") == 0


cdef int write_id(Buffer* b, const char* root_id, const char* quote) except -1:
    buf_add(b, " id=", 4)
    buf_add(b, quote, 1)
    buf_addz(b, root_id)
    buf_add(b, quote, 1)
    return 0


cdef int write_element(Buffer* b, tree.xmlNode* node, int level, bint dq=False,
                       bint hide_secrets=False, const char* root_id=NULL,
                       bint drop_id=False) except -1:
    """Write one element; ``dq`` selects libxml2's spelling (double quotes), which libvirt
    uses for the custom elements inside <metadata> (it dumps them with libxml2).

    ``hide_secrets`` leaves out what libvirt writes only with VIR_DOMAIN_XML_SECURE. For the
    top element only: ``root_id`` writes ``id='N'`` right after ``type`` (a running domain's
    id) in place of any ``id`` attribute in the tree, ``drop_id`` leaves that attribute out.
    The tree itself is never changed, so formatting has no side effect on attribute order.
    """
    cdef tree.xmlAttr* attr
    cdef tree.xmlNs* ns
    cdef tree.xmlNode* c
    cdef bint has_content = False
    cdef bint id_written = False
    cdef const char* quote = "\"" if dq else "'"
    cdef bint child_dq = dq or (node.ns is NULL and strcmp(<const char*>node.name, "metadata") == 0)
    if root_id is not NULL:
        drop_id = True
        id_written = _find_attr(node, "type") is NULL
    if dq and _mixed(node):
        buf_indent(b, level)
        write_inline(b, node)
        buf_add(b, "\n", 1)
        return 0
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
        buf_add(b, "=", 1)
        buf_add(b, quote, 1)
        buf_value(b, ns.href, dq, True)
        buf_add(b, quote, 1)
        ns = ns.next
    if root_id is not NULL and id_written:
        write_id(b, root_id, quote)
    attr = node.properties
    while attr is not NULL:
        if (drop_id and attr.ns is NULL and strcmp(<const char*>attr.name, "id") == 0) or (
                hide_secrets and _secret_attr(node, attr)):
            attr = attr.next
            continue
        buf_add(b, " ", 1)
        if attr.ns is not NULL and attr.ns.prefix is not NULL:
            buf_addz(b, <const char*>attr.ns.prefix)
            buf_add(b, ":", 1)
        buf_addz(b, <const char*>attr.name)
        buf_add(b, "=", 1)
        buf_add(b, quote, 1)
        c = attr.children
        while c is not NULL:
            buf_value(b, c.content, dq, True)
            c = c.next
        buf_add(b, quote, 1)
        if root_id is not NULL and not id_written and attr.ns is NULL and strcmp(<const char*>attr.name, "type") == 0:
            write_id(b, root_id, quote)
            id_written = True
        attr = attr.next
    c = node.children
    if c is NULL:
        if node.ns is NULL and strcmp(<const char*>node.name, "devices") == 0 and not dq:
            # libvirt always writes the devices container open and closed
            buf_add(b, ">\n", 2)
            buf_indent(b, level)
            buf_add(b, "</devices>\n", 11)
            return 0
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
                buf_value(b, c.content, dq, False)
            c = c.next
    else:
        buf_add(b, ">\n", 2)
        while c is not NULL:
            if c.type == tree.XML_ELEMENT_NODE and not (hide_secrets and _secret_element(c)):
                write_element(b, c, level + 1, child_dq, hide_secrets)
            c = c.next
        buf_indent(b, level)
    buf_add(b, "</", 2)
    buf_qname(b, node)
    buf_add(b, ">\n", 2)
    return 0


def format(_Element element not None, int indent=0, bint hide_secrets=False, str root_id=None,
           bint drop_id=False):
    """Write ``element`` and its subtree the way libvirt formats XML; returns ``str``.

    Text mixed with child elements is dropped (libvirt's formats have none), comments are
    skipped, and the result ends with a newline. ``hide_secrets``, ``root_id`` and
    ``drop_id`` are the domain writer's output flags (see :func:`write_element`); the tree
    is not modified.
    """
    cdef Buffer b
    cdef const char* cid = NULL
    if root_id is not None:
        cid = PyUnicode_AsUTF8(root_id)
    b.data = NULL
    b.length = 0
    b.capacity = 0
    try:
        write_element(&b, element._c_node, indent, False, hide_secrets, cid, drop_id)
        return PyUnicode_DecodeUTF8(b.data, b.length, NULL)
    finally:
        PyMem_Free(b.data)


# ---------------------------------------------------------------------------------------------
# unknown names and canonical child order (the per-element work of the configuration layer)


cdef bint _listed(tree.xmlNode* c, tree.xmlNode** nodes, int count) noexcept:
    cdef int i
    for i in range(count):
        if nodes[i] == c:
            return True
    return False


cdef void _relink(tree.xmlNode* parent, tree.xmlNode** nodes, int count) noexcept:
    """Make ``nodes`` (sorted element children of ``parent``) appear in that order.

    Pointers are rewired directly (libxml2's own functions are not exported by lxml's
    bundled library). Children not in ``nodes`` (text, or elements the caller is about to
    remove) stay linked: non-elements first, then ``nodes``, then the other elements.
    """
    cdef tree.xmlNode* c
    cdef tree.xmlNode* nxt
    cdef tree.xmlNode* head = NULL
    cdef tree.xmlNode* tail = NULL
    cdef tree.xmlNode* ohead = NULL
    cdef tree.xmlNode* otail = NULL
    cdef int i
    c = parent.children
    while c is not NULL:
        nxt = c.next
        if not _listed(c, nodes, count):
            if c.type != tree.XML_ELEMENT_NODE:
                c.prev = tail
                c.next = NULL
                if tail is NULL:
                    head = c
                else:
                    tail.next = c
                tail = c
            else:
                c.prev = otail
                c.next = NULL
                if otail is NULL:
                    ohead = c
                else:
                    otail.next = c
                otail = c
        c = nxt
    for i in range(count):
        c = nodes[i]
        c.prev = tail
        c.next = NULL
        if tail is NULL:
            head = c
        else:
            tail.next = c
        tail = c
    if ohead is not NULL:
        ohead.prev = tail
        if tail is NULL:
            head = ohead
        else:
            tail.next = ohead
        tail = otail
    parent.children = head
    parent.last = tail


# Known names per path. libvirt's parser reads only the names it knows, so its output drops
# every other child element and attribute; the tables compiled below say, per element path,
# which names are known (from libvirt's schema, see conf/domain/known_gen.py) and in which
# order libvirt writes the children. Names are looked up in per-path open-addressing hash
# tables of C strings: a lookup is one FNV-1a hash of the name and (almost always) one strcmp.

cdef struct _PathTable:
    _NameSlot* elements     # child element names (open addressing, at most half full)
    uint32_t elements_mask
    _NameSlot* attrs        # attribute names, when attrs_known
    uint32_t attrs_mask
    bint has_ranks          # the children are sorted by rank
    bint prune              # a child element whose name is not listed is removed
    bint attrs_known        # an attribute whose name is not listed is removed
    bint ranks_below        # this path or one below it has ranks (the ordering walk's guide)
    bint text_free          # the element holds no character data: its text nodes are removed


cdef struct _NameSlot:
    const char* name        # NULL: an empty slot
    uint32_t hash
    long rank               # position among the path's children in libvirt's output; -1: none
    _PathTable* sub         # the child path's table, or NULL (nothing known below)


cdef inline uint32_t _name_hash(const char* s) noexcept:
    cdef uint32_t h = 2166136261u
    while s[0]:
        h = (h ^ <unsigned char>s[0]) * 16777619u
        s += 1
    return h


cdef inline _NameSlot* _lookup(_NameSlot* slots, uint32_t mask, const char* name) noexcept:
    """The slot holding ``name``, or NULL."""
    cdef uint32_t h = _name_hash(name)
    cdef uint32_t i = h & mask
    cdef _NameSlot* s
    while True:
        s = &slots[i]
        if s.name is NULL:
            return NULL
        if s.hash == h and strcmp(s.name, name) == 0:
            return s
        i = (i + 1) & mask


class _PathSpec:
    """One path's knowledge while the tables are being compiled."""

    def __init__(self):
        self.names = {}         # child name -> [rank or -1, _PathSpec or None]
        self.attrs = None       # attribute names (a list), or None: any attribute is kept
        self.has_ranks = False
        self.prune = False
        self.text_free = False

    def entry(self, name):
        got = self.names.get(name)
        if got is None:
            got = self.names[name] = [-1, None]
        return got

    def sub(self, name):
        got = self.entry(name)
        if got[1] is None:
            got[1] = _PathSpec()
        return got[1]


cdef class OrderTable:
    """Compiled knowledge of every element path of a document, for :func:`drop_unknown` and
    :func:`canonical_order_table`: C tables (``_PathTable``) linked by child name, built by
    :func:`compile_order`. This object owns their memory."""

    cdef _PathTable* root
    cdef void** blocks       # every allocation, freed with the object
    cdef Py_ssize_t nblocks
    cdef list _keep          # the bytes objects the slot names point into

    def __cinit__(self):
        self.root = NULL
        self.blocks = NULL
        self.nblocks = 0
        self._keep = []

    def __dealloc__(self):
        cdef Py_ssize_t i
        for i in range(self.nblocks):
            PyMem_Free(self.blocks[i])
        PyMem_Free(self.blocks)

    cdef void* _alloc(self, size_t size) except NULL:
        cdef void* p = PyMem_Malloc(size)
        cdef void** grown
        if p is NULL:
            raise MemoryError()
        grown = <void**>PyMem_Realloc(self.blocks, (self.nblocks + 1) * sizeof(void*))
        if grown is NULL:
            PyMem_Free(p)
            raise MemoryError()
        self.blocks = grown
        self.blocks[self.nblocks] = p
        self.nblocks += 1
        return p

    cdef _NameSlot* _slots(self, list rows, uint32_t* mask) except NULL:
        """An open-addressing table of ``(name, rank, sub table)`` rows."""
        cdef uint32_t size = 4, h, i
        cdef _NameSlot* slots
        cdef bytes raw
        while size < 2 * len(rows) + 2:
            size *= 2
        slots = <_NameSlot*>self._alloc(size * sizeof(_NameSlot))
        for i in range(size):
            slots[i].name = NULL
        for name, rank, sub in rows:
            raw = (<str>name).encode()
            self._keep.append(raw)
            h = _name_hash(raw)
            i = h & (size - 1)
            while slots[i].name is not NULL:
                i = (i + 1) & (size - 1)
            slots[i].name = raw
            slots[i].hash = h
            slots[i].rank = rank
            slots[i].sub = <_PathTable*>(<size_t>sub)
        mask[0] = size - 1
        return slots

    cdef int _build(self, object root_spec) except -1:
        cdef dict address = {}   # id(spec) -> its _PathTable
        cdef list specs = [root_spec]
        cdef _PathTable* t
        queued = {id(root_spec)}
        for spec in specs:  # grows while walked: every reachable spec once
            t = <_PathTable*>self._alloc(sizeof(_PathTable))
            address[id(spec)] = <size_t>t
            for rank_sub in spec.names.values():
                sub = rank_sub[1]
                if sub is not None and id(sub) not in queued:
                    queued.add(id(sub))
                    specs.append(sub)
        ranks_below = _ranks_below(specs)
        for spec in specs:
            t = <_PathTable*>(<size_t>address[id(spec)])
            t.has_ranks = spec.has_ranks
            t.prune = spec.prune
            t.text_free = spec.text_free
            t.attrs_known = spec.attrs is not None
            t.ranks_below = id(spec) in ranks_below
            t.elements = self._slots(
                [(n, r, 0 if s is None else address[id(s)]) for n, (r, s) in spec.names.items()],
                &t.elements_mask)
            t.attrs = NULL
            t.attrs_mask = 0
            if spec.attrs is not None:
                t.attrs = self._slots([(n, -1, 0) for n in spec.attrs], &t.attrs_mask)
        self.root = <_PathTable*>(<size_t>address[id(root_spec)])
        return 0


def _ranks_below(list specs):
    """ids of the specs that have ranks or lead to one that has (a fixpoint: aliases make
    the graph cyclic)."""
    found = {id(s) for s in specs if s.has_ranks}
    changed = True
    while changed:
        changed = False
        for s in specs:
            if id(s) not in found and any(
                    sub is not None and id(sub) in found for _, sub in s.names.values()):
                found.add(id(s))
                changed = True
    return found


def compile_order(dict ranks not None, frozenset pruned not None, dict known=None, dict aliases=None,
                  text_free=None):
    """The tables for :func:`drop_unknown` and :func:`canonical_order_table`.

    ``ranks``: path (``'.'``, ``'devices/disk'``, ...) -> {tag: position in libvirt's output}.
    ``pruned``: paths whose unknown children are removed even without a ``known`` entry.
    ``known``: path -> (child element names, attribute names), either None when any name is
    kept there; other names at those paths are unknown. ``aliases``: path -> an ancestor
    path whose table it shares (recursive elements). ``text_free``: paths whose element
    holds no character data (its text is removed). Walking the tables needs no path
    strings: a child's table is found by its tag, and subtrees no table mentions are not
    visited.
    """
    cdef OrderTable out = OrderTable()
    root = _PathSpec()
    by_path = {".": root}
    aliases = aliases or {}
    known = known or {}

    def spec(str path):
        got = by_path.get(path)
        if got is None:
            if path in aliases:
                got = spec(aliases[path])
            else:
                parent, _, name = path.rpartition("/")
                got = spec(parent or ".").sub(name)
                got.prune = path in pruned
            by_path[path] = got
        return got

    def resolve(str path):
        """``path`` with every aliased prefix replaced by its target."""
        parts = path.split("/")
        for i in range(len(parts), 0, -1):
            prefix = "/".join(parts[:i])
            if prefix in aliases:
                return resolve("/".join([aliases[prefix]] + parts[i:]))
        return path

    root.prune = "." in pruned
    # aliases first: a path below an alias is the same spec as the path below its target
    for path, target in aliases.items():
        parent, _, name = path.rpartition("/")
        spec(resolve(parent) if parent else ".").entry(name)[1] = spec(resolve(target))
    for path, (elements, attributes) in known.items():
        s = spec(resolve(path))
        if elements is not None:
            s.prune = True
            for name in elements:
                s.entry(name)
        if attributes is not None:
            s.attrs = list(attributes)
    for path in text_free or ():
        spec(resolve(path)).text_free = True
    for path in sorted(ranks, key=lambda p: p.count("/")):
        s = spec(resolve(path))
        if s.has_ranks and resolve(path) != path:
            continue  # a recursive path: the order of its first occurrence holds
        s.has_ranks = True
        for name, rank in ranks[path].items():
            s.entry(name)[0] = rank
    out._build(root)
    return out


cdef int _drop_walk(_Document doc, tree.xmlNode* node, _PathTable* table) except -1:
    """Returns 1 when a namespace is declared below the root or a namespaced name went (the
    caller then drops declarations nothing uses any more), else 0."""
    cdef int ns_seen = 0
    cdef _NameSlot* slot
    cdef tree.xmlNode* c
    cdef tree.xmlNode* nxt
    cdef tree.xmlAttr* a
    cdef tree.xmlAttr* anxt
    if table.attrs_known:
        a = node.properties
        while a is not NULL:
            anxt = a.next
            if a.ns is not NULL or _lookup(table.attrs, table.attrs_mask, <const char*>a.name) is NULL:
                if a.ns is not NULL:
                    ns_seen = 1
                nx_remove_prop(a)
            a = anxt
    c = node.children
    while c is not NULL:
        nxt = c.next
        if c.type != tree.XML_ELEMENT_NODE:
            if table.text_free and (c.type == tree.XML_TEXT_NODE or c.type == tree.XML_CDATA_SECTION_NODE):
                # no text in libvirt's output here; text nodes never have lxml proxies
                nx_unlink_node(c)
                nx_free_node(c)
        else:
            slot = NULL
            if c.ns is NULL:
                slot = _lookup(table.elements, table.elements_mask, <const char*>c.name)
            if slot is NULL:
                if table.prune:
                    if c.ns is not NULL:
                        ns_seen = 1
                    remove_node(doc, c)
                    c = nxt
                    continue
            elif slot.sub is not NULL and (c.children is not NULL or c.properties is not NULL):
                ns_seen |= _drop_walk(doc, c, slot.sub)
            if c.nsDef is not NULL:
                ns_seen = 1
        c = nxt
    return ns_seen


def drop_unknown(_Element root not None, OrderTable table not None):
    """Remove every element and attribute whose name the tables from :func:`compile_order`
    do not know at its path, and the text of elements that hold none there, in one C walk
    (no Python call per element, attribute or text node).

    Elements are freed at once unless an lxml proxy points into them, in which case lxml
    removes them (the proxy stays valid). Attributes never have proxies. Returns True when
    namespace declarations below the root may now be unused (``etree.cleanup_namespaces``
    then removes them, as libvirt's output has none).
    """
    return _drop_walk(root._doc, root._c_node, table.root) != 0


cdef int _order_walk_t(_Document doc, tree.xmlNode* node, _PathTable* table) except -1:
    cdef _NameSlot* slot
    cdef tree.xmlNode* c
    cdef tree.xmlNode* nxt
    cdef tree.xmlNode* nodes[512]
    cdef long keys[512]
    cdef int count = 0, i, j
    cdef long last = -1, k
    cdef tree.xmlNode* tmp
    cdef bint in_order = True
    cdef bint overflow = False
    cdef bint ranked = table.has_ranks
    c = node.children
    while c is not NULL:
        nxt = c.next
        if c.type == tree.XML_ELEMENT_NODE:
            slot = NULL
            if c.ns is NULL:
                slot = _lookup(table.elements, table.elements_mask, <const char*>c.name)
            if slot is NULL and table.prune:
                remove_node(doc, c)
                c = nxt
                continue
            if ranked:
                k = last if slot is NULL or slot.rank < 0 else slot.rank
                if count < 512:
                    if k < last:
                        in_order = False
                    if k > last:
                        last = k
                    nodes[count] = c
                    keys[count] = k
                    count += 1
                else:
                    overflow = True  # too many children to sort here: they stay as they are
            if slot is not NULL and slot.sub is not NULL and slot.sub.ranks_below and c.children is not NULL:
                _order_walk_t(doc, c, slot.sub)
        c = nxt
    if ranked and not in_order and not overflow:
        for i in range(1, count):
            tmp = nodes[i]
            k = keys[i]
            j = i - 1
            while j >= 0 and keys[j] > k:
                nodes[j + 1] = nodes[j]
                keys[j + 1] = keys[j]
                j -= 1
            nodes[j + 1] = tmp
            keys[j + 1] = k
        _relink(node, nodes, count)
    return 0


def canonical_order_table(_Element root not None, OrderTable table not None):
    """Put every element's children in libvirt's order (tables from :func:`compile_order`),
    in one C walk over the subtrees that have an order; unknown children of pruned paths on
    the way are removed."""
    _order_walk_t(root._doc, root._c_node, table.root)


def child(_Element element not None, str tag not None):
    """The first child element named ``tag`` (no namespace), or None.

    ``element.find('tag')`` goes through lxml's Python-level path engine; this is a plain
    C scan of the children, an order of magnitude cheaper on the post-parse's hot path.
    """
    cdef const char* ctag = PyUnicode_AsUTF8(tag)
    cdef tree.xmlNode* c = element._c_node.children
    while c is not NULL:
        if c.type == tree.XML_ELEMENT_NODE and c.ns is NULL and strcmp(<const char*>c.name, ctag) == 0:
            return elementFactory(element._doc, c)
        c = c.next
    return None


def ns_children(_Element element not None):
    """The child elements that have a namespace (usually none: no element object is made
    for the plain ones a caller would only skip)."""
    cdef tree.xmlNode* c = element._c_node.children
    cdef list out = []
    while c is not NULL:
        if c.type == tree.XML_ELEMENT_NODE and c.ns is not NULL:
            out.append(elementFactory(element._doc, c))
        c = c.next
    return out


def children(_Element element not None, str tag not None):
    """All child elements named ``tag`` (no namespace), as a list (a C-level findall)."""
    cdef const char* ctag = PyUnicode_AsUTF8(tag)
    cdef tree.xmlNode* c = element._c_node.children
    cdef list out = []
    while c is not NULL:
        if c.type == tree.XML_ELEMENT_NODE and c.ns is NULL and strcmp(<const char*>c.name, ctag) == 0:
            out.append(elementFactory(element._doc, c))
        c = c.next
    return out


cdef int _find_walk(_Document doc, tree.xmlNode* node, tuple steps, Py_ssize_t depth, list out) except -1:
    cdef tree.xmlNode* c = node.children
    cdef object step = steps[depth]
    cdef const char* name = NULL
    cdef bint last = depth + 1 == len(steps)
    if step is not None:
        name = PyUnicode_AsUTF8(step)
    while c is not NULL:
        if c.type == tree.XML_ELEMENT_NODE and (
            name is NULL or (c.ns is NULL and strcmp(<const char*>c.name, name) == 0)
        ):
            if last:
                out.append(elementFactory(doc, c))
            elif c.children is not NULL:
                _find_walk(doc, c, steps, depth + 1, out)
        c = c.next
    return 0


def find_all(_Element element not None, tuple steps not None):
    """``element.findall('a/b/c')`` for ``steps == ('a', 'b', 'c')``, in document order,
    walked in C (lxml's path engine costs ~1 µs a call, mostly in Python).

    A step names a child element without namespace; a step of None is any child element
    (``*``). Element objects are made only for the matches.
    """
    cdef list out = []
    if steps:
        _find_walk(element._doc, element._c_node, steps, 0, out)
    return out


cdef tree.xmlAttr* _find_attr(tree.xmlNode* node, const char* name) noexcept:
    cdef tree.xmlAttr* a = node.properties
    while a is not NULL:
        if a.ns is NULL and strcmp(<const char*>a.name, name) == 0:
            return a
        a = a.next
    return NULL


def get(_Element element not None, str name not None, default=None):
    """``element.get(name, default)`` for a plain (no namespace) attribute, read in C.

    lxml's ``get`` encodes the name, copies the value through libxml2 and decodes it; this
    walks the attribute list and decodes once, about five times cheaper on the hot path.
    """
    cdef tree.xmlAttr* a = _find_attr(element._c_node, PyUnicode_AsUTF8(name))
    cdef tree.xmlNode* t
    if a is NULL:
        return default
    t = a.children
    if t is NULL:
        return ""
    if t.next is NULL and t.content is not NULL:
        return cached_str(<const char*>t.content, strlen(<const char*>t.content))
    return element.get(name, default)


# ---------------------------------------------------------------------------------------------
# building: through libxml2's own constructors (bound in nodeops.pxi), so nodes made here
# are ordinary nodes to lxml

def set(_Element element not None, str name not None, str value not None):
    """``element.set(name, value)`` for a plain attribute, through libxml2 directly."""
    set_attr(element._c_node, PyUnicode_AsUTF8(name), PyUnicode_AsUTF8(value))


def add(_Element parent not None, str tag not None, str text=None, attrs=None):
    """Append a new child ``<tag attrs...>text</tag>`` to ``parent`` and return it.

    ``attrs`` is a sequence of (name, value) pairs, written in that order. One C call
    instead of lxml's Element(...) + append (which builds a throw-away document first).
    """
    cdef tree.xmlNode* node = add_elem(parent._c_node, PyUnicode_AsUTF8(tag),
                                       NULL if text is None else PyUnicode_AsUTF8(text))
    if attrs:
        for k, v in attrs:
            set_attr(node, PyUnicode_AsUTF8(k), PyUnicode_AsUTF8(v))
    return elementFactory(parent._doc, node)


def permute(_Element parent not None, list old not None, list new not None):
    """Put the children ``new[i]`` where ``old[i]`` were (same elements, new order).

    Used to re-create libvirt's insertion order of disks and controllers without the
    remove/insert round trips of lxml's API. Both lists must hold the same children of
    ``parent`` (at most 512); anything else is refused.
    """
    cdef Py_ssize_t n = len(old), i, k = 0, count = 0
    cdef tree.xmlNode* p = parent._c_node
    cdef tree.xmlNode* c
    cdef tree.xmlNode* olds[512]
    cdef tree.xmlNode* news[512]
    cdef tree.xmlNode* kids[4096]
    cdef tree.xmlNode* head = NULL
    cdef tree.xmlNode* tail = NULL
    cdef bint hit
    if len(new) != n:
        raise ValueError("permute: lists differ in length")
    if n < 2:
        return
    if n > 512:
        raise ValueError("permute: too many elements")
    if {id(e) for e in old} != {id(e) for e in new} or len({id(e) for e in old}) != n:
        raise ValueError("permute: lists hold different elements")
    for i in range(n):
        olds[i] = (<_Element?>old[i])._c_node
        news[i] = (<_Element?>new[i])._c_node
        if olds[i].parent is not p:
            raise ValueError("permute: not a child of parent")
    # snapshot the current children, then relink with each old slot taken by the next new one
    c = p.children
    while c is not NULL:
        if count >= 4096:
            raise ValueError("permute: too many children")
        kids[count] = c
        count += 1
        c = c.next
    for i in range(count):
        c = kids[i]
        hit = False
        for j in range(n):
            if olds[j] == c:
                hit = True
                break
        if hit:
            c = news[k]
            k += 1
        c.prev = tail
        c.next = NULL
        if tail is NULL:
            head = c
        else:
            tail.next = c
        tail = c
    p.children = head
    p.last = tail
