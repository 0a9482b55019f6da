"""``manage.py quickstart``: harvest the sample sources, print a summary, serve the UI."""

import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils.module_loading import import_string

from catalog.local_keys import local_secret_key, uses_dev_key
from catalog.outbox import process_outbox

COLUMNS = ("source", "status", "assets", "fields", "lineage_edges", "warnings", "errors", "seconds")


class Command(BaseCommand):
    """Run every step of ``settings.MESH_QUICKSTART_STEPS`` against the sample data
    (``MESH_SAMPLES_DIR``), print one summary row per source, then serve on
    127.0.0.1:8000 unless ``--no-serve``."""

    help = "Harvest the sample sources and serve the web catalog."

    def add_arguments(self, parser):
        parser.add_argument("--no-serve", action="store_true", help="harvest and exit")
        parser.add_argument(
            "--port", type=int, default=None, help="port to serve on 127.0.0.1 (default 8000)"
        )
        parser.add_argument("--addrport", default="127.0.0.1:8000", help="where to serve")

    def handle(self, no_serve=False, addrport="127.0.0.1:8000", port=None, **options):
        if port is not None:
            addrport = f"127.0.0.1:{port}"
        call_command("migrate", interactive=False, verbosity=0)
        samples = settings.MESH_SAMPLES_DIR
        if not samples.is_dir():
            self.stderr.write(
                self.style.ERROR(
                    f"Sample datasets not found at {samples}.\n"
                    "Set MESH_SAMPLES_DIR to the folder holding chinook/, jaffle_shop/, openlineage/ "
                    "(the project's ../shared/datasets), or harvest your own database:\n"
                    "  python manage.py harvest mydb --kind sql --config "
                    '\'{"url": "postgresql+psycopg://user@host:5432/db"}\''
                )
            )
        else:
            # before the steps, so the sample products' team members can link to it
            self._ensure_demo_user()
            started = time.monotonic()
            rows = []
            for path in settings.MESH_QUICKSTART_STEPS:
                step = import_string(path)
                try:
                    rows.extend(step(samples, self.stdout))
                except Exception as exc:  # one broken step must not hide the others
                    rows.append(
                        {
                            "source": path.rsplit(".", 1)[-1],
                            "status": "failed",
                            "errors": 1,
                            "note": f"{type(exc).__name__}: {exc}",
                        }
                    )
            process_outbox()  # feed search and graph before serving (quietly)
            self._print_table([r for r in rows if not r.get("section")])
            self._print_problems(rows, addrport)
            for r in rows:
                if r.get("section") == "data products":
                    self.stdout.write(
                        f"data products: {r.get('status')}, {r.get('assets', 0)} output ports "
                        f"bound to harvested assets, {r.get('fields', 0)} SLOs, "
                        f"{r.get('warnings', 0)} warnings, {r.get('errors', 0)} invalid "
                        f"descriptors (http://{addrport}/products/)"
                    )
                elif r.get("section"):
                    note = f", {r['note']}" if r.get("note") else ""
                    self.stdout.write(f"{r['section']}: {r.get('status')}{note}")
            self.stdout.write(f"total {time.monotonic() - started:.1f}s")
        self._ensure_demo_user()
        if not no_serve:
            if uses_dev_key(settings):  # the server refuses the development key
                settings.SECRET_KEY = local_secret_key(settings.VAR_DIR)
            self.stdout.write(f"Serving the catalog on http://{addrport}/ (Ctrl+C to stop)")
            call_command("runserver", addrport, use_reloader=False)

    def _print_table(self, rows: list[dict]) -> None:
        widths = {
            c: max(len(c), *(len(str(r.get(c, ""))) for r in rows)) if rows else len(c)
            for c in COLUMNS
        }
        line = "  ".join(c.ljust(widths[c]) for c in COLUMNS)
        self.stdout.write(line)
        self.stdout.write("-" * len(line))
        for r in rows:
            self.stdout.write("  ".join(str(r.get(c, "")).ljust(widths[c]) for c in COLUMNS))
            if r.get("note"):
                self.stdout.write(self.style.ERROR(f"    {r['note']}"))

    def _print_problems(self, rows: list[dict], addrport: str, shown: int = 3) -> None:
        """Print the first ``shown`` warnings and errors of each source and where to
        read them all (the run page)."""
        for r in rows:
            problems = r.get("problems") or []
            if not problems:
                continue
            where = f" (all: http://{addrport}/runs/{r['run_id']}/)" if r.get("run_id") else ""
            self.stdout.write(f"{r['source']}: {len(problems)} warning(s)/error(s){where}")
            for text in problems[:shown]:
                self.stdout.write(self.style.WARNING(f"    {text}"))
            if len(problems) > shown:
                self.stdout.write(f"    ... and {len(problems) - shown} more")

    def _ensure_demo_user(self) -> None:
        """Create the local demo admin ``admin``/``admin`` if the catalog has no user yet."""
        users = get_user_model()
        if not users.objects.exists():
            users.objects.create_superuser("admin", "admin@example.com", "admin")
            self.stdout.write("Created demo user admin / admin (local demo only; change it).")
