"""The permissions matrix (issue 10, item 2): every write endpoint of the OpenAPI schema and
every form, with each role, answers as :data:`API_MATRIX` / :data:`FORM_MATRIX` say.

Roles: ``anonymous``; ``viewer`` (signed in, in no team); ``member`` (plain member of
the owning team: may not edit); ``owner`` and ``steward`` (owning team with an editing
role); ``auditor`` (global role: reads only); ``admin`` (staff). Allowed answers 2xx with
a valid body; denied answers 401 (anonymous) or 403 (403 for tokens not one's own is 404:
another user's token is not even visible; likewise access requests and grants, see
:data:`HIDDEN`). Access requests and grants are oscar's (the viewer), created per cell in
the state the action accepts, so a cell tests permission, not state.
"""

import datetime as dt
import json

import pytest
import yaml
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from access.models import AccessRequest, State
from catalog.models import HarvestRun, Source
from identity.models import ApiToken
from tests.identity.test_tokens import EVENT

ROLES = ["anonymous", "viewer", "member", "owner", "steward", "auditor", "admin"]
USERS = {
    "viewer": "oscar",
    "member": "mel",
    "owner": "olivia",
    "steward": "sam",
    "auditor": "audrey",
    "admin": "staff",
}
EDITORS = {"owner", "steward", "admin"}
SIGNED_IN = set(ROLES) - {"anonymous"}
ADMINS = {"admin"}
CONSUMER = {"viewer"}  # oscar, the consumer of every access request of the matrix
APPROVERS = {"owner", "steward", "admin"}  # owning-team owner/steward, staff
CONTRACT_YAML = """
apiVersion: v3.0.2
kind: DataContract
id: ledger-entries
name: Ledger entries
version: 1.1.0
status: active
schema:
  - name: orders
    properties:
      - name: id
        logicalType: integer
"""

