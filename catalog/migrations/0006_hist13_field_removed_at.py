"""Soft delete of columns (issue 13 part 5): ``Field.removed_at`` and the live-only
default manager (``Field.objects``; ``Field.all_objects`` sees every row)."""

import django.db.models.manager
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0005_merge_gov15_ops17a"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="field",
            options={"base_manager_name": "all_objects", "ordering": ["asset_id", "ordinal", "name"]},
        ),
        migrations.AlterModelManagers(
            name="field",
            managers=[
                ("objects", django.db.models.manager.Manager()),
                ("all_objects", django.db.models.manager.Manager()),
            ],
        ),
        migrations.AddField(
            model_name="field",
            name="removed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
