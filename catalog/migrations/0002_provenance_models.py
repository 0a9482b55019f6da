"""Move Source, HarvestRun and AssetSource from the harvesters app to the catalog.

State only: the tables keep their names (``harvesters_source``, ``harvesters_harvestrun``,
``harvesters_assetsource``) and rows; ``harvesters.0002`` removes the old state and moves
the content types, ``lineage.0004`` repoints the lineage foreign keys.
"""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('catalog', '0001_initial'),
        ('harvesters', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='Source',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.SlugField(max_length=100, unique=True)),
                        ('kind', models.CharField(max_length=32)),
                        ('config', models.JSONField(default=dict)),
                        ('description', models.TextField(blank=True, default='')),
                        ('enabled', models.BooleanField(default=True)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                    ],
                    options={
                        'db_table': 'harvesters_source',
                        'ordering': ['name'],
                    },
                ),
                migrations.CreateModel(
                    name='HarvestRun',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('status', models.CharField(choices=[('queued', 'Queued'), ('running', 'Running'), ('succeeded', 'Succeeded'), ('partial', 'Partial'), ('failed', 'Failed')], default='queued', max_length=16)),
                        ('started_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('ended_at', models.DateTimeField(blank=True, null=True)),
                        ('counts', models.JSONField(blank=True, default=dict)),
                        ('warnings', models.JSONField(blank=True, default=list)),
                        ('errors', models.JSONField(blank=True, default=list)),
                        ('progress', models.JSONField(blank=True, default=dict)),
                        ('removed_count', models.IntegerField(default=0)),
                        ('source', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='runs', to='catalog.source')),
                    ],
                    options={
                        'db_table': 'harvesters_harvestrun',
                        'ordering': ['-started_at', '-id'],
                    },
                ),
                migrations.CreateModel(
                    name='AssetSource',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('first_seen', models.DateTimeField(default=django.utils.timezone.now)),
                        ('last_seen', models.DateTimeField(default=django.utils.timezone.now)),
                        ('removed', models.BooleanField(default=False)),
                        ('asset', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='provenance', to='catalog.asset')),
                        ('last_run', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, to='catalog.harvestrun')),
                        ('source', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='asset_links', to='catalog.source')),
                    ],
                    options={
                        'db_table': 'harvesters_assetsource',
                        'constraints': [models.UniqueConstraint(fields=('asset', 'source'), name='asset_source_unique')],
                    },
                ),
    
            ],
        ),
    ]