# (method, schema path) -> roles allowed; everyone else is denied.
API_MATRIX = {
    ("PUT", "/api/v1/contracts/{uid}/document"): EDITORS,
    ("POST", "/api/v1/domains"): EDITORS,
    ("PUT", "/api/v1/domains/{slug}"): EDITORS,
    ("PATCH", "/api/v1/domains/{slug}"): EDITORS,
    ("POST", "/api/v1/assets/bulk"): SIGNED_IN,  # a push source with no owning team
    ("POST", "/api/v1/lineage"): SIGNED_IN,
    ("POST", "/api/v1/lineage/batch"): SIGNED_IN,
    ("POST", "/api/v1/products"): EDITORS,
    ("PUT", "/api/v1/products/{uid}"): EDITORS,
    ("PATCH", "/api/v1/products/{uid}"): EDITORS,
    ("DELETE", "/api/v1/products/{uid}"): EDITORS,
    ("PUT", "/api/v1/products/{uid}/descriptor"): EDITORS,
    ("POST", "/api/v1/products/{uid}/slos"): EDITORS,
    ("POST", "/api/v1/sources"): ADMINS,
    ("PUT", "/api/v1/sources/{id}"): ADMINS,
    ("PATCH", "/api/v1/sources/{id}"): ADMINS,
    ("DELETE", "/api/v1/sources/{id}"): ADMINS,
    ("POST", "/api/v1/sources/{id}/harvest"): ADMINS,
    ("POST", "/api/v1/sources/{id}/test-connection"): ADMINS,
    ("POST", "/api/v1/sources/test-connection"): ADMINS,
    ("POST", "/api/v1/runs/{id}/cancel"): ADMINS,
    ("POST", "/api/v1/runs/{id}/restore"): ADMINS,  # the source's managers, like cancel
    ("POST", "/api/v1/runs/{id}/resume"): ADMINS,  # the source's managers, like cancel
    ("POST", "/api/v1/tokens"): SIGNED_IN,
    ("DELETE", "/api/v1/tokens/{id}"): {"owner", "admin"},  # olivia's token
    # Access requests and grants (access/permissions.py, access/services.py). Every one is
    # oscar's (the viewer: signed in, in no team) on the Orders port, whose owning team
    # Sales Eng has approvers (olivia owner, sam steward), so the domain fallback is unused.
    ("POST", "/api/v1/access-requests"): SIGNED_IN,  # any signed-in user requests
    ("POST", "/api/v1/access-requests/{id}/approve"): APPROVERS,  # never one's own
    ("POST", "/api/v1/access-requests/{id}/deny"): APPROVERS,
    ("POST", "/api/v1/access-requests/{id}/withdraw"): CONSUMER,
    ("POST", "/api/v1/access-requests/{id}/comment"): CONSUMER | APPROVERS,
    ("POST", "/api/v1/grants/{id}/revoke"): CONSUMER | APPROVERS,  # consumer gives it up
    ("POST", "/api/v1/grants/{id}/extend"): APPROVERS,  # not the consumer
    ("POST", "/api/v1/grants/{id}/renew"): CONSUMER,
    ("POST", "/api/v1/grants/{id}/retry"): APPROVERS,
    ("POST", "/api/v1/grants/{id}/mark-provisioned"): APPROVERS,  # not the consumer
    # Manual lineage (lineage/services.py): owners of the downstream asset (here the team
    # sales-eng owns it: its editing members), stewards and staff.
    ("POST", "/api/v1/lineage/edges"): EDITORS,
    ("DELETE", "/api/v1/lineage/edges/{id}"): EDITORS,
    ("POST", "/api/v1/lineage/edges/{id}/hide"): EDITORS,
    ("POST", "/api/v1/lineage/edges/{id}/unhide"): EDITORS,
    ("DELETE", "/api/v1/lineage/column-edges/{id}"): EDITORS,
    ("POST", "/api/v1/lineage/column-edges/{id}/hide"): EDITORS,
    ("POST", "/api/v1/lineage/column-edges/{id}/unhide"): EDITORS,
    # Notifications (notifications/incidents.py, notifications/services.py). Incidents are
    # opened by staff on Orders (owning team Sales Eng); subscriptions and webhooks are
    # oscar's own (the viewer), invisible to everyone else.
    ("POST", "/api/v1/incidents"): SIGNED_IN,
    ("POST", "/api/v1/incidents/{id}/acknowledge"): EDITORS,
    ("POST", "/api/v1/incidents/{id}/resolve"): EDITORS,
    ("POST", "/api/v1/incidents/{id}/reopen"): EDITORS,
    ("POST", "/api/v1/incidents/{id}/update"): EDITORS,
    ("POST", "/api/v1/incidents/{id}/comment"): SIGNED_IN,
    ("POST", "/api/v1/notifications/read"): SIGNED_IN,
    ("POST", "/api/v1/subscriptions"): SIGNED_IN,
    ("PUT", "/api/v1/subscriptions/{id}"): CONSUMER,
    ("PATCH", "/api/v1/subscriptions/{id}"): CONSUMER,
    ("DELETE", "/api/v1/subscriptions/{id}"): CONSUMER,
    ("POST", "/api/v1/webhooks"): SIGNED_IN,
    ("PUT", "/api/v1/webhooks/{id}"): CONSUMER,
    ("PATCH", "/api/v1/webhooks/{id}"): CONSUMER,
    ("DELETE", "/api/v1/webhooks/{id}"): CONSUMER,
    # Governance (issue 15): curation and class decisions by the asset's owners (the team
    # owning the product whose port is the asset), stewards and admins; the glossary by
    # stewards (a team steward holds the role) and admins
    ("PATCH", "/api/v1/assets/{urn}"): EDITORS,
    ("POST", "/api/v1/classifications/{id}"): EDITORS,
    ("POST", "/api/v1/glossary/terms"): {"steward", "admin"},
    ("PATCH", "/api/v1/glossary/terms/{slug}"): {"steward", "admin"},
    ("DELETE", "/api/v1/glossary/terms/{slug}"): {"steward", "admin"},
    ("POST", "/api/v1/glossary/import"): {"steward", "admin"},
}
# Cells the hardening branch (issue 9: harvesters/access.py) closes; until it is merged
# the harvest endpoint lets any signed-in user queue a harvest.

# Denied roles that may not even see the object answer 404, not 403 (like another user's
# token): access requests and grants are visible only to their consumer, to whoever may
# approve or manage them and to staff (access/api/views.py ``_visible``), so neither a
# plain member of the owning team nor the auditor sees oscar's request.
HIDDEN = {
    op: {"member", "auditor"}
    for op in API_MATRIX
    if op[1].startswith(("/api/v1/access-requests/{id}/", "/api/v1/grants/{id}/"))
}
# oscar's subscriptions and webhooks are his alone: everyone else gets 404
HIDDEN.update(
    {
        op: SIGNED_IN - CONSUMER
        for op in API_MATRIX
        if op[1] in ("/api/v1/subscriptions/{id}", "/api/v1/webhooks/{id}")
    }
)

