"""The Schemathesis command line, with ``ast.parse`` taken by one thread at a time.

``schema_fuzz.py`` runs Schemathesis with ``--workers 2`` (threads). Hypothesis describes
the filter lambdas it is given by parsing their source with :func:`ast.parse`; on CPython
3.11 the AST constructor's recursion counter is shared interpreter state, so two threads
parsing at once may fail with ``SystemError: AST constructor recursion depth mismatch``
(CPython gh-106905; pytest-dev/pytest#10763), which Schemathesis reports as a run error of
whichever operation it was generating. Parsing is a small part of the run, so serializing
it costs nothing measurable and keeps both workers.

Usage: ``python tests/schemathesis_cli.py run <schema url> [options]`` (as ``schemathesis``).
"""

import ast
import sys
import threading

_PARSE = ast.parse
_LOCK = threading.RLock()


def _parse_one_at_a_time(*args, **kwargs):
    """:func:`ast.parse`, under a process-wide lock."""
    with _LOCK:
        return _PARSE(*args, **kwargs)


def main() -> int:
    """Run the Schemathesis CLI with the arguments of this process."""
    ast.parse = _parse_one_at_a_time
    from schemathesis.cli import schemathesis

    sys.argv[0] = "schemathesis"
    return schemathesis()


if __name__ == "__main__":
    sys.exit(main())
