"""Web pages of the harvesters: sources with their last runs, "Harvest now", run progress.

"Harvest now" is a session-authenticated POST with a CSRF token (the REST API's
``POST /api/v1/sources/<id>/harvest`` needs a token instead). It queues the harvest with
:func:`harvesters.tasks.enqueue_harvest` (a background thread in embedded mode, a Celery
worker otherwise) and returns at once; the page then polls the run's progress fragment.
"""

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import Count, Max, Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import escape
from django.views.decorators.http import require_POST

from catalog.models import HarvestRun, Source
from harvesters.access import can_manage_source
from harvesters.cancel import CancelRefused, cancel_run
from harvesters.guard import is_push_only, is_resumable
from harvesters.liveness import reap_lost_runs
from harvesters.models import RunChange
from harvesters.progress import progress_key
from harvesters.registry import HARVESTERS
from harvesters.schedules import schedules_for
from harvesters.services import RestoreError, removed_by_run, restore_run_assets
from harvesters.tasks import Refused, enqueue_harvest

RUNS_PER_SOURCE = 5
CHANGES_PER_PAGE = 100
ACTIVE = (HarvestRun.Status.QUEUED, HarvestRun.Status.RUNNING)


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def run_summary(run: HarvestRun) -> dict:
    """What the pages show of a run: ``{run, active, counts: [(kind, n)], seconds,
    progress: {done, total, stage}, percent}``; live progress comes from the cache
    while the run is active (the run row is only written when it ends)."""
    active = run.status in ACTIVE
    progress = dict(run.progress or {})
    if active:
        progress.update(cache.get(progress_key(run.id)) or {})
    counts = [(k.replace("_", " "), v) for k, v in (run.counts or {}).items() if k != "seconds"]
    # assets done of the total the harvester expects (records done when it has no total)
    done, total = progress.get("assets", progress.get("done")), progress.get("total")
    percent = round(100 * done / total) if done is not None and total else None
    return {
        "run": run,
        "active": active,
        "counts": counts,
        "seconds": run.duration_seconds,
        "progress": progress,
        "percent": percent,
    }


def pushed_summary(source: Source) -> dict | None:
    """``{events, last}`` of a push-only source: events received and when the newest
    came (None when the source has no such relation or nothing was received)."""
    events = getattr(source, "openlineage_events", None)
    if events is None:
        return None
    stats = events.aggregate(events=Count("id"), last=Max("received_at"))
    return stats if stats["events"] else None


def source_list(request: HttpRequest) -> HttpResponse:
    """``GET /sources/``: every source, its asset count and its last runs.

    Sources whose kind has no harvester (push sources such as OpenLineage events) get
    no "Harvest now" button."""
    reap_lost_runs()  # embedded mode has no beat: fail runs whose process is gone
    recent = HarvestRun.objects.order_by("-started_at", "-id")
    sources = list(
        Source.objects.annotate(
            asset_count=Count("asset_links", filter=Q(asset_links__removed=False))
        ).prefetch_related(Prefetch("runs", queryset=recent))
    )
    schedules = schedules_for(sources)
    rows = []
    for source in sources:
        runs = list(source.runs.all())[:RUNS_PER_SOURCE]
        rows.append(
            {
                "source": source,
                "harvestable": source.kind in HARVESTERS and not is_push_only(source),
                "pushed": pushed_summary(source) if is_push_only(source) else None,
                "can_harvest": can_manage_source(request.user, source),
                "runs": [run_summary(r) for r in runs],
                "active_run": next((r for r in runs if r.status in ACTIVE), None),
                "schedule": schedules.get(source.pk),
            }
        )
    return render(request, "harvesters/sources.html", {"rows": rows})


@require_POST
def harvest_now(request: HttpRequest, pk: int) -> HttpResponse:
    """``POST /sources/<id>/harvest`` (signed in, CSRF): queue a harvest of the source.

    HTMX requests get the run's progress fragment (202); plain form posts are
    redirected back to the sources page. Anonymous users are sent to sign in (403 for
    HTMX). 404 if the source does not exist.
    """
    source = get_object_or_404(Source, pk=pk)
    if not request.user.is_authenticated:
        if _is_htmx(request):
            return HttpResponse(
                '<p class="notice notice--error" role="alert">Sign in to harvest.</p>', status=403
            )
        return redirect_to_login(reverse("harvesters:sources"))
    if not can_manage_source(request.user, source):
        return HttpResponse(
            '<p class="notice notice--error" role="alert">Only staff or members of the '
            "source's owning team may harvest it.</p>",
            status=403,
        )
    try:  # under the source's start lock, as the schedules: never two runs at once
        run = enqueue_harvest(source)
    except Refused as exc:
        if _is_htmx(request):
            return HttpResponse(
                f'<p class="notice notice--error" role="alert">{escape(exc.body["detail"])}</p>',
                status=exc.status,
            )
        messages.error(request, exc.body["detail"])
        return redirect(reverse("harvesters:sources"))
    if _is_htmx(request):
        context = {**run_summary(run), "can_cancel": True}
        return render(request, "harvesters/_run_progress.html", context, status=202)
    return redirect(reverse("harvesters:sources") + f"#source-{source.name}")


def run_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """``GET /runs/<id>/progress``: the HTMX fragment for a run; it re-polls itself
    every second while the run is queued or running and shows the counts when done
    (for HTMX, together with an out-of-band refresh of the source's last runs table)."""
    run = get_object_or_404(HarvestRun.objects.select_related("source"), pk=pk)
    context = run_summary(run)
    context["can_cancel"] = context["active"] and can_manage_source(request.user, run.source)
    if not context["active"] and _is_htmx(request):
        # refresh the source's run table too (an HTMX out-of-band swap)
        runs = run.source.runs.order_by("-started_at", "-id")[:RUNS_PER_SOURCE]
        context["oob_runs"] = [run_summary(r) for r in runs]
    return render(request, "harvesters/_run_progress.html", context)