FORM_MATRIX = {
    "/products/new/": EDITORS,
    "/products/orders/edit/": EDITORS,
    "/products/orders/ports/new/": EDITORS,
    "/products/orders/inputs/new/": EDITORS,
    "/products/orders/slos/new/": EDITORS,
    "/products/orders/members/new/": EDITORS,
    "/domains/new/": EDITORS,
    "/domains/sales/edit/": EDITORS,
    "/teams/new/": ADMINS,
    "/teams/sales-eng/edit/": ADMINS,
    "/accounts/profile/": SIGNED_IN,
}


def schema_writes() -> set[tuple[str, str]]:
    """Every (method, path) with a write method in the served OpenAPI schema."""
    client = APIClient()
    schema = yaml.safe_load(client.get("/api/schema/").content)
    return {
        (method.upper(), path)
        for path, ops in schema["paths"].items()
        for method in ops
        if method in ("post", "put", "patch", "delete")
    }


@pytest.fixture
def matrix_world(world, tmp_path, settings):
    """``world`` with the contract bound to Orders, a source, and a token of olivia."""
    settings.MESH_SOURCE_PATH_ROOTS = [tmp_path]  # sources may read files there
    settings.MESH_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]  # the webhooks the matrix edits
    world["tmp"] = tmp_path
    world["port"].data_contract = world["contract"]
    world["port"].contract_id = "ledger-entries"
    world["port"].save()
    world["ledger_port"].data_contract, world["ledger_port"].contract_id = None, ""
    world["ledger_port"].save()
    world["source"] = Source.objects.create(
        name="chinook", kind="sql", config={"url": f"sqlite:///{tmp_path / 'none.sqlite'}"}
    )
    world["token"], _ = ApiToken.issue(world["olivia"], "ci", ["read"], None)
    return world


def access_request(w: dict, state: str = State.REQUESTED) -> AccessRequest:
    """oscar's read request on the Orders port in ``state`` (the manual provisioner, so a
    retry never reaches a warehouse), ending in 30 days."""
    return AccessRequest.objects.create(
        consumer=w["oscar"],
        port=w["port"],
        purpose="monthly revenue report",
        end_date=in_days(30),
        state=state,
        provisioner="manual",
    )


def in_days(n: int) -> str:
    """Today (UTC) plus ``n`` days, ISO formatted."""
    return (timezone.now().date() + dt.timedelta(days=n)).isoformat()


