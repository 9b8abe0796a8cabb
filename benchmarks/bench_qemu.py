"""QEMU driver benchmark, QMP part: query-status through pyvirt's monitor, qemu.qmp and a raw socket.

Method: one QEMU 7.2 (TCG, ``-S``, no guest) with three QMP sockets, one per client, so all three
talk to the same process in the same run. The machine is shared, so the clients take turns in
small batches (BATCH round trips each, over and over) and every round trip is timed on its own:
load from other users then hits all clients alike, and the median per-call latency is robust to
bursts. p90 is shown too.

* round trip: one ``query-status`` at a time, wait for its reply, repeat.
* pipelined: N commands in flight at once (raw: written in one send; qemu.qmp: ``asyncio.gather``;
  pyvirt: THREADS threads each running ``execute`` in a loop, the way the driver's API threads
  share one monitor), throughput in commands per second, median over rounds.

Run: ``python3 benchmarks/bench_qemu.py [--calls 3000] [--rounds 7]``. Target: pyvirt's round
trip within 1.3x of the raw socket.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from pyvirt.drivers.qemu.monitor import Monitor  # noqa: E402

QEMU = os.environ.get("PYVIRT_QEMU", "/usr/bin/qemu-system-x86_64")
QUERY = b'{"execute":"query-status"}\r\n'
THREADS = 8
BATCH = 25


class RawClient:
    """The floor: a blocking socket, one line out, one line back, nothing else."""

    def __init__(self, path: str) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.buf = b""
        self._line()  # greeting
        self.sock.sendall(b'{"execute":"qmp_capabilities"}\r\n')
        self._line()

    def _line(self) -> bytes:
        while b"\n" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise EOFError
            self.buf += data
        line, _, self.buf = self.buf.partition(b"\n")
        return line

    def roundtrip(self) -> None:
        self.sock.sendall(QUERY)
        self._line()

    def pipelined(self, n: int) -> None:
        self.sock.sendall(QUERY * n)
        for _ in range(n):
            self._line()

    def close(self) -> None:
        self.sock.close()


class PyvirtClient:
    def __init__(self, path: str) -> None:
        self.mon = Monitor.connect(path, timeout=10, name="bench")

    def roundtrip(self) -> None:
        self.mon.execute("query-status")

    def pipelined(self, n: int) -> None:
        per = n // THREADS

        def work() -> None:
            for _ in range(per):
                self.mon.execute("query-status")

        threads = [threading.Thread(target=work) for _ in range(THREADS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    def close(self) -> None:
        self.mon.close()


class QemuQmpClient:
    """qemu.qmp is asyncio-only: each measurement runs inside its own event loop."""

    def __init__(self, path: str) -> None:
        from qemu.qmp import QMPClient

        self.loop = asyncio.new_event_loop()
        self.qmp = QMPClient("bench")
        self.loop.run_until_complete(self.qmp.connect(path))

    def timed_roundtrips(self, n: int) -> list[float]:
        async def go() -> list[float]:
            clock = time.perf_counter
            out = []
            for _ in range(n):
                t0 = clock()
                await self.qmp.execute("query-status")
                out.append(clock() - t0)
            return out

        return self.loop.run_until_complete(go())

    def pipelined(self, n: int) -> None:
        async def go() -> None:
            await asyncio.gather(*(self.qmp.execute("query-status") for _ in range(n)))

        self.loop.run_until_complete(go())

    def close(self) -> None:
        self.loop.run_until_complete(self.qmp.disconnect())
        self.loop.close()


def time_roundtrips(client: object, count: int) -> list[float]:
    """Seconds of each of ``count`` round trips."""
    if isinstance(client, QemuQmpClient):
        return client.timed_roundtrips(count)
    rt = client.roundtrip  # type: ignore[attr-defined]
    clock = time.perf_counter
    out = []
    for _ in range(count):
        t0 = clock()
        rt()
        out.append(clock() - t0)
    return out


def time_pipelined(client: object, count: int) -> float:
    """Commands per second with ``count`` in flight."""
    t0 = time.perf_counter()
    client.pipelined(count)  # type: ignore[attr-defined]
    return count / (time.perf_counter() - t0)


def decode_figures() -> list[str]:
    """Per-message cost of the core decoder, by JSON backend, on a small reply and on the big
    query-qmp-schema reply recorded in libvirt's corpus (when present)."""
    import json
    import timeit

    from pyvirt._core import qmp

    small = b'{"return": {"status": "running", "singlestep": false, "running": true}, "id": 7}\r\n'
    samples = [("query-status reply", small)]
    corpus = Path(os.environ.get("PYVIRT_CORPUS", Path(__file__).resolve().parents[2] / "shared"
                                 / "corpus" / "libvirt-9.0.0"))
    replies = corpus / "qemucaps" / "caps_7.2.0.x86_64.replies"
    if replies.exists():
        dec = json.JSONDecoder()
        text, i, biggest = replies.read_text(), 0, None
        while i < len(text):
            while i < len(text) and text[i].isspace():
                i += 1
            if i >= len(text):
                break
            obj, i = dec.raw_decode(text, i)
            line = json.dumps(obj).encode() + b"\r\n"
            if biggest is None or len(line) > len(biggest):
                biggest = line
        if biggest is not None:
            samples.append((f"largest recorded reply ({len(biggest) // 1024} KiB)", biggest))
    rows = []
    backends = ["json"] + (["orjson"] if qmp.HAVE_ORJSON else [])
    for label, line in samples:
        n = 20000 if len(line) < 1000 else 20
        cells = []
        for backend in backends:
            d = qmp.Decoder(backend=backend)
            t = min(timeit.repeat(lambda d=d, line=line: d.feed(line), number=n, repeat=3)) / n
            cells.append(f"{backend} {t * 1e6:9.1f} us")
        t = min(timeit.repeat(lambda line=line: json.loads(line), number=n, repeat=3)) / n
        cells.append(f"json.loads {t * 1e6:9.1f} us")
        rows.append(f"  {label:<34} " + "   ".join(cells))
    return rows


