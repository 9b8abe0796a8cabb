"""pyvirsh's main() must leave the host process's signal handling alone.

Running main() in-process once set SIGPIPE to its default action, and a later test writing
to a socket closed by its peer then killed the whole pytest process (exit 141).
"""

from __future__ import annotations

import signal

from pyvirt.shell.main import main


def test_main_keeps_sigpipe_ignored(capsys) -> None:
    before = signal.getsignal(signal.SIGPIPE)
    assert main(["-c", "test:///default", "echo hi"]) == 0
    assert capsys.readouterr().out.startswith("hi\n")
    assert signal.getsignal(signal.SIGPIPE) == before
