"""Webhook secrets sealed at rest: a wider column (a Fernet token is longer than the
secret) and existing clear secrets sealed when ``MESH_SECRETS_KEYS`` is set."""

from django.db import migrations, models


def seal_existing(apps, schema_editor):
    from notifications import hooksecrets

    Webhook = apps.get_model("notifications", "Webhook")
    for hook in Webhook.objects.exclude(secret="").only("id", "secret"):
        sealed = hooksecrets.seal(hook.secret)
        if sealed != hook.secret:
            Webhook.objects.filter(pk=hook.pk).update(secret=sealed)


class Migration(migrations.Migration):
    dependencies = [("notifications", "0001_notify16_initial")]

    operations = [
        migrations.AlterField(
            model_name="webhook",
            name="secret",
            field=models.CharField(blank=True, default="", max_length=1000),
        ),
        migrations.RunPython(seal_existing, migrations.RunPython.noop),
    ]