def request_for(method: str, path: str, w: dict, admin: APIClient):
    """The concrete URL, body and content type of one schema operation."""
    product = {
        "uid": "orders",
        "name": "Orders",
        "domain": "online",
        "owner_team": "sales-eng",
        "status": "active",
    }
    domain = {"slug": "sales", "name": "Sales", "owner_team": "sales-eng"}
    source = {"name": "chinook", "kind": "sql", "config": {"url": f"sqlite:///{w['tmp']}/x.sqlite"}}
    table = {
        ("PUT", "/api/v1/contracts/{uid}/document"): (
            "/api/v1/contracts/ledger-entries/document", CONTRACT_YAML, "application/yaml"),
        ("POST", "/api/v1/domains"): (
            "/api/v1/domains",
            {"slug": "b2b", "name": "B2B", "parent": "sales", "owner_team": "sales-eng"}, None),
        ("PUT", "/api/v1/domains/{slug}"): ("/api/v1/domains/sales", domain, None),
        ("PATCH", "/api/v1/domains/{slug}"): ("/api/v1/domains/sales", {"description": "d"}, None),
        ("POST", "/api/v1/assets/bulk"): (
            "/api/v1/assets/bulk?source=pushed",
            [{"urn": "urn:mc:dataset:postgres://db:5432/shop.public.pushed"}], None),
        ("POST", "/api/v1/lineage"): ("/api/v1/lineage", EVENT, None),
        ("POST", "/api/v1/lineage/batch"): ("/api/v1/lineage/batch", [EVENT], None),
        ("POST", "/api/v1/products"): (
            "/api/v1/products", {**product, "uid": "returns", "name": "Returns"}, None),
        ("PUT", "/api/v1/products/{uid}"): ("/api/v1/products/orders", product, None),
        ("PATCH", "/api/v1/products/{uid}"): ("/api/v1/products/orders", {"description": "d"}, None),
        ("DELETE", "/api/v1/products/{uid}"): ("/api/v1/products/orders", None, None),
        ("PUT", "/api/v1/products/{uid}/descriptor"): (
            "/api/v1/products/orders/descriptor",
            admin.get("/api/v1/products/orders/descriptor").content.decode(),
            "application/yaml"),
        ("POST", "/api/v1/products/{uid}/slos"): (
            "/api/v1/products/orders/slos",
            {"port": w["port"].pk, "name": "fresh", "kind": "freshness", "objective": 0.99,
             "window_days": 7, "threshold": 3600}, None),
        ("POST", "/api/v1/sources"): ("/api/v1/sources", {**source, "name": "new"}, None),
        ("PUT", "/api/v1/sources/{id}"): (f"/api/v1/sources/{w['source'].pk}", source, None),
        ("PATCH", "/api/v1/sources/{id}"): (
            f"/api/v1/sources/{w['source'].pk}", {"enabled": False}, None),
        ("DELETE", "/api/v1/sources/{id}"): (f"/api/v1/sources/{w['source'].pk}", None, None),
        ("POST", "/api/v1/sources/{id}/harvest"): (
            f"/api/v1/sources/{w['source'].pk}/harvest", None, None),
        ("POST", "/api/v1/sources/{id}/test-connection"): (
            f"/api/v1/sources/{w['source'].pk}/test-connection", None, None),
        ("POST", "/api/v1/sources/test-connection"): (
            "/api/v1/sources/test-connection", {"kind": source["kind"], "config": source["config"]},
            None),
        ("POST", "/api/v1/tokens"): ("/api/v1/tokens", {"name": "t", "scopes": ["read"]}, None),
        ("DELETE", "/api/v1/tokens/{id}"): (f"/api/v1/tokens/{w['token'].pk}", None, None),
    }  # fmt: skip
    if path == "/api/v1/runs/{id}/cancel":  # a queued run of the source, made on demand
        run = HarvestRun.objects.create(source=w["source"], status=HarvestRun.Status.QUEUED)
        return f"/api/v1/runs/{run.pk}/cancel", None, None
    if path == "/api/v1/runs/{id}/resume":  # a failed run of the source with a checkpoint
        run = HarvestRun.objects.create(
            source=w["source"], status=HarvestRun.Status.FAILED,
            progress={"checkpoint": {"batches": 3}},
        )  # fmt: skip
        return f"/api/v1/runs/{run.pk}/resume", None, None
    if path == "/api/v1/runs/{id}/restore":  # a finished run of the source (restores all)
        run = HarvestRun.objects.create(source=w["source"], status=HarvestRun.Status.SUCCEEDED)
        return f"/api/v1/runs/{run.pk}/restore", {}, None
    if path.startswith(("/api/v1/incidents", "/api/v1/notifications", "/api/v1/subscriptions",
                        "/api/v1/webhooks")):  # fmt: skip
        return notify_call(path, w)
    if path != "/api/v1/assets/bulk" and path.startswith(
        ("/api/v1/assets/", "/api/v1/classifications/", "/api/v1/glossary/")
    ):
        return governance_call(method, path, w)
    if path.startswith("/api/v1/access-requests"):
        return access_call(path, w)
    if path.startswith("/api/v1/grants/"):
        return grant_call(path, w)
    if path.startswith("/api/v1/lineage/edges") or path.startswith("/api/v1/lineage/column-"):
        return lineage_call(method, path, w)
    return table[(method, path)]


def lineage_call(method: str, path: str, w: dict):
    """URL and body of a manual-lineage operation: assets a → b (b owned by the team
    sales-eng, column v each), with a harvested edge (hidden for unhide) or a manual one
    (for DELETE) to act on."""
    from catalog.models import Asset, Field, Owner, Ownership
    from lineage.models import FieldLineageEdge, LineageEdge, Provenance

    a, b = (
        Asset.objects.create(urn=f"urn:mc:dataset:m://x/{n}", name=n, namespace="m://x")
        for n in ("a", "b")
    )
    team = Owner.objects.create(name="sales-eng", kind="team")
    Ownership.objects.create(asset=b, owner=team)
    fa, fb = (Field.objects.create(asset=x, name="v", data_type="integer") for x in (a, b))
    column = "column-" in path
    model, ends = (FieldLineageEdge, (fa, fb)) if column else (LineageEdge, (a, b))
    manual = method == "DELETE"
    edge = model.objects.create(
        key="k",
        upstream=ends[0],
        downstream=ends[1],
        origin=None if manual else w["source"],
        provenance=Provenance.MANUAL if manual else Provenance.HARVESTED,
        hidden_at=timezone.now() if path.endswith("unhide") else None,
    )
    if path == "/api/v1/lineage/edges":
        return path, {"upstream": a.urn, "downstream": b.urn, "note": "seen in the job code"}, None
    base = f"/api/v1/lineage/{'column-edges' if column else 'edges'}/{edge.pk}"
    if path.endswith("/hide"):
        return f"{base}/hide", {"reason": "wrong join"}, None
    if path.endswith("/unhide"):
        return f"{base}/unhide", None, None
    return base, None, None


