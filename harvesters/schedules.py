"""Source schedules, stored with django-celery-beat.

A source has at most one schedule: a cron expression (five fields, ``minute hour
day-of-month month day-of-week``, in a time zone) or an interval (``every`` n
``period``: seconds, minutes, hours or days). It is one
:class:`django_celery_beat.models.PeriodicTask` named ``mesh-harvest-source-<id>`` that
sends the task ``harvesters.scheduled_harvest`` (:mod:`harvesters.tasks`) with kwargs
``{"source_id", "expire_seconds"}``; ``celery beat`` with the
``DatabaseScheduler`` (``CELERY_BEAT_SCHEDULER``) picks changes up without a restart.

The message expires after ``MESH_SCHEDULE_EXPIRE_SECONDS``; the task works out when beat
sent it from that expiry and does nothing when the source already has a run started
since then, or a run still queued or running: ticks missed while the workers were down
run once when they come back, and a schedule never starts a second run of a source.

The shape the API and pages use (:func:`parse_schedule`, :func:`schedule_of`)::

    {"cron": "0 3 * * *", "timezone": "Europe/Paris"}
    {"every": 6, "period": "hours"}
    # read-only, added on output: "next_run_at", "last_run_at" (ISO 8601), "enabled"
"""

import json
import zoneinfo
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.utils import timezone
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask
from django_celery_beat.validators import crontab_validator

from catalog.models import Source

TASK = "harvesters.scheduled_harvest"
PERIODS = ("seconds", "minutes", "hours", "days")
KEYS = ("cron", "timezone", "every", "period")
READ_ONLY_KEYS = ("next_run_at", "last_run_at", "enabled")


class ScheduleError(ValueError):
    """A schedule that does not validate; ``str()`` names the key and the reason, e.g.
    ``"schedule.timezone: unknown time zone 'Mars/Olympus'"``."""


@dataclass(frozen=True)
class ScheduleSpec:
    """A validated schedule: ``cron`` (5 fields) and ``timezone``, or ``every`` and
    ``period``."""

    cron: str = ""
    timezone: str = "UTC"
    every: int = 0
    period: str = ""

    def as_dict(self) -> dict:
        """The API shape (without the read-only keys)."""
        if self.cron:
            return {"cron": self.cron, "timezone": self.timezone}
        return {"every": self.every, "period": self.period}


def task_name(source_id: int) -> str:
    """Name of the PeriodicTask of source ``source_id``."""
    return f"mesh-harvest-source-{source_id}"


def _timezone(value) -> str:
    name = str(value or settings.TIME_ZONE).strip()
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(f"schedule.timezone: unknown time zone '{name}'") from None
    return name


def parse_schedule(data) -> ScheduleSpec | None:
    """Validate a schedule given as a dict (see the module docstring); ``None`` or ``{}``
    means no schedule. Read-only keys sent back are ignored.

    Raises :class:`ScheduleError` naming the key: unknown keys, both or neither of
    ``cron`` and ``every``, an invalid cron expression, an unknown time zone, a period
    not in :data:`PERIODS`, an interval shorter than ``MESH_SCHEDULE_MIN_SECONDS``.
    """
    if data in (None, "", {}):
        return None
    if not isinstance(data, dict):
        raise ScheduleError('schedule: expected an object such as {"cron": "0 3 * * *"}')
    unknown = sorted(set(data) - set(KEYS) - set(READ_ONLY_KEYS))
    if unknown:
        raise ScheduleError(f"schedule: unknown key '{unknown[0]}'; known: {', '.join(KEYS)}")
    cron = str(data.get("cron") or "").strip()
    every = data.get("every")
    if cron and every not in (None, ""):
        raise ScheduleError("schedule: give either 'cron' or 'every', not both")
    if cron:
        tz = _timezone(data.get("timezone"))
        fields = cron.split()
        if len(fields) != 5:
            raise ScheduleError(
                f"schedule.cron: invalid cron expression '{cron}': expected 5 fields "
                "(minute hour day-of-month month day-of-week), got "
                f"{len(fields)}"
            )
        try:
            crontab_validator(" ".join(fields))
        except ValidationError as exc:
            reason = "; ".join(str(m) for m in exc.messages)
            raise ScheduleError(
                f"schedule.cron: invalid cron expression '{cron}': {reason}"
            ) from None
        return ScheduleSpec(cron=" ".join(fields), timezone=tz)
    if every in (None, ""):
        raise ScheduleError("schedule: give 'cron' (with 'timezone') or 'every' and 'period'")
    if data.get("timezone"):
        _timezone(data.get("timezone"))  # named wrongly is still an error
    try:
        every = int(every)
    except (TypeError, ValueError):
        raise ScheduleError(f"schedule.every: '{every}' is not a whole number") from None
    period = str(data.get("period") or "minutes")
    if period not in PERIODS:
        raise ScheduleError(f"schedule.period: '{period}' is not one of {', '.join(PERIODS)}")
    seconds = timedelta(**{period: every}).total_seconds()
    least = int(getattr(settings, "MESH_SCHEDULE_MIN_SECONDS", 60))
    if every < 1 or seconds < least:
        raise ScheduleError(
            f"schedule.every: {every} {period} is shorter than the least interval, "
            f"{least} seconds (MESH_SCHEDULE_MIN_SECONDS)"
        )
    return ScheduleSpec(every=every, period=period)


