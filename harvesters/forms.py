"""Web forms of source management, the config part generated from each kind's model.

:func:`config_fields` turns a kind's pydantic config class
(:attr:`harvesters.base.Harvester.config_class`) into Django form fields, so a new source
kind gets its form for free: ``bool`` → check box, ``int``/``float`` → number,
``Literal`` → select, ``list[Literal]`` → check boxes, ``list[str]`` → one value per
line, ``str`` → text (a password box for secret keys, :func:`harvesters.secrets.
is_secret_key`), anything else (objects) → JSON. Each field's ``description`` is its help
text; required fields are those without a default. Field names are prefixed ``cfg-``.

:class:`SourceForm` adds name, description, owning team, enabled and the schedule. Its
:meth:`SourceForm.config` rebuilds the config dict; the rules (unmasking secrets,
validation, confined paths, schedules) are :mod:`harvesters.services`'.
"""

import types
import typing
import zoneinfo

from django import forms
from pydantic_core import PydanticUndefined

from harvesters.registry import harvester_class
from harvesters.schedules import PERIODS
from harvesters.secrets import is_secret_key

PREFIX = "cfg-"
_INPUT = {"class": "input"}
_AREA = {"class": "input input--area", "rows": 3}
_SELECT = {"class": "input input--select"}
_CHECK = {"class": "check"}


def _unwrap(annotation) -> tuple[object, bool]:
    """``(annotation without None, optional?)``."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return annotation, False


def _shape(annotation) -> tuple[str, list]:
    """``(shape, choices)``: shape one of bool, int, float, str, choice, choices, lines,
    json."""
    base, _ = _unwrap(annotation)
    origin = typing.get_origin(base)
    if base is bool:
        return "bool", []
    if base is int:
        return "int", []
    if base is float:
        return "float", []
    if base is str:
        return "str", []
    if origin is typing.Literal:
        return "choice", list(typing.get_args(base))
    if origin is list:
        (item,) = typing.get_args(base) or (str,)
        if typing.get_origin(item) is typing.Literal:
            return "choices", list(typing.get_args(item))
        if item is str:
            return "lines", []
    return "json", []


def _default(info):
    if info.default_factory is not None:
        return info.default_factory()
    return None if info.default is PydanticUndefined else info.default


def config_fields(kind: str) -> dict[str, forms.Field]:
    """``{"cfg-<key>": form field}`` for every key of ``kind``'s config model."""
    fields: dict[str, forms.Field] = {}
    for name, info in harvester_class(kind).config_class.model_fields.items():
        shape, choices = _shape(info.annotation)
        default = _default(info)
        common = {
            "label": name.replace("_", " "),
            "help_text": info.description or "",
            "required": info.is_required() and shape != "bool",
        }
        if shape == "bool":
            field = forms.BooleanField(
                initial=bool(default), widget=forms.CheckboxInput(_CHECK), **common
            )
        elif shape == "int":
            field = forms.IntegerField(initial=default, widget=forms.NumberInput(_INPUT), **common)
        elif shape == "float":
            field = forms.FloatField(initial=default, widget=forms.NumberInput(_INPUT), **common)
        elif shape == "choice":
            options = [("", "(default)")] if not info.is_required() else []
            options += [(c, c) for c in choices]
            field = forms.ChoiceField(
                choices=options, initial=default, widget=forms.Select(attrs=_SELECT), **common
            )
        elif shape == "choices":
            field = forms.MultipleChoiceField(
                choices=[(c, c) for c in choices],
                initial=default or [],
                widget=forms.CheckboxSelectMultiple(attrs=_CHECK),
                **{**common, "required": False},
            )
        elif shape == "lines":
            common["help_text"] = (common["help_text"] + " One per line.").strip()
            field = forms.CharField(
                initial="\n".join(default or []), widget=forms.Textarea(_AREA), **common
            )
        elif shape == "str":
            widget = (
                forms.PasswordInput(attrs=_INPUT, render_value=True)
                if is_secret_key(name)
                else forms.TextInput(_INPUT)
            )
            field = forms.CharField(initial=default, widget=widget, strip=True, **common)
        else:
            common["help_text"] = (common["help_text"] + " JSON.").strip()
            field = forms.JSONField(initial=default, widget=forms.Textarea(_AREA), **common)
        field.config_key, field.config_shape, field.config_default = name, shape, default
        fields[PREFIX + name] = field
    return fields


def initial_config(config: dict) -> dict:
    """Form initial values (``cfg-`` names) of a stored config, its secrets already
    masked by the caller (:func:`harvesters.secrets.mask_config`)."""
    return {PREFIX + key: value for key, value in (config or {}).items()}


