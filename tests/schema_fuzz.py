"""Fuzz the REST API against its own OpenAPI schema with Schemathesis (``make test-schema``).

Builds a throw-away catalog (SQLite in a temporary folder, the quickstart samples), starts
gunicorn on a free loopback port with a staff user's token, and runs
``schemathesis run <server>/api/schema/`` with every check (exceptions, each justified, in
``tests/schemathesis.toml``), bounded examples per operation and a time budget. Exit status: Schemathesis' own (non-zero on any 5xx, any response that
breaks the documented schema, any request outside the schema accepted, ...).

Usage: ``python tests/schema_fuzz.py [--max-examples 8] [--max-time 240] [--seed 1]``
(other arguments go to ``schemathesis run``).
"""

import argparse
import os
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: make the tests package importable
from tests.gunicorn_server import staff_token, start_gunicorn  # noqa: E402

BIN = Path(sys.executable).parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-examples", type=int, default=8)
    parser.add_argument("--max-time", type=int, default=240, help="seconds for the fuzzing")
    parser.add_argument("--seed", type=int, default=1)
    args, extra = parser.parse_known_args()
    with tempfile.TemporaryDirectory(prefix="mesh-fuzz-") as tmp:
        env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CACHE_URL"}}
        env.update(
            MESH_VAR_DIR=str(Path(tmp) / "var"),
            MESH_SAMPLE_LAKE_DIR=str(Path(tmp) / "lake"),
            SECRET_KEY=secrets.token_urlsafe(50),
            DEBUG="false",
            MESH_LOGIN_FAILURE_LIMIT="1000",
        )
        manage = [sys.executable, "manage.py"]
        subprocess.run(
            [*manage, "quickstart", "--no-serve"],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
            timeout=600,
        )
        token = staff_token(env, "fuzzer")
        server, base = start_gunicorn(env, threads=4, ready_path="/api/schema/")
        try:
            cmd = [
                sys.executable,
                str(ROOT / "tests" / "schemathesis_cli.py"),  # schemathesis, thread-safe ast
                "--config-file",  # per-operation exceptions, each justified there
                str(ROOT / "tests" / "schemathesis.toml"),
                "run",
                f"{base}/api/schema/",
                # all checks: Schemathesis' default (`--checks all` would also override the
                # per-operation exceptions of the config file)
                # business rules the schema cannot express (a name already taken, a config
                # key the harvester refuses, ...) answer 400 to schema-valid requests
                "--exclude-checks",
                "positive_data_acceptance",
                "--generation-allow-x00",
                "false",
                "--max-examples",
                str(args.max_examples),
                "--max-time",
                str(args.max_time),
                "--seed",
                str(args.seed),
                "--workers",
                "2",
                "--request-timeout",
                "60",
                "--generation-database",
                "none",
                "--suppress-health-check",
                "all",
                "-H",
                f"Authorization: Token {token}",
                *extra,
            ]
            return subprocess.run(cmd, cwd=tmp, env=env, timeout=args.max_time + 600).returncode
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