def governance_call(method: str, path: str, w: dict):
    """URL and body of a governance operation on the Orders port's asset, creating the
    term or class proposal it acts on."""
    from catalog.models import Field
    from governance.classification import data_classes
    from governance.models import ColumnClass, GlossaryTerm

    asset = w["port"].asset
    if path == "/api/v1/assets/{urn}":
        return f"/api/v1/assets/{asset.urn}", {"description": "Orders, curated"}, None
    if path == "/api/v1/classifications/{id}":
        Field.objects.get_or_create(asset=asset, name="email")
        proposal = ColumnClass.objects.create(
            asset=asset, field_name="email", data_class=data_classes()["email"]
        )
        return f"/api/v1/classifications/{proposal.pk}", {"decision": "accept"}, None
    if path == "/api/v1/glossary/terms":
        return path, {"name": "Order"}, None
    if path == "/api/v1/glossary/import":
        return path, {"format": "yaml", "content": "terms: [{name: Order}]"}, None
    term = GlossaryTerm.objects.create(slug="revenue", name="Revenue")
    body = {"definition": "Money in."} if method == "PATCH" else None
    return f"/api/v1/glossary/terms/{term.slug}", body, None


def access_call(path: str, w: dict):
    """URL and body of an access-request operation, creating the open request it acts on."""
    if path == "/api/v1/access-requests":
        body = {"port": w["port"].pk, "purpose": "churn model", "end_date": in_days(30)}
        return path, body, None
    action = path.rsplit("/", 1)[1]
    body = {
        "approve": {"comment": "ok"},
        "deny": {"reason": "no business need"},
        "withdraw": None,
        "comment": {"text": "which columns?"},
    }[action]
    return f"/api/v1/access-requests/{access_request(w).pk}/{action}", body, None


def notify_call(path: str, w: dict):
    """URL and body of a notifications operation, creating what it acts on: an incident
    opened by staff on Orders (resolved for reopen), oscar's subscription or webhook."""
    from notifications import incidents
    from notifications.models import Subscription, Webhook

    if path in ("/api/v1/incidents", "/api/v1/subscriptions", "/api/v1/webhooks"):
        body = {
            "/api/v1/incidents": {"title": "Late", "product": "orders"},
            "/api/v1/subscriptions": {"target_kind": "product", "target_id": w["orders"].pk},
            "/api/v1/webhooks": {"name": "h", "url": "http://127.0.0.1:9/hook", "kind": "json"},
        }[path]
        return path, body, None
    if path == "/api/v1/notifications/read":
        return path, {}, None
    if path.startswith("/api/v1/subscriptions/"):
        sub = Subscription.objects.create(
            user=w["oscar"], target_kind="product", target_id=w["orders"].pk
        )
        body = {"target_kind": "product", "target_id": w["orders"].pk, "muted": True}
        return f"/api/v1/subscriptions/{sub.pk}", body, None
    if path.startswith("/api/v1/webhooks/"):
        hook = Webhook.objects.create(user=w["oscar"], name="h", url="http://127.0.0.1:9/h")
        body = {"name": "h2", "url": "http://127.0.0.1:9/h2", "kind": "slack"}
        return f"/api/v1/webhooks/{hook.pk}", body, None
    action = path.rsplit("/", 1)[1]
    incident, _ = incidents.open_incident(
        episode=incidents.manual_episode(), title="Late", product=w["orders"], user=w["staff"]
    )
    if action == "reopen":
        incidents.resolve(incident, w["staff"])
    body = {"resolve": {"note": "ok"}, "comment": {"text": "seen"}, "update": {"severity": "low"}}
    return f"/api/v1/incidents/{incident.pk}/{action}", body.get(action), None


