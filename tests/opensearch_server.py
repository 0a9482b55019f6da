"""Start a throwaway OpenSearch 2.19 node for the search contract tests.

The node is the Java launcher of ``services/opensearch`` (built by its ``build.sh`` on
first use; Maven's local repository keeps the jars between runs), bound to 127.0.0.1 on
a free port, its data in a temporary folder. The session fixture
:func:`opensearch_server` yields the server URL; with ``OPENSEARCH_URL`` set it uses that
server instead and starts nothing. A server that cannot start makes the tests FAIL, never
skip: OpenSearch is a service CI must exercise.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAUNCHER = ROOT / "services" / "opensearch"
JAVA_HOME_17 = Path("/usr/lib/jvm/java-17-openjdk-amd64")
#: seconds to wait for cluster health yellow or green
START_TIMEOUT = float(os.environ.get("MESH_OPENSEARCH_START_TIMEOUT", "120"))
HEAP = os.environ.get("MESH_OPENSEARCH_HEAP", "1g")


def free_port() -> int:
    """A free TCP port on 127.0.0.1 (the kernel's choice)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def java_binary() -> str:
    """The ``java`` to run OpenSearch 2.19 with: ``MESH_OPENSEARCH_JAVA_HOME``, else the
    Debian JDK 17, else ``JAVA_HOME``, else ``PATH`` (OpenSearch 2.19 wants Java 17-21)."""
    for home in (
        os.environ.get("MESH_OPENSEARCH_JAVA_HOME"),
        str(JAVA_HOME_17),
        os.environ.get("JAVA_HOME"),
    ):
        if home and (Path(home) / "bin" / "java").exists():
            return str(Path(home) / "bin" / "java")
    found = shutil.which("java")
    if not found:
        raise RuntimeError("OpenSearch test server: no Java 17 found (set JAVA_HOME)")
    return found


def build_launcher() -> None:
    """Run ``services/opensearch/build.sh`` (a no-op when the build is current).
    Raises RuntimeError with Maven's output when the build fails."""
    done = subprocess.run([str(LAUNCHER / "build.sh")], capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        raise RuntimeError(
            "OpenSearch test server: the launcher build failed:\n"
            + (done.stdout + done.stderr)[-4000:]
        )


def cluster_health(url: str, timeout: float = 2.0) -> str | None:
    """The cluster health status (``green`` / ``yellow`` / ``red``) or None if no answer."""
    try:
        with urllib.request.urlopen(f"{url}/_cluster/health", timeout=timeout) as response:
            import json

            return json.load(response).get("status")
    except (OSError, ValueError):
        return None


def log_tail(path: Path, lines: int = 40) -> str:
    """The last ``lines`` lines of a log file ('' when it does not exist)."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def start_opensearch(workdir: Path, port: int | None = None) -> tuple[subprocess.Popen, str]:
    """Start the node with its data in ``workdir`` on ``port`` (a free one by default);
    returns ``(process, "http://127.0.0.1:<port>")`` once the cluster health is yellow or
    green. Raises RuntimeError with the log tail when it exits or does not get there
    within :data:`START_TIMEOUT` seconds."""
    build_launcher()
    port = port or free_port()
    log = workdir / "opensearch.log"
    classpath = f"{LAUNCHER / 'target' / 'classes'}:{LAUNCHER / 'target' / 'lib'}/*"
    command = [
        java_binary(),
        f"-Xms{HEAP}",
        f"-Xmx{HEAP}",
        "-XX:+UseG1GC",
        "-Djava.awt.headless=true",
        "-Dfile.encoding=UTF-8",
        "-Dlog4j2.disable.jmx=true",
        "-cp",
        classpath,
        "org.meshcatalog.opensearch.Launcher",
        str(port),
        str(workdir / "node"),
    ]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=out, stderr=subprocess.STDOUT, cwd=workdir
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(
                f"OpenSearch test server exited with code {proc.returncode}:\n{log_tail(log)}"
            )
        if cluster_health(url) in ("yellow", "green"):
            return proc, url
        time.sleep(0.5)
    stop_opensearch(proc)
    raise RuntimeError(
        f"OpenSearch test server on {url} not healthy after {START_TIMEOUT:.0f} s:\n{log_tail(log)}"
    )


def stop_opensearch(proc: subprocess.Popen, timeout: float = 30) -> None:
    """Stop the node: close its stdin (the launcher's clean shutdown), then SIGTERM, then
    SIGKILL if it is still running after ``timeout`` seconds."""
    if proc.poll() is not None:
        return
    try:
        if proc.stdin:
            proc.stdin.close()
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="session")
def opensearch_server() -> Iterator[str]:
    """URL of an OpenSearch server for the whole session: ``OPENSEARCH_URL`` when set,
    else a node started here (stopped at session end). Fails when it cannot start."""
    external = os.environ.get("OPENSEARCH_URL")
    if external:
        yield external.rstrip("/")
        return
    workdir = Path(tempfile.mkdtemp(prefix="mesh-opensearch-"))
    try:
        proc, url = start_opensearch(workdir)
    except RuntimeError as exc:
        problem = str(exc)
    else:
        problem = ""
    if problem:
        shutil.rmtree(workdir, ignore_errors=True)
        pytest.fail(problem, pytrace=False)
    try:
        yield url
    finally:
        stop_opensearch(proc)
        shutil.rmtree(workdir, ignore_errors=True)