def _schedule_row(spec: ScheduleSpec) -> dict:
    if spec.cron:
        minute, hour, dom, month, dow = spec.cron.split()
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute=minute,
            hour=hour,
            day_of_month=dom,
            month_of_year=month,
            day_of_week=dow,
            timezone=zoneinfo.ZoneInfo(spec.timezone),
        )
        return {"crontab": crontab, "interval": None}
    interval, _ = IntervalSchedule.objects.get_or_create(every=spec.every, period=spec.period)
    return {"interval": interval, "crontab": None}


def save_schedule(source: Source, spec: ScheduleSpec | None) -> PeriodicTask | None:
    """Make ``source``'s PeriodicTask match ``spec`` (delete it for ``None``); enabled
    when the source is. A changed schedule starts counting from now."""
    name = task_name(source.pk)
    if spec is None:
        PeriodicTask.objects.filter(name=name).delete()
        return None
    task = PeriodicTask.objects.filter(name=name).first()
    before = schedule_spec(task) if task else None
    expire = int(getattr(settings, "MESH_SCHEDULE_EXPIRE_SECONDS", 7 * 86400))
    fields = {
        "task": TASK,
        "kwargs": json.dumps({"source_id": source.pk, "expire_seconds": expire}),
        "expire_seconds": expire,
        "enabled": bool(source.enabled),
        "description": f"harvest source {source.name} ({spec.cron or spec.every})",
        **_schedule_row(spec),
    }
    if task is None:
        return PeriodicTask.objects.create(name=name, **fields)
    for key, value in fields.items():
        setattr(task, key, value)
    if before != spec:
        task.last_run_at = None  # beat counts the new schedule from now
    task.save()
    return task


def sync_enabled(source: Source) -> None:
    """Enable or disable ``source``'s schedule with the source (save() so that beat
    notices the change)."""
    task = PeriodicTask.objects.filter(name=task_name(source.pk)).first()
    if task is not None and task.enabled != bool(source.enabled):
        task.enabled = bool(source.enabled)
        task.save()


def schedule_spec(task: PeriodicTask) -> ScheduleSpec | None:
    """The :class:`ScheduleSpec` a PeriodicTask stands for (None for other kinds)."""
    if task.crontab_id:
        c = task.crontab
        cron = f"{c.minute} {c.hour} {c.day_of_month} {c.month_of_year} {c.day_of_week}"
        return ScheduleSpec(cron=cron, timezone=str(c.timezone))
    if task.interval_id:
        return ScheduleSpec(every=task.interval.every, period=task.interval.period)
    return None


def next_run_at(task: PeriodicTask, now: datetime | None = None) -> datetime | None:
    """When beat will next send ``task`` (aware, UTC), None when it is disabled.

    Cron: the next matching minute in the schedule's time zone. Interval: the last
    send (or the last change) plus whole intervals, the first one after now."""
    if not task.enabled:
        return None
    now = now or timezone.now()
    spec = schedule_spec(task)
    if spec is None:
        return None
    if spec.cron:
        tz = zoneinfo.ZoneInfo(spec.timezone)
        local_now = now.astimezone(tz)
        start, ends_in, _ = task.crontab.schedule.remaining_delta(local_now)
        due = (start + ends_in).replace(second=0, microsecond=0)
        return due.astimezone(zoneinfo.ZoneInfo("UTC"))
    step = timedelta(**{spec.period: spec.every})
    last = task.last_run_at or task.date_changed or now
    due = last + step
    if due < now:
        missed = (now - due) // step + 1
        due = due + missed * step
    return due


def describe(task: PeriodicTask, now: datetime | None = None) -> dict:
    """The API shape of a source's schedule, with ``next_run_at``, ``last_run_at``
    (beat's last send, or null) and ``enabled``."""
    spec = schedule_spec(task)
    data = spec.as_dict() if spec else {}
    data.update(
        next_run_at=next_run_at(task, now),
        last_run_at=task.last_run_at,
        enabled=task.enabled,
    )
    return data


def schedule_of(source: Source) -> dict | None:
    """:func:`describe` of ``source``'s schedule, or None when it has none."""
    task = (
        PeriodicTask.objects.select_related("crontab", "interval")
        .filter(name=task_name(source.pk))
        .first()
    )
    return describe(task) if task else None


def schedules_for(sources) -> dict[int, dict]:
    """``{source id: describe(task)}`` for many sources in one query."""
    names = {task_name(s.pk): s.pk for s in sources}
    tasks = PeriodicTask.objects.select_related("crontab", "interval").filter(name__in=names)
    now = timezone.now()
    return {names[t.name]: describe(t, now) for t in tasks}


def fired_at(expires, expire_seconds) -> datetime | None:
    """When beat sent a scheduled message, from its ``expires`` (ISO text or datetime,
    as Celery gives it in ``task.request.expires``) minus ``expire_seconds``; None when
    either is unknown."""
    if not expires or not expire_seconds:
        return None
    if isinstance(expires, str):
        try:
            expires = datetime.fromisoformat(expires)
        except ValueError:
            return None
    if timezone.is_naive(expires):
        expires = timezone.make_aware(expires, zoneinfo.ZoneInfo("UTC"))
    return expires - timedelta(seconds=float(expire_seconds))


@receiver(post_delete, sender=Source, dispatch_uid="harvesters-source-schedule-delete")
def delete_schedule(sender, instance, **kwargs) -> None:
    """A deleted source takes its schedule with it."""
    PeriodicTask.objects.filter(name=task_name(instance.pk)).delete()