def grant_call(path: str, w: dict):
    """URL and body of a grant operation, creating the grant in a state the action accepts
    (active; failed provisioning for retry; manual provisioning awaiting confirmation)."""
    action = path.rsplit("/", 1)[1]
    state = {"retry": State.PROVISIONING_FAILED, "mark-provisioned": State.PROVISIONING}.get(
        action, State.ACTIVE
    )
    body = {
        "revoke": {"reason": "project ended"},
        "extend": {"end_date": in_days(60)},
        "renew": {"end_date": in_days(90)},
        "retry": None,
        "mark-provisioned": None,
    }[action]
    return f"/api/v1/grants/{access_request(w, state).pk}/{action}", body, None


def test_the_matrix_covers_every_write_endpoint_of_the_schema(db):
    assert schema_writes() == set(API_MATRIX)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("operation", sorted(API_MATRIX), ids=lambda op: f"{op[0]} {op[1]}")
def test_api_write_matrix(matrix_world, settings, request, operation, role):
    method, path = operation
    allowed = role in API_MATRIX[operation]
    settings.CELERY_TASK_ALWAYS_EAGER = False  # queue harvests; nothing runs them here
    admin = APIClient()
    admin.force_authenticate(matrix_world["staff"])
    url, body, content_type = request_for(method, path, matrix_world, admin)
    client = APIClient()
    if role != "anonymous":
        client.force_authenticate(matrix_world[USERS[role]])
    if content_type:
        response = client.generic(method, url, body, content_type=content_type)
    else:
        response = client.generic(
            method, url, json.dumps(body) if body is not None else "",
            content_type="application/json",
        )  # fmt: skip
    status = response.status_code
    detail = (role, method, url, status, response.content[:300])
    if allowed:
        assert 200 <= status < 300, detail
    elif role == "anonymous":
        assert status == 401, detail
    elif path == "/api/v1/tokens/{id}" or role in HIDDEN.get(operation, ()):
        assert status == 404, detail
    else:
        assert status == 403, detail


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("url", sorted(FORM_MATRIX))
def test_form_matrix(matrix_world, url, role):
    client = Client()
    if role != "anonymous":
        client.force_login(matrix_world[USERS[role]])
    response = client.get(url)
    if role == "anonymous":
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
        return
    if role in FORM_MATRIX[url]:
        assert response.status_code == 200, (role, url, response.status_code)
        return
    assert response.status_code == 403, (role, url, response.status_code)
    # posting the form is refused the same way, and changes nothing
    assert client.post(url, {"name": "Hijacked", "slug": "hijack"}).status_code == 403


# Forms and actions on one object: (method, URL template) -> roles allowed. Allowed GETs
# answer 200, allowed POSTs redirect (302) back to the product.
OBJECT_FORMS = {
    ("GET", "/products/orders/ports/{port}/"): EDITORS,
    ("GET", "/products/orders/ports/{port}/delete/"): EDITORS,
    ("POST", "/products/orders/ports/{port}/delete/"): EDITORS,
    ("GET", "/products/orders/inputs/{input}/"): EDITORS,
    ("GET", "/products/orders/slos/{slo}/"): EDITORS,
    ("POST", "/products/orders/slos/{slo}/check/"): EDITORS,
    ("POST", "/products/orders/slos/{slo}/delete/"): EDITORS,
    ("POST", "/products/orders/members/{member}/delete/"): EDITORS,
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("form", sorted(OBJECT_FORMS), ids=lambda f: f"{f[0]} {f[1]}")
def test_object_form_matrix(matrix_world, role, form):
    from products.models import SLO, InputPort, ProductMember

    method, template = form
    w = matrix_world
    url = template.format(
        port=w["port"].pk,
        input=InputPort.objects.create(product=w["orders"], name="raw").pk,
        slo=SLO.objects.create(port=w["port"], name="rows", kind="volume", min_value=1).pk,
        member=ProductMember.objects.create(product=w["orders"], username="x", role="owner").pk,
    )
    client = Client()
    if role != "anonymous":
        client.force_login(w[USERS[role]])
    response = client.generic(method, url)
    status = response.status_code
    if role == "anonymous":
        assert status == 302 and response["Location"].startswith("/accounts/login/")
    elif role in OBJECT_FORMS[form]:
        assert status == (200 if method == "GET" else 302), (role, url, status)
    else:
        assert status == 403, (role, url, status)
