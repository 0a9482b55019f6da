"""Merge of two branches' catalog migrations (hidden owners, removed columns)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0006_gov15b_ownership_hidden"),
        ("catalog", "0006_hist13_field_removed_at"),
    ]

    operations = []