def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """``GET /runs/<id>/``: one run with its counts, every warning and error, and what
    it changed (paginated by ``page``, filtered by ``kind``), with restore buttons for
    the assets it soft-deleted (for users who may manage the source)."""
    run = get_object_or_404(HarvestRun.objects.select_related("source"), pk=pk)
    context = run_summary(run)
    may_manage = can_manage_source(request.user, run.source)
    context["can_cancel"] = context["active"] and may_manage
    context["can_resume"] = may_manage and is_resumable(run)
    changes = RunChange.objects.filter(run=run).select_related("actor").order_by("id")
    kind = request.GET.get("kind", "")
    if kind in RunChange.Kind.values:
        changes = changes.filter(kind=kind)
    else:
        kind = ""
    totals = dict(
        RunChange.objects.filter(run=run).values_list("kind").annotate(n=Count("id")).order_by()
    )
    page = Paginator(changes, CHANGES_PER_PAGE).get_page(request.GET.get("page"))
    removed = removed_by_run(run) if totals.get(RunChange.Kind.ASSET_REMOVED) else {}
    restorable = set()
    if removed:
        restorable = set(
            run.source.asset_links.filter(
                removed=True, asset_id__in=[i for i in removed.values() if i]
            ).values_list("asset__urn", flat=True)
        )
    context.update(
        {
            "changes": page,
            "change_totals": [(k, label, totals.get(k, 0)) for k, label in RunChange.Kind.choices],
            "change_kind": kind,
            "restorable": restorable,
            "can_restore": bool(restorable) and can_manage_source(request.user, run.source),
        }
    )
    return render(request, "harvesters/run.html", context)


@require_POST
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """``POST /runs/<id>/cancel`` (signed in, CSRF; staff or the owning team): cancel a
    queued run, or ask a running one to stop (:mod:`harvesters.cancel`). HTMX gets the
    run's progress fragment (409 with the reason when it already ended); plain posts
    go back to the run page."""
    run = get_object_or_404(HarvestRun.objects.select_related("source"), pk=pk)
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("harvesters:run", args=[pk]))
    if not can_manage_source(request.user, run.source):
        return HttpResponse(
            '<p class="notice notice--error" role="alert">Only staff or members of the '
            "source's owning team may cancel its runs.</p>",
            status=403,
        )
    try:
        cancel_run(run, request.user.get_username())
    except CancelRefused as exc:
        if _is_htmx(request):
            return HttpResponse(
                f'<p class="notice notice--error" role="alert">{escape(exc.detail)}</p>',
                status=exc.status,
            )
        return redirect(reverse("harvesters:run", args=[pk]))
    if _is_htmx(request):
        run.refresh_from_db()
        context = {**run_summary(run), "can_cancel": True, "cancelling": True}
        return render(request, "harvesters/_run_progress.html", context)
    return redirect(reverse("harvesters:run", args=[pk]))


def restore_run(request: HttpRequest, pk: int) -> HttpResponse:
    """``POST /runs/<id>/restore`` (signed in, CSRF): restore the checked ``urn`` values,
    or every asset the run soft-deleted with ``all=1``; back to the run page with a
    message (what was restored, or why not)."""
    run = get_object_or_404(HarvestRun.objects.select_related("source"), pk=pk)
    back = reverse("harvesters:run", args=[run.pk]) + "#changes"
    if not request.user.is_authenticated:
        return redirect_to_login(back)
    urns = None if request.POST.get("all") else request.POST.getlist("urn")
    if urns == []:
        messages.error(request, "Select the assets to restore, or restore all.")
        return redirect(back)
    try:
        result = restore_run_assets(run, request.user, urns)
    except RestoreError as exc:
        messages.error(request, str(exc))
        return redirect(back) if exc.status != 403 else HttpResponse(str(exc), status=403)
    restored = len(result["restored"])
    messages.success(
        request,
        f"Restored {restored} asset{'' if restored == 1 else 's'}"
        + (f"; {len(result['skipped'])} already active" if result["skipped"] else "")
        + ".",
    )
    return redirect(back)


@require_POST
def resume_run(request: HttpRequest, pk: int) -> HttpResponse:
    """``POST /runs/<id>/resume`` (signed in, CSRF; staff or the owning team): continue
    a run that failed or was cancelled after committing batches, after its last
    checkpoint (:func:`harvesters.tasks.enqueue_harvest`, under the source's start lock).
    Back to the run page, with the reason when refused (a run of the source is going,
    or this run cannot be resumed); HTMX gets the run's progress fragment (202) or the
    reason (409)."""
    run = get_object_or_404(HarvestRun.objects.select_related("source"), pk=pk)
    back = reverse("harvesters:run", args=[pk])
    if not request.user.is_authenticated:
        return redirect_to_login(back)
    if not can_manage_source(request.user, run.source):
        return HttpResponse(
            '<p class="notice notice--error" role="alert">Only staff or members of the '
            "source's owning team may resume its runs.</p>",
            status=403,
        )
    try:
        run = enqueue_harvest(run.source, resume=run)
    except Refused as exc:
        if _is_htmx(request):
            return HttpResponse(
                f'<p class="notice notice--error" role="alert">{escape(exc.body["detail"])}</p>',
                status=exc.status,
            )
        messages.error(request, exc.body["detail"])
        return redirect(back)
    if _is_htmx(request):
        context = {**run_summary(run), "can_cancel": True}
        return render(request, "harvesters/_run_progress.html", context, status=202)
    messages.success(request, f"Run {run.pk} resumes after its last checkpoint.")
    return redirect(back)
