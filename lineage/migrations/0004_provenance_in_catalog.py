"""Point the lineage foreign keys at the provenance models' new home, ``catalog``.

State only: the referenced tables did not change (see ``catalog.0002``).
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('catalog', '0002_provenance_models'),
        ('lineage', '0003_drop_redundant_edge_indexes'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.AlterField(
                    model_name='lineageedge',
                    name='origin',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='lineage_edges', to='catalog.source'),
                ),
                migrations.AlterField(
                    model_name='lineageedge',
                    name='run',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, to='catalog.harvestrun'),
                ),
                migrations.AlterField(
                    model_name='fieldlineageedge',
                    name='origin',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='field_edges', to='catalog.source'),
                ),
                migrations.AlterField(
                    model_name='fieldlineageedge',
                    name='run',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, to='catalog.harvestrun'),
                ),
                migrations.AlterField(
                    model_name='openlineageevent',
                    name='origin',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='openlineage_events', to='catalog.source'),
                ),
            ],
        ),
    ]
