"""A real Neo4j Community server (5.26 LTS) for the tests and benchmarks.

``services/neo4j/`` holds a small Maven-built launcher (embedded Neo4j with its Bolt
connector on 127.0.0.1, authentication off); :func:`start_neo4j` builds it if needed
(``services/neo4j/build.sh``, a no-op when up to date), starts it on a free loopback port
and waits until Bolt answers. The session fixture :func:`neo4j_server` yields
``{"uri", "user", "password"}``: the server named by ``NEO4J_URI`` (with ``NEO4J_USER`` /
``NEO4J_PASSWORD``) when set, else one started for the session and stopped after it.
A server that cannot start FAILS the tests that need it; it never skips them.
"""

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAUNCHER_DIR = ROOT / "services" / "neo4j"
LAUNCHER_JAR = LAUNCHER_DIR / "target" / "neo4j-launcher.jar"
READY = "NEO4J READY"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now (the kernel's pick)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def java_binary() -> str:
    """The ``java`` to run the launcher with: ``$JAVA_HOME/bin/java``, else Debian's
    Java 17, else ``java`` on PATH. RuntimeError when none is found."""
    candidates = [
        Path(os.environ["JAVA_HOME"]) / "bin" / "java" if os.environ.get("JAVA_HOME") else None,
        Path("/usr/lib/jvm/java-17-openjdk-amd64/bin/java"),
    ]
    for candidate in candidates:
        if candidate and candidate.is_file():
            return str(candidate)
    found = shutil.which("java")
    if not found:
        raise RuntimeError("no Java runtime found for the Neo4j launcher (need Java 17+)")
    return found


def build_launcher() -> Path:
    """Run ``services/neo4j/build.sh`` (builds only when the jar is missing or stale).

    Returns the launcher jar; RuntimeError with the build's output when it fails.
    """
    result = subprocess.run(
        [str(LAUNCHER_DIR / "build.sh")], capture_output=True, text=True, timeout=900
    )
    if result.returncode != 0 or not LAUNCHER_JAR.is_file():
        output = (result.stdout + result.stderr).strip()[-2000:]
        raise RuntimeError(f"could not build the Neo4j launcher (services/neo4j): {output}")
    return LAUNCHER_JAR


@dataclass
class Neo4jServer:
    """A running launcher process: ``uri`` (``bolt://127.0.0.1:<port>``), its ``log``
    file (stdout and stderr) and data folder. :meth:`stop` shuts it down."""

    process: subprocess.Popen
    uri: str
    log: Path
    data_dir: Path
    user: str = ""
    password: str = ""
    settings: dict = field(default_factory=dict)

    def log_tail(self, chars: int = 3000) -> str:
        """The last ``chars`` characters of the server's log."""
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def stop(self, timeout: float = 60) -> None:
        """Close its stdin (the launcher then shuts Neo4j down cleanly), then SIGTERM,
        then SIGKILL if it is still running after ``timeout`` seconds."""
        if self.process.poll() is not None:
            return
        try:
            self.process.stdin.close()
            self.process.wait(timeout=timeout / 2)
        except (OSError, subprocess.TimeoutExpired):
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout / 2)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def start_neo4j(
    workdir: Path,
    port: int | None = None,
    *,
    heap: str = "768m",
    page_cache_mib: int = 128,
    timeout: float = 180,
    jvm_options: tuple[str, ...] = ("-XX:+UseSerialGC", "-XX:ActiveProcessorCount=2"),
) -> Neo4jServer:
    """Start Neo4j on ``127.0.0.1:<port>`` (a free port when None) with data under
    ``workdir``; return once a Bolt query succeeds.

    ``heap`` is the JVM's ``-Xmx``, ``page_cache_mib`` Neo4j's page cache (MiB),
    ``jvm_options`` extra JVM flags (the default: a small serial GC, sized for the shared
    2-core test machine). Raises
    RuntimeError (with the tail of the server's log) when the launcher cannot be built,
    exits early or does not answer within ``timeout`` seconds.
    """
    from neo4j import GraphDatabase
    from neo4j.exceptions import Neo4jError, ServiceUnavailable

    jar = build_launcher()
    port = port or free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    log = workdir / "neo4j.log"
    data_dir = workdir / "neo4j-data"
    with open(log, "wb") as log_file:
        process = subprocess.Popen(
            [
                java_binary(),
                f"-Xmx{heap}",
                *jvm_options,
                "-jar",
                str(jar),
                str(port),
                str(data_dir),
                str(page_cache_mib),
            ],
            stdin=subprocess.PIPE,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            cwd=workdir,
        )
    server = Neo4jServer(
        process=process, uri=f"bolt://127.0.0.1:{port}", log=log, data_dir=data_dir
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"Neo4j exited with code {process.returncode} before answering on "
                f"{server.uri}; log:\n{server.log_tail()}"
            )
        if READY in server.log_tail(100_000):
            driver = GraphDatabase.driver(server.uri, auth=None)
            try:
                driver.execute_query("RETURN 1")
                return server
            except (ServiceUnavailable, Neo4jError, OSError):
                pass
            finally:
                driver.close()
        time.sleep(0.25)
    server.stop(timeout=20)
    raise RuntimeError(
        f"Neo4j did not answer on {server.uri} within {timeout:.0f} s; log:\n{server.log_tail()}"
    )


@pytest.fixture(scope="session")
def neo4j_server(tmp_path_factory):
    """``{"uri", "user", "password"}`` of a Neo4j server for this test session.

    ``NEO4J_URI`` set: that server (``NEO4J_USER`` default ``neo4j``, ``NEO4J_PASSWORD``
    default empty), left running. Otherwise a launcher started on a free loopback port and
    stopped at session end. Fails (never skips) the tests using it if it cannot start.
    """
    if os.environ.get("NEO4J_URI"):
        yield {
            "uri": os.environ["NEO4J_URI"],
            "user": os.environ.get("NEO4J_USER", "neo4j"),
            "password": os.environ.get("NEO4J_PASSWORD", ""),
        }
        return
    try:
        server = start_neo4j(tmp_path_factory.mktemp("neo4j"))
    except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
        pytest.fail(f"the Neo4j test server could not be started: {exc}")
    try:
        yield {"uri": server.uri, "user": "", "password": ""}
    finally:
        from lineage.graph.bolt import close_shared_driver

        close_shared_driver(server.uri)
        server.stop()
