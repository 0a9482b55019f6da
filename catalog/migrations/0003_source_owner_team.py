from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0002_provenance_models"),
    ]

    operations = [
        migrations.AddField(
            model_name="source",
            name="owner_team",
            field=models.SlugField(blank=True, default="", max_length=100),
        ),
    ]
