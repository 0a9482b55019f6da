"""Scorecards: the configured policies (:mod:`governance.policies`) run on each data
product; a product's score is the share of applicable policies it passes (0..100), a
domain's the mean of its products' scores (sub-domains included) with the failing
policies counted. :func:`snapshot` stores a day's scores (:class:`ScoreSnapshot`) so
scorecards show a trend; the Celery beat task runs it daily.

Computed product scorecards are cached (Django's ``default`` cache) per product under
a *governance version*: a token :func:`invalidate` replaces whenever a product, port,
SLO, contract, class, term link, access policy or harvest run is saved or deleted (the
receivers in :mod:`governance.signals`) and after every curation, so a page shows a
change at once. Writes that send no signal (bulk updates, SLO samples, time passing
for "SLOs met over the window") show within ``settings.MESH_SCORECARD_CACHE_SECONDS``
(default 120; 0 turns the cache off). Domain scorecards are built from the cached
product cards.
"""

import uuid
from datetime import date

from django.conf import settings
from django.core.cache import cache
from django.db import connection
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


VERSION_KEY = "mesh:governance:scorecard-version"


def _ttl() -> int:
    return int(getattr(settings, "MESH_SCORECARD_CACHE_SECONDS", 120))


def invalidate() -> None:
    """Start a new governance version: every cached scorecard is recomputed on its next
    read (called by the receivers of :mod:`governance.signals` and by curation)."""
    if _ttl() > 0:
        cache.set(VERSION_KEY, uuid.uuid4().hex, None)


def _key(uid: str, version: str) -> str:
    # the database name keeps catalogs sharing one cache (tests, SQLite and PostgreSQL) apart
    db = str(connection.settings_dict.get("NAME", ""))
    return f"mesh:governance:scorecard:{db}:{version}:{uid}"


def _version() -> str:
    version = cache.get(VERSION_KEY)
    if version is None:
        version = uuid.uuid4().hex
        cache.add(VERSION_KEY, version, None)
        version = cache.get(VERSION_KEY, version)
    return version


def _cached_cards(products_qs) -> list[dict]:
    """The scorecards of the products of ``products_qs`` (in its order): cached ones
    read in one ``get_many``, the others computed (one prefetched query) and stored."""
    ttl = _ttl()
    if ttl <= 0:
        return [compute_scorecard(p) for p in _products(products_qs)]
    uids = list(products_qs.values_list("uid", flat=True))
    version = _version()
    keys = {uid: _key(uid, version) for uid in uids}
    found = cache.get_many(list(keys.values()))
    cards = {uid: found[k] for uid, k in keys.items() if k in found}
    missing = [uid for uid in uids if uid not in cards]
    if missing:
        fresh = {
            p.uid: compute_scorecard(p)
            for p in _products(DataProduct.objects.filter(uid__in=missing))
        }
        cache.set_many({keys[uid]: card for uid, card in fresh.items()}, ttl)
        cards.update(fresh)
    return [cards[uid] for uid in uids if uid in cards]


def product_scorecard(product: DataProduct) -> dict:
    """The cached scorecard of ``product`` (see :func:`compute_scorecard` for its
    shape); computed when the governance version changed or the TTL ran out."""
    cards = _cached_cards(DataProduct.objects.filter(pk=product.pk))
    return cards[0] if cards else compute_scorecard(product)


def compute_scorecard(product: DataProduct) -> dict:
    """``{"product": uid, "name", "domain": slug|None, "score", "results": [{policy,
    label, passed, detail, fix}]}``, computed now (no cache); a policy that raises
    counts as failed with the error named (never a crash of the page)."""
    results = [run_policy(policy, product) for policy in policies()]
    return {
        "product": product.uid,
        "name": product.name,
        "domain": product.domain.slug if product.domain_id else None,
        "score": score_of(results),
        "results": results,
    }


def all_scorecards() -> list[dict]:
    """The scorecard of every product, by name (cached: :func:`_cached_cards`)."""
    return _cached_cards(DataProduct.objects.order_by("name"))


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
        cards = _cached_cards(DataProduct.objects.filter(domain_id__in=ids).order_by("name"))
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
    """Uids of products failing the policy ``policy_name`` (from the cached
    scorecards); ValueError when unknown."""
    policy = policy_named(policy_name)
    if policy is None:
        raise ValueError(f"unknown policy {policy_name!r}")
    if _ttl() <= 0:  # no cache: run only this policy
        return {p.uid for p in _products() if run_policy(policy, p)["passed"] is False}
    return {
        c["product"]
        for c in all_scorecards()
        if any(r["policy"] == policy_name and r["passed"] is False for r in c["results"])
    }


def snapshot(day: date | None = None) -> int:
    """Store (or replace) the day's score of every product and domain; returns rows."""
    day = day or timezone.localdate()
    cards = [compute_scorecard(p) for p in _products().order_by("name")]  # never stale
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
