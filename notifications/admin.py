"""Admin of subscriptions, events, deliveries, webhooks and incidents (writes to
incidents go through :mod:`notifications.incidents` from the pages and API)."""

from django import forms
from django.contrib import admin

from notifications import hooksecrets, urlguard
from notifications.models import (
    Delivery,
    Event,
    Incident,
    IncidentEntry,
    Preference,
    Subscription,
    Webhook,
)


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    """Subscriptions by target."""

    list_display = ("id", "user", "team", "target_kind", "target_id", "muted")
    list_filter = ("target_kind", "muted")


class WebhookForm(forms.ModelForm):
    """The webhook form: ``secret`` shows the mask; sending it back keeps the stored one."""

    secret = forms.CharField(
        required=False,
        max_length=hooksecrets.MAX_LENGTH,
        widget=forms.PasswordInput(render_value=True),
        help_text="Leave the mask to keep the stored secret.",
    )

    class Meta:
        model = Webhook
        fields = "__all__"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial["secret"] = hooksecrets.masked(self.instance.secret)

    def clean_url(self) -> str:
        """An http(s) URL reaching only allowed addresses (:mod:`notifications.urlguard`)."""
        value = self.cleaned_data.get("url", "")
        try:
            urlguard.check_url(value)
        except urlguard.UnsafeURL as exc:
            raise forms.ValidationError(f"{value}: {exc}") from None
        return value

    def clean_secret(self) -> str:
        """The new secret, or the stored one when the mask came back."""
        value = self.cleaned_data.get("secret", "")
        try:
            hooksecrets.check_input(value)
            return hooksecrets.merge(value, self.instance.secret)
        except hooksecrets.HookSecretError as exc:
            raise forms.ValidationError(str(exc)) from None


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin):
    """Webhooks (secret masked); the delivery log is under Deliveries."""

    form = WebhookForm
    list_display = ("name", "kind", "url", "user", "team", "enabled")


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    """The delivery log (read-only)."""

    list_display = ("id", "event", "channel", "recipient", "state", "attempts", "last_status")
    list_filter = ("channel", "state")
    readonly_fields = [f.name for f in Delivery._meta.fields]


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    """Events (read-only)."""

    list_display = ("id", "type", "title", "created_at", "fanned_out_at")
    list_filter = ("type",)
    readonly_fields = [f.name for f in Event._meta.fields]


class EntryInline(admin.TabularInline):
    """The timeline."""

    model = IncidentEntry
    extra = 0
    readonly_fields = ("at", "author", "kind", "text")


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    """Incidents with their timeline."""

    list_display = ("id", "title", "state", "severity", "cause", "opened_at")
    list_filter = ("state", "severity", "cause")
    inlines = [EntryInline]
    readonly_fields = ("episode", "impact", "opened_at", "acknowledged_at", "resolved_at")


admin.site.register(Preference)
