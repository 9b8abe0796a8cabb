"""Random-mutation differential run of pyvirt's domain parse against live libvirt (by hand).

The corpus documents are well-formed and mostly valid; users' documents are not. This takes
corpus domain inputs, applies 1-4 random mutations each (an attribute set to an awkward value,
an element removed, duplicated or given text, an unknown-ish child added), and compares
pyvirt's outcome with libvirt's test driver: same error code when libvirt refuses, same
canonical output when it accepts (the comparison of :mod:`domain_oracle`). It prints the
agreement and the disagreements grouped by kind, most frequent first, with one example each.

libvirt runs in a child process with a memory cap: some mutated documents (a drive
controller numbered in the billions) make its test driver allocate without bound; such a
document is counted as "libvirt crashed" and skipped. Run::

    python3 -m tests.conformance.mutation_fuzz [SEED] [COUNT]

Not part of the suite: the figure is a measurement of the long tail, not a pass/fail line.
"""

from __future__ import annotations

import collections
import copy
import multiprocessing as mp
import os
import random
import re
import resource
import sys
from pathlib import Path

from lxml import etree

from tests.conformance import domain_oracle

#: values that probe number, enum and blank handling
AWKWARD = ("", " ", "0", "-1", "0x10", "99999999999999999999", "abc", "1.2", "+1", " 1 ", "yes",
           "on", "pci", "drive", "virtio", "\u00e9", "010", "4294967296", "2147483648", "-0")
ATTR_NAMES = ("index", "port", "bus", "unit", "controller", "type", "model", "dev", "id", "slot")
CHILD_TAGS = ("address", "target", "source", "driver", "boot", "alias", "model", "controller", "disk")
ADDRESS_TYPES = ("pci", "drive", "usb", "virtio-serial", "ccw")


def mutate(root: etree._Element, rnd: random.Random) -> None:
    for _ in range(rnd.randint(1, 4)):
        elements = [e for e in root.iter() if isinstance(e.tag, str)]
        el = rnd.choice(elements)
        op = rnd.random()
        parent = el.getparent()
        if op < 0.25 and el.attrib:
            el.set(rnd.choice(list(el.attrib)), rnd.choice(AWKWARD))
        elif op < 0.4 and parent is not None:
            parent.remove(el)
        elif op < 0.55 and parent is not None:
            el.addnext(copy.deepcopy(el))
        elif op < 0.7:
            el.text = rnd.choice(AWKWARD)
        elif op < 0.85:
            el.set(rnd.choice(ATTR_NAMES), rnd.choice(AWKWARD))
        else:
            etree.SubElement(el, rnd.choice(CHILD_TAGS), type=rnd.choice(ADDRESS_TYPES))


def _oracle_worker(conn) -> None:  # type: ignore[no-untyped-def]
    resource.setrlimit(resource.RLIMIT_AS, (1_500_000_000, 1_500_000_000))
    import libvirt

    libvirt.registerErrorHandler(lambda *a: None, None)
    node = Path("/tmp/pyvirt-fuzz-empty-node.xml")
    node.write_text("<node/>")
    lv = libvirt.open(f"test://{node}")
    while True:
        conn.send(domain_oracle.oracle_result(lv, conn.recv()))


class ChildOracle:
    """libvirt in a child process: restarted after a crash or a 20 s hang."""

    def __init__(self) -> None:
        self._start()

    def _start(self) -> None:
        self.pipe, theirs = mp.Pipe()
        self.proc = mp.get_context("fork").Process(target=_oracle_worker, args=(theirs,), daemon=True)
        self.proc.start()

    def ask(self, text: str):  # type: ignore[no-untyped-def]
        self.pipe.send(text)
        if self.pipe.poll(20):
            try:
                return self.pipe.recv()
            except EOFError:
                pass
        self.proc.kill()
        self.proc.join()
        self._start()
        return None


def main(argv: list[str]) -> int:
    seed = int(argv[0]) if argv else 1
    count = int(argv[1]) if len(argv) > 1 else 1000
    corpus = Path(os.environ.get("PYVIRT_CORPUS", Path(__file__).resolve().parents[2].parent / "shared/corpus/libvirt-9.0.0"))
    docs = [p.read_bytes() for p in domain_oracle.domain_inputs(corpus)]
    if not docs:
        print(f"no corpus at {corpus}", file=sys.stderr)
        return 1
    rnd = random.Random(seed)
    oracle = ChildOracle()
    real = domain_oracle.oracle_result
    agree = crashed = 0
    kinds: collections.Counter[str] = collections.Counter()
    example: dict[str, str] = {}
    for i in range(count):
        root = etree.fromstring(rnd.choice(docs))
        mutate(root, rnd)
        text = etree.tostring(root, encoding=str)
        answer = oracle.ask(text)
        if answer is None:
            crashed += 1
            continue
        domain_oracle.oracle_result = lambda _conn, _text, answer=answer: answer  # type: ignore[assignment]
        try:
            outcome = domain_oracle.compare_text(None, text, f"mutation-{i}")
        finally:
            domain_oracle.oracle_result = real  # type: ignore[assignment]
        if outcome.agree:
            agree += 1
            continue
        kind = re.sub(r"'[^']*'", "'…'", outcome.reason)[:90]
        kinds[kind] += 1
        example.setdefault(kind, outcome.reason[:240])
    compared = count - crashed
    print(f"seed {seed}: {agree}/{compared} agree ({100 * agree / max(compared, 1):.1f} %); "
          f"libvirt crashed or hung on {crashed}")
    for kind, n in kinds.most_common(40):
        print(f"{n:5d}  {example[kind]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