class SourceForm(forms.Form):
    """A source's settings, its schedule and (``cfg-`` fields) its kind's config."""

    name = forms.SlugField(
        max_length=100,
        widget=forms.TextInput(_INPUT),
        help_text="Letters, digits, - and _; names the source in URLs, filters and commands.",
    )
    description = forms.CharField(required=False, widget=forms.Textarea(_AREA))
    owner_team = forms.SlugField(
        max_length=100,
        required=False,
        label="owning team",
        widget=forms.TextInput(_INPUT),
        help_text="Slug of the team whose members may change, harvest and delete it "
        "(see Teams). Staff manage every source.",
    )
    enabled = forms.BooleanField(
        required=False,
        initial=True,
        widget=forms.CheckboxInput(_CHECK),
        help_text="Disabled sources are never harvested, by schedule or by hand.",
    )
    schedule_type = forms.ChoiceField(
        label="schedule",
        choices=[
            ("", "none (harvest on demand)"),
            ("cron", "cron expression"),
            ("interval", "interval"),
        ],
        required=False,
        widget=forms.Select(attrs=_SELECT),
    )
    cron = forms.CharField(
        required=False,
        widget=forms.TextInput({**_INPUT, "placeholder": "30 3 * * 1-5"}),
        help_text="minute hour day-of-month month day-of-week, e.g. 30 3 * * 1-5 (03:30 on weekdays).",
    )
    timezone = forms.CharField(
        required=False,
        initial="UTC",
        widget=forms.TextInput({**_INPUT, "list": "timezones"}),
        help_text="Time zone of the cron expression, e.g. Europe/Paris.",
    )
    every = forms.IntegerField(required=False, min_value=1, widget=forms.NumberInput(_INPUT))
    period = forms.ChoiceField(
        required=False,
        choices=[(p, p) for p in PERIODS],
        initial="hours",
        widget=forms.Select(attrs=_SELECT),
    )

    SCHEDULE_FIELDS = ("schedule_type", "cron", "timezone", "every", "period")

    def __init__(self, *args, kind: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.fields.update(config_fields(kind))
        for name, field in self.fields.items():
            if name.startswith(PREFIX) and field.config_shape == "lines":
                value = self.initial.get(name)
                if isinstance(value, list):
                    self.initial[name] = "\n".join(value)

    def config_bound_fields(self) -> list:
        """The bound ``cfg-`` fields, in the model's order."""
        return [self[name] for name in self.fields if name.startswith(PREFIX)]

    def settings_bound_fields(self) -> list:
        """Name, description, owning team, enabled."""
        return [self[n] for n in ("name", "description", "owner_team", "enabled")]

    def schedule_bound_fields(self) -> list:
        """The schedule's fields."""
        return [self[n] for n in self.SCHEDULE_FIELDS]

    def config(self, stored: dict | None = None) -> dict:
        """The config dict from the cleaned ``cfg-`` fields: empty values are left out
        (the model's default applies), check boxes only when they differ from the
        default or the stored config has them."""
        stored = stored or {}
        config: dict = {}
        for name, field in self.fields.items():
            if not name.startswith(PREFIX):
                continue
            key, shape = field.config_key, field.config_shape
            value = self.cleaned_data.get(name)
            if shape == "bool":
                if value != bool(field.config_default) or key in stored:
                    config[key] = bool(value)
                continue
            if shape == "lines":
                value = [v.strip() for v in (value or "").splitlines() if v.strip()]
            if value in (None, "", [], {}):
                continue
            if value == field.config_default and key not in stored:
                continue  # the model's default applies
            config[key] = value
        return config

    def schedule(self) -> dict | None:
        """The schedule as :func:`harvesters.schedules.parse_schedule` reads it."""
        data = self.cleaned_data
        if data.get("schedule_type") == "cron":
            return {"cron": data.get("cron") or "", "timezone": data.get("timezone") or "UTC"}
        if data.get("schedule_type") == "interval":
            return {"every": data.get("every") or "", "period": data.get("period") or "hours"}
        return None

    def add_problems(self, errors: dict[str, list[str]]) -> None:
        """Show :class:`harvesters.services.SourceProblem` errors on the fields they
        name (``config`` messages on the named ``cfg-`` field when there is one)."""
        for key, messages in errors.items():
            for message in messages:
                self.add_error(self._field_for(key, message), message)

    def _field_for(self, key: str, message: str) -> str | None:
        if key == "schedule":
            for name in ("cron", "timezone", "every", "period"):
                if message.startswith(f"schedule.{name}"):
                    return name
            return "schedule_type"
        if key == "config":
            for name in self.fields:
                if name.startswith(PREFIX):
                    bare = name[len(PREFIX) :]
                    if (
                        f"'{bare}'" in message
                        or message.startswith(f"{bare}:")
                        or (f"config.{bare}" in message)
                    ):
                        return name
            return None
        return key if key in self.fields else None


def schedule_initial(schedule: dict | None) -> dict:
    """Form initial values of a stored schedule (:func:`harvesters.schedules.describe`)."""
    if not schedule:
        return {"schedule_type": ""}
    if schedule.get("cron"):
        return {"schedule_type": "cron", "cron": schedule["cron"], "timezone": schedule["timezone"]}
    return {"schedule_type": "interval", "every": schedule["every"], "period": schedule["period"]}


def time_zones() -> list[str]:
    """Every IANA time zone name, sorted (the time zone field's suggestions)."""
    return sorted(zoneinfo.available_timezones())
