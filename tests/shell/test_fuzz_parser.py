"""Random scripts built from virsh's special characters, parsed by virsh and by pyvirsh.

Only commands that need no connection (echo, help with odd arguments) are used, so each
script is fed to ``virsh`` once and to pyvirsh in-process; stdout, stderr and the exit code
must be identical.  The seed is fixed so a failure is reproducible.
"""

from __future__ import annotations

import io
import random
import sys

import pytest

from .harness import run_virsh

PIECES = ["a", "bc", " ", "  ", "\t", ";", "\n", "'", '"', "\\", "#", "--", "--shell", "--xml",
          "--split", "--err", "-", "=", ",", ",,", "$", "<", "&", "x y", "\\\n", "--str", "--string"]


def _script(rng: random.Random) -> str:
    body = "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 12)))
    # a third of the scripts start with arbitrary pieces: comments, separators, bad commands
    return body if rng.random() < 0.33 else "echo " + body


def _pyvirsh(args: list[str]) -> tuple[str, str, int]:
    from pyvirt.shell.main import main

    out, err = io.StringIO(), io.StringIO()
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err
    try:
        rc = main(args)
    finally:
        sys.stdout, sys.stderr = saved
    return out.getvalue(), err.getvalue(), rc


SCRIPTS = [_script(random.Random(seed)) for seed in range(300)]


@pytest.mark.parametrize("index", range(0, len(SCRIPTS), 20))
def test_random_scripts(index: int) -> None:
    for script in SCRIPTS[index:index + 20]:
        expected = run_virsh([script])
        got = _pyvirsh([script])
        assert (got[0], got[1], got[2]) == (expected.out, expected.err, expected.rc), repr(script)
