"""Scorecards: the configured policies (:mod:`governance.policies`) run on each data
product; a product's score is the share of applicable policies it passes (0..100), a
domain's the mean of its products' scores (sub-domains included) with the failing
policies counted. :func:`snapshot` stores a day's scores (:class:`ScoreSnapshot`) so
scorecards show a trend; the Celery beat task runs it daily.
"""

from datetime import date

from django.db.models import Prefetch
from django.utils import timezone

from governance.models import ScoreSnapshot
from governance.policies import policies, policy_named
from products.models import SLO, DataProduct, Domain, OutputPort


def _products(qs=None):
    qs = qs if qs is not None else DataProduct.objects.all()
    return qs.select_related("owner_team", "domain").prefetch_related(
        Prefetch(
            "output_ports",
            queryset=OutputPort.objects.select_related("asset", "data_contract").prefetch_related(
                Prefetch("slos", queryset=SLO.objects.all())
            ),
        )
    )


def score_of(results: list[dict]) -> float | None:
    """Share of passed among applicable results, as a percentage (None: none applied)."""
    applicable = [r for r in results if r["passed"] is not None]
    if not applicable:
        return None
    return round(100 * sum(1 for r in applicable if r["passed"]) / len(applicable), 1)


def run_policy(policy, product: DataProduct) -> dict:
    """``{policy, label, passed, detail, fix}`` of one policy on ``product``; a policy
    that raises counts as failed with the error named (never a crash of a page)."""
    try:
        outcome = policy.check(product)
        passed, detail, fix = outcome.passed, outcome.detail, outcome.fix
    except Exception as exc:  # noqa: BLE001 - a company's policy must not break the page
        passed, detail, fix = (
            False,
            f"the check failed: {type(exc).__name__}",
            "Fix the policy module.",
        )
    return {
        "policy": policy.name,
        "label": policy.label,
        "passed": passed,
        "detail": detail,
        "fix": fix,
    }


def product_scorecard(product: DataProduct) -> dict:
    """``{"product": uid, "name", "domain": slug|None, "score", "results": [{policy,
    label, passed, detail, fix}]}``; a policy that raises counts as failed with the
    error named (never a crash of the page)."""
    results = [run_policy(policy, product) for policy in policies()]
    return {
        "product": product.uid,
        "name": product.name,
        "domain": product.domain.slug if product.domain_id else None,
        "score": score_of(results),
        "results": results,
    }


def all_scorecards() -> list[dict]:
    """The scorecard of every product, by name."""
    return [product_scorecard(p) for p in _products().order_by("name")]


def _descendants(domain: Domain) -> set[int]:
    ids, frontier = {domain.pk}, [domain.pk]
    while frontier:
        frontier = list(
            Domain.objects.filter(parent_id__in=frontier)
            .exclude(pk__in=ids)
            .values_list("pk", flat=True)
        )
        ids.update(frontier)
    return ids


def domain_scorecard(domain: Domain, cards: list[dict] | None = None) -> dict:
    """``{"domain": slug, "name", "score", "products": [{product, name, score}],
    "failing": {policy: n products}}``; sub-domains' products count."""
    ids = _descendants(domain)
    if cards is None:
        cards = [
            product_scorecard(p) for p in _products(DataProduct.objects.filter(domain_id__in=ids))
        ]
    else:
        slugs = set(Domain.objects.filter(pk__in=ids).values_list("slug", flat=True))
        cards = [c for c in cards if c["domain"] in slugs]
    scores = [c["score"] for c in cards if c["score"] is not None]
    failing: dict[str, int] = {}
    for c in cards:
        for r in c["results"]:
            if r["passed"] is False:
                failing[r["policy"]] = failing.get(r["policy"], 0) + 1
    return {
        "domain": domain.slug,
        "name": domain.name,
        "score": round(sum(scores) / len(scores), 1) if scores else None,
        "products": [
            {"product": c["product"], "name": c["name"], "score": c["score"]} for c in cards
        ],
        "failing": failing,
    }


def failing_uids(policy_name: str) -> set[str]:
    """Uids of products failing the policy ``policy_name``; ValueError when unknown."""
    policy = policy_named(policy_name)
    if policy is None:
        raise ValueError(f"unknown policy {policy_name!r}")
    return {p.uid for p in _products() if run_policy(policy, p)["passed"] is False}


def snapshot(day: date | None = None) -> int:
    """Store (or replace) the day's score of every product and domain; returns rows."""
    day = day or timezone.localdate()
    cards = all_scorecards()
    rows = 0
    for c in cards:
        ScoreSnapshot.objects.update_or_create(
            day=day,
            scope="product",
            key=c["product"],
            defaults={
                "score": c["score"],
                "results": {r["policy"]: r["passed"] for r in c["results"]},
            },
        )
        rows += 1
    for domain in Domain.objects.all():
        d = domain_scorecard(domain, cards)
        ScoreSnapshot.objects.update_or_create(
            day=day,
            scope="domain",
            key=domain.slug,
            defaults={"score": d["score"], "results": d["failing"]},
        )
        rows += 1
    return rows


def trend(scope: str, key: str, days: int = 90) -> list[dict]:
    """``[{"day": ISO date, "score"}]``, oldest first, of the last ``days`` snapshots."""
    rows = ScoreSnapshot.objects.filter(scope=scope, key=key).order_by("-day")[:days]
    return [{"day": r.day.isoformat(), "score": r.score} for r in reversed(list(rows))]


def filter_failing(queryset, value: str):
    """Products-list filter (``?failing=<policy>``, registered with
    :func:`products.filtersets.register_product_filter`): products failing that policy;
    an unknown policy matches nothing."""
    try:
        uids = failing_uids(value)
    except ValueError:
        return queryset.none()
    return queryset.filter(uid__in=uids)
