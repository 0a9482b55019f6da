"""Forms of the access pages (validation itself lives in :mod:`access.services`)."""

from django import forms

from access.models import Level


class RequestForm(forms.Form):
    """Request access: purpose, level, end date, optional database role."""

    purpose = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    level = forms.ChoiceField(choices=Level.choices, initial=Level.READ)
    end_date = forms.CharField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    principal = forms.CharField(
        required=False,
        label="Database role or account (optional)",
        max_length=128,
    )