def start_qemu(workdir: Path, names: list[str]) -> subprocess.Popen[bytes]:
    argv = [QEMU, "-machine", "pc,accel=tcg", "-nodefaults", "-no-user-config", "-m", "64",
            "-display", "none", "-S"]
    for name in names:
        argv += ["-qmp", f"unix:{workdir / name},server=on,wait=off"]
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    deadline = time.monotonic() + 10
    while not all((workdir / n).exists() for n in names):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise SystemExit(f"QEMU did not start: {proc.stderr.read().decode() if proc.stderr else ''}")
        time.sleep(0.01)
    return proc


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=3000, help="timed round trips per client")
    ap.add_argument("--rounds", type=int, default=7, help="pipelined rounds per client")
    ap.add_argument("--pipeline", type=int, default=400, help="commands in flight")
    args = ap.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="pyvirt-bench-"))
    proc = start_qemu(workdir, ["raw.sock", "pyvirt.sock", "qemuqmp.sock"])
    clients: dict[str, object] = {}
    notes: list[str] = []
    try:
        clients["raw socket"] = RawClient(str(workdir / "raw.sock"))
        clients["pyvirt"] = PyvirtClient(str(workdir / "pyvirt.sock"))
        try:
            clients["qemu.qmp"] = QemuQmpClient(str(workdir / "qemuqmp.sock"))
        except ImportError:
            notes.append("qemu.qmp row skipped: the qemu.qmp package is not installed "
                         "(pip install qemu.qmp)")
        for client in clients.values():  # warm up
            time_roundtrips(client, 100)
        rt: dict[str, list[float]] = {k: [] for k in clients}
        tp: dict[str, list[float]] = {k: [] for k in clients}
        for _ in range(max(1, args.calls // BATCH)):
            for name, client in clients.items():
                rt[name].extend(time_roundtrips(client, BATCH))
        for _ in range(args.rounds):
            for name, client in clients.items():
                tp[name].append(time_pipelined(client, args.pipeline))
    finally:
        for client in clients.values():
            try:
                client.close()  # type: ignore[attr-defined]
            except Exception:  # noqa: BLE001
                pass
        proc.kill()
        proc.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)

    def p90(xs: list[float]) -> float:
        return sorted(xs)[int(len(xs) * 0.9)]

    floor_rt = statistics.median(rt["raw socket"])
    floor_tp = statistics.median(tp["raw socket"])
    print(f"QMP query-status against one QEMU ({QEMU}): {len(rt['raw socket'])} timed round trips "
          f"per client in turns of {BATCH}; {args.rounds} rounds of {args.pipeline} pipelined")
    print(f"{'client':<12} {'median ms':>10} {'p90 ms':>8} {'x raw':>7}   "
          f"{'pipelined cmd/s':>16} {'raw/x':>7}")
    for name in clients:
        med = statistics.median(rt[name])
        tmed = statistics.median(tp[name])
        print(f"{name:<12} {med * 1e3:10.3f} {p90(rt[name]) * 1e3:8.3f} {med / floor_rt:7.2f}"
              f"   {tmed:16.0f} {floor_tp / tmed:7.2f}")
    ratio = statistics.median(rt["pyvirt"]) / floor_rt
    print(f"pyvirt round trip = {ratio:.2f}x raw socket (target <= 1.30x): "
          f"{'MET' if ratio <= 1.3 else 'NOT MET'}")
    for note in notes:
        print("note:", note)
    print("decoder (pyvirt._core.qmp, framing + decoding + classification per message):")
    for row in decode_figures():
        print(row)


if __name__ == "__main__":
    main()
