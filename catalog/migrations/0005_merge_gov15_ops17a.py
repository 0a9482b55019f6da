"""Merge of two branches' catalog migrations (curated values, cancelled runs)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0004_gov15_curated"),
        ("catalog", "0004_ops17a_run_cancelled"),
    ]

    operations = []
