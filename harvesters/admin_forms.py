"""The admin's source form: secrets masked, stored secrets kept, paths confined."""

from django import forms

from catalog.models import Source
from harvesters.secrets import mask_config
from harvesters.services import SourceProblem, clean_config


class SourceAdminForm(forms.ModelForm):
    """Shows ``config`` with secrets as ``********``; saving the mask keeps the stored
    secret; the config is validated for its kind and confined to
    ``MESH_SOURCE_PATH_ROOTS`` (errors name the key)."""

    class Meta:
        model = Source
        fields = ["name", "kind", "config", "description", "enabled", "owner_team"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["config"] = mask_config(self.instance.config)

    def clean(self) -> dict:
        """Unmask, validate and confine ``config``."""
        cleaned = super().clean()
        kind, config = cleaned.get("kind"), cleaned.get("config")
        if kind is None or config is None:
            return cleaned
        stored = self.instance.config if self.instance.pk else None
        try:
            cleaned["config"] = clean_config(kind, config, stored)
        except SourceProblem as exc:
            for messages in exc.errors.values():
                for message in messages:
                    self.add_error("config", message)
        return cleaned
