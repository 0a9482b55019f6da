"""The admin's source form: secrets masked, stored secrets kept, paths confined."""

from django import forms

from catalog.models import Source
from harvesters.base import ConfigError
from harvesters.paths import path_problems
from harvesters.registry import validate_source_config
from harvesters.secrets import SecretError, mask_config, merge_masked


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
        try:
            if self.instance.pk:
                config = merge_masked(config, self.instance.config)
            cleaned["config"] = validate_source_config(kind, config)
        except (ConfigError, SecretError) as exc:
            self.add_error("config", str(exc))
            return cleaned
        for problem in path_problems(kind, cleaned["config"]):
            self.add_error("config", problem)
        return cleaned
