"""``manage.py scorecards [--snapshot]``: print every product's score and failing
policies; ``--snapshot`` also stores today's scores (the trend)."""

from django.core.management.base import BaseCommand

from governance.scorecards import all_scorecards, snapshot


class Command(BaseCommand):
    """Print scorecards; optionally store the day's snapshot."""

    help = "Print each data product's policy score; --snapshot stores today's scores."

    def add_arguments(self, parser):
        parser.add_argument("--snapshot", action="store_true", help="store today's scores")

    def handle(self, *args, **options):
        for card in all_scorecards():
            failing = [r["policy"] for r in card["results"] if r["passed"] is False]
            score = "n/a" if card["score"] is None else f"{card['score']:.0f}"
            self.stdout.write(f"{card['product']:<40} {score:>5}  {', '.join(failing)}")
        if options.get("snapshot"):
            self.stdout.write(f"stored {snapshot()} snapshot rows")
