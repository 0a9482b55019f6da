"""Test connection: a read-only probe of a source config, bounded in time.

:func:`test_connection` validates the config (kind, keys, confined paths), resolves its
secret references, then runs the kind's :meth:`harvesters.base.Harvester.probe` (``sql``:
connect and list the schemas; other kinds: read up to the first item) in a daemon thread
and waits at most ``MESH_PROBE_TIMEOUT_SECONDS``. A probe that hangs is abandoned with a
message saying so (its thread ends with its own driver timeout); at most
``MESH_PROBE_MAX_RUNNING`` probes run at once per process, more are refused as busy.
Messages never carry a secret.
"""

import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import connections

from harvesters.base import ConfigError, HarvestError
from harvesters.paths import path_problems
from harvesters.registry import harvester_class
from harvesters.secrets import redact, secret_values
from harvesters.vault import SecretError, resolve

_slots_lock = threading.Lock()
_slots: threading.BoundedSemaphore | None = None


@dataclass
class ProbeResult:
    """Outcome of a connection test: ``ok``, ``message`` (words, no secret), ``seconds``
    taken and ``busy`` (refused: too many probes running)."""

    ok: bool
    message: str
    seconds: float = 0.0
    busy: bool = False

    def as_dict(self) -> dict:
        """``{"ok", "message", "seconds"}`` for the API and pages."""
        return {"ok": self.ok, "message": self.message, "seconds": round(self.seconds, 3)}


def _semaphore() -> threading.BoundedSemaphore:
    global _slots
    with _slots_lock:
        if _slots is None:
            _slots = threading.BoundedSemaphore(
                max(1, int(getattr(settings, "MESH_PROBE_MAX_RUNNING", 4)))
            )
        return _slots


def timeout_seconds() -> float:
    """Seconds a probe may take (``MESH_PROBE_TIMEOUT_SECONDS``)."""
    return float(getattr(settings, "MESH_PROBE_TIMEOUT_SECONDS", 10))


def test_connection(kind: str, config: dict, timeout: float | None = None) -> ProbeResult:
    """Probe a source of ``kind`` with ``config`` (secrets already unmasked), read-only.

    Never raises for source problems: a bad config, a refused path, an unreachable
    source or a probe still running after ``timeout`` seconds give ``ok=False`` and the
    reason in words.
    """
    started = time.monotonic()
    timeout = timeout_seconds() if timeout is None else timeout
    problems = path_problems(kind, config)
    if problems:
        return ProbeResult(False, "; ".join(problems))
    secrets = secret_values(config)
    try:
        cls = harvester_class(kind)
        raw = resolve(config)
        secrets |= secret_values(raw)
        harvester = cls(cls.parse_config(raw), report=_NullReport())
    except (ConfigError, SecretError) as exc:
        return ProbeResult(False, redact(str(exc), secrets))
    if not cls.stale_removal:
        return ProbeResult(
            True, f"{kind} sources receive pushed events: there is nothing to connect to"
        )
    slots = _semaphore()
    if not slots.acquire(blocking=False):
        return ProbeResult(
            False, "too many connection tests are running; try again shortly", busy=True
        )
    outcome: dict = {}

    def work() -> None:
        try:
            outcome["message"] = harvester.probe()
            outcome["ok"] = True
        except HarvestError as exc:
            outcome["message"], outcome["ok"] = str(exc), False
        except Exception as exc:  # noqa: BLE001 - drivers raise anything; say it in words
            outcome["message"], outcome["ok"] = f"{type(exc).__name__}: {exc}", False
        finally:
            slots.release()
            connections.close_all()  # this thread's own connections, if the kind used any

    thread = threading.Thread(target=work, name=f"probe-{kind}", daemon=True)
    thread.start()
    thread.join(timeout)
    seconds = time.monotonic() - started
    if thread.is_alive():
        return ProbeResult(
            False,
            f"no answer within {timeout:g} s: the connection test timed out "
            "(is the host reachable, a firewall dropping packets, the server busy?)",
            seconds,
        )
    return ProbeResult(
        bool(outcome.get("ok")), redact(outcome.get("message", ""), secrets), seconds
    )


class _NullReport:
    """A report that keeps nothing (a probe writes no run)."""

    def warn(self, item: str, message: str) -> None:
        """Ignored."""

    def error(self, item: str, message: str) -> None:
        """Ignored."""

    @property
    def counts(self) -> dict:
        """A fresh dict each time (ignored)."""
        return {}
