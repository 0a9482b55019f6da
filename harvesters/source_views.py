"""Source management pages: create, edit, test connection, enable/disable, delete.

For staff and the members of a source's owning team (:mod:`harvesters.access`); the
rules are :mod:`harvesters.services`' (the API uses the same). Session-authenticated
POSTs with a CSRF token; anonymous visitors are sent to sign in, others get 403.

- ``GET /sources/new``: pick a kind; ``GET/POST /sources/new?kind=<kind>``: its form
  (generated from the kind's config model, :mod:`harvesters.forms`).
- ``GET/POST /sources/<id>/edit``: secrets shown as ``********``; sending the mask back
  keeps the stored secret.
- Both forms' **Test connection** posts ``action=test``: a read-only probe bounded by
  ``MESH_PROBE_TIMEOUT_SECONDS`` (:mod:`harvesters.probe`); HTMX gets the result fragment,
  a plain post the form again with the result. Nothing is saved.
- ``POST /sources/<id>/enabled`` (``enabled=1|0``), ``GET/POST /sources/<id>/delete``
  (the confirmation spells out what happens to the assets; 409 while a run is going).
"""

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from catalog.models import Source
from harvesters.access import NOT_ALLOWED, can_manage_source
from harvesters.forms import SourceForm, initial_config, schedule_initial, time_zones
from harvesters.probe import ProbeResult
from harvesters.registry import HARVESTERS, harvester_class
from harvesters.schedules import schedule_of
from harvesters.secrets import mask_config
from harvesters.services import (
    SourceProblem,
    clean_config,
    clean_schedule,
    delete_source,
    deletion_summary,
    probe_source,
    save_source,
    set_enabled,
)


def _forbidden(request: HttpRequest) -> HttpResponse:
    return render(request, "harvesters/forbidden.html", {"message": NOT_ALLOWED}, status=403)


def _kinds() -> list[dict]:
    """Every kind with the first line of its config model's description."""
    rows = []
    for kind in sorted(HARVESTERS):
        cls = harvester_class(kind)
        doc = (cls.config_class.__doc__ or cls.__doc__ or "").strip().splitlines()
        rows.append({"kind": kind, "summary": doc[0] if doc else ""})
    return rows


def source_new(request: HttpRequest) -> HttpResponse:
    """``/sources/new[?kind=]``: the kind picker, then the kind's form."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    kind = request.GET.get("kind", "")
    if kind not in HARVESTERS:
        return render(request, "harvesters/source_kinds.html", {"kinds": _kinds()})
    return _form_page(request, kind, None)


def source_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """``/sources/<id>/edit``: the source's form, secrets masked."""
    source = get_object_or_404(Source, pk=pk)
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not can_manage_source(request.user, source):
        return _forbidden(request)
    return _form_page(request, source.kind, source)


def _initial(source: Source | None) -> dict:
    if source is None:
        return {"enabled": True, "timezone": "UTC", "period": "hours"}
    return {
        "name": source.name,
        "description": source.description,
        "owner_team": source.owner_team,
        "enabled": source.enabled,
        "timezone": "UTC",
        "period": "hours",
        **schedule_initial(schedule_of(source)),
        **initial_config(mask_config(source.config)),
    }


def _form_page(request: HttpRequest, kind: str, source: Source | None) -> HttpResponse:
    initial = _initial(source)
    probe: ProbeResult | None = None
    if request.method != "POST":
        form = SourceForm(kind=kind, initial=initial)
        return _render_form(request, form, source, probe)
    form = SourceForm(request.POST, kind=kind, initial=initial)
    testing = request.POST.get("action") == "test" or request.GET.get("probe") == "1"
    htmx = request.headers.get("HX-Request") == "true"
    stored = source.config if source is not None else None
    if not form.is_valid():
        if testing and htmx:
            probe = ProbeResult(False, "Correct the fields marked in the form first.")
            return render(request, "harvesters/_probe_result.html", {"probe": probe})
        return _render_form(request, form, source, probe, status=400)
    if (
        testing
        and source is None
        and not can_manage_source(request.user, owner_team=form.cleaned_data["owner_team"])
    ):
        probe = ProbeResult(False, NOT_ALLOWED + " Enter a team you are a member of.")
        if htmx:
            return render(request, "harvesters/_probe_result.html", {"probe": probe}, status=403)
        return _render_form(request, form, source, probe, status=403)
    if testing:
        probe = probe_source(kind, form.config(stored), stored=source)
        if htmx:
            return render(request, "harvesters/_probe_result.html", {"probe": probe})
        return _render_form(request, form, source, probe)
    data = form.cleaned_data
    if not can_manage_source(request.user, owner_team=data["owner_team"]):
        form.add_error(
            "owner_team",
            "You may only create or hand sources to teams you are a member of.",
        )
        return _render_form(request, form, source, probe, status=403)
    clash = Source.objects.filter(name=data["name"])
    if source is not None:
        clash = clash.exclude(pk=source.pk)
    if clash.exists():
        form.add_error("name", f"a source named '{data['name']}' already exists")
        return _render_form(request, form, source, probe, status=400)
    try:
        config = clean_config(kind, form.config(stored), stored)
        schedule = clean_schedule(form.schedule())
    except SourceProblem as exc:
        form.add_problems(exc.errors)
        return _render_form(request, form, source, probe, status=400)
    target = source or Source(kind=kind)
    target.name, target.description = data["name"], data["description"]
    target.owner_team, target.enabled, target.config = data["owner_team"], data["enabled"], config
    save_source(target, schedule)
    messages.success(request, f"Source {target.name} {'saved' if source else 'created'}.")
    return redirect(reverse("harvesters:sources") + f"#source-{target.name}")


def _render_form(request, form, source, probe, status: int = 200) -> HttpResponse:
    push_only = not harvester_class(form.kind).stale_removal
    context = {
        "form": form,
        "source": source,
        "kind": form.kind,
        "probe": probe,
        "push_only": push_only,
        "time_zones": time_zones(),
        "title": f"Edit source {source.name}" if source else f"New {form.kind} source",
    }
    return render(request, "harvesters/source_form.html", context, status=status)


@require_POST
def source_enabled(request: HttpRequest, pk: int) -> HttpResponse:
    """``POST /sources/<id>/enabled`` with ``enabled=1`` or ``0``: enable or disable
    the source and its schedule."""
    source = get_object_or_404(Source, pk=pk)
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("harvesters:sources"))
    if not can_manage_source(request.user, source):
        return _forbidden(request)
    set_enabled(source, request.POST.get("enabled") == "1")
    state = "enabled" if source.enabled else "disabled (its schedule is paused)"
    messages.success(request, f"Source {source.name} {state}.")
    return redirect(reverse("harvesters:sources") + f"#source-{source.name}")


def source_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """``GET /sources/<id>/delete``: what deleting does, to confirm; ``POST``: delete
    (409 page while a run is queued or running)."""
    source = get_object_or_404(Source, pk=pk)
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not can_manage_source(request.user, source):
        return _forbidden(request)
    summary = deletion_summary(source)
    context = {"source": source, "summary": summary, "refused": None}
    if request.method == "POST":
        try:
            delete_source(source)
        except SourceProblem as exc:
            context["refused"] = " ".join(exc.errors["detail"])
            return render(request, "harvesters/source_delete.html", context, status=exc.status)
        messages.success(
            request,
            f"Source {source.name} deleted; {summary['assets_removed']} asset(s) removed "
            "from the catalog.",
        )
        return redirect(reverse("harvesters:sources"))
    status = 409 if summary["active_run"] else 200
    return render(request, "harvesters/source_delete.html", context, status=status)
