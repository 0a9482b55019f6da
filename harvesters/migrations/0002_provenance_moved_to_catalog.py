"""Drop Source, HarvestRun and AssetSource from the harvesters app's state.

They now belong to ``catalog`` (``catalog.0002``) with the same tables and rows. The
content types move too, so admin log entries and permissions (``harvesters.add_source``
becomes ``catalog.add_source``) keep pointing at the same rows.
"""

from django.db import migrations

MOVED = ("source", "harvestrun", "assetsource")


def move_content_types(apps, schema_editor, old="harvesters", new="catalog"):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    for model in MOVED:
        moving = ContentType.objects.using(db).filter(app_label=old, model=model).first()
        if moving is None:
            continue
        # a content type created under the new label in the meantime has only the
        # default permissions: the old one (with its history) wins
        ContentType.objects.using(db).filter(app_label=new, model=model).delete()
        moving.app_label = new
        moving.save(update_fields=["app_label"])


def move_content_types_back(apps, schema_editor):
    move_content_types(apps, schema_editor, old="catalog", new="harvesters")


class Migration(migrations.Migration):

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('catalog', '0002_provenance_models'),
        ('lineage', '0004_provenance_in_catalog'),
        ('harvesters', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.DeleteModel(name='AssetSource'),
                migrations.DeleteModel(name='HarvestRun'),
                migrations.DeleteModel(name='Source'),
            ],
        ),
        migrations.RunPython(move_content_types, move_content_types_back),
    ]
