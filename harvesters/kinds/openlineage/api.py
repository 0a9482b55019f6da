"""OpenLineage intake endpoints (Marquez-compatible): the ``openlineage`` source kind's
HTTP side. Run history (``GET /api/v1/jobs/<urn>/runs``) is read from the lineage app.

Spec of the events: https://openlineage.io/spec/2-0-2/OpenLineage.json. Writes need a
token: ``Authorization: Token <key>`` or ``Authorization: Bearer <key>`` (what
OpenLineage clients send for an API key).
"""

import hashlib

from django.conf import settings
from django.db import transaction
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.response import Response
from rest_framework.views import APIView

from harvesters.kinds.openlineage.auth import BearerTokenAuthentication
from harvesters.kinds.openlineage.ingest import canonical, ingest_events, max_event_bytes
from harvesters.kinds.openlineage.intake import enqueue, intake_mode, schedule_drain
from harvesters.kinds.openlineage.validation import SPEC_URL, error, parse_json, validate_event
from identity.authentication import ApiTokenAuthentication
from lineage.api.views import LineageView

# API tokens (scope ``ingest``) first; DRF tokens not yet migrated, by either keyword, after.
AUTHENTICATION = [
    ApiTokenAuthentication,
    TokenAuthentication,
    BearerTokenAuthentication,
    SessionAuthentication,
]
ERRORS = OpenApiResponse(
    OpenApiTypes.OBJECT,
    description='``{"errors": [{"path": "$.run.runId", "message": "..."}]}``',
)
EXAMPLE = OpenApiExample(
    "RunEvent",
    value={
        "eventType": "START",
        "eventTime": "2026-11-01T02:00:00Z",
        "run": {"runId": "4d3b8069-69b6-4708-ade0-3275112c9f04"},
        "job": {"namespace": "food_delivery", "name": "etl_menus"},
        "inputs": [],
        "outputs": [{"namespace": "food_delivery", "name": "public.menus"}],
        "producer": "https://github.com/OpenLineage/OpenLineage/tree/1.0.0/client/python",
        "schemaURL": f"{SPEC_URL}#/$defs/RunEvent",
    },
)


def max_batch_bytes() -> int:
    """Body limit of a batch request (``MESH_OPENLINEAGE_MAX_BATCH_BYTES``, 50 MB)."""
    return int(getattr(settings, "MESH_OPENLINEAGE_MAX_BATCH_BYTES", 50 * 1024 * 1024))


def read_body(request, limit: int) -> tuple[bytes | None, Response | None]:
    """The raw body, or a 413 response when it is (or announces to be) over ``limit``.

    Reads the stream directly so Django's form-upload limit does not apply.
    """
    too_large = Response(
        {"errors": [error("$", f"request body is over the limit of {limit} bytes")]}, status=413
    )
    try:
        announced = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        announced = 0
    if announced > limit:
        return None, too_large
    body = request._request.read(limit + 1)
    if len(body) > limit:
        return None, too_large
    return body, None


def post_event(request) -> Response:
    """Handle ``POST /api/v1/lineage`` with one event (see :class:`LineageIntakeView`)."""
    limit = max_event_bytes()
    body, problem = read_body(request, limit)
    if problem:
        problem.data["errors"][0]["message"] += " (MESH_OPENLINEAGE_MAX_BYTES)"
        return problem
    event, errors = parse_json(body)
    if errors:
        return Response({"errors": errors}, status=400)
    if intake_mode() == "queue":
        return queue_event(event, limit)
    result = ingest_events([event]).results[0]
    if result.status == "too_large":
        return Response({"errors": result.errors}, status=413)
    if result.status == "invalid":
        return Response({"errors": result.errors}, status=400)
    body = {"status": result.status, "warnings": result.warnings}
    return Response(body, status=201 if result.status == "created" else 200)


def queue_event(event, limit: int) -> Response:
    """The queued write path (:mod:`harvesters.kinds.openlineage.intake`): validate,
    append to the intake table in one statement, answer 201 ``{"status": "queued"}`` or
    200 ``{"status": "duplicate"}``; 400/413 as the stored path."""
    kind, errors = validate_event(event)
    if errors:
        return Response({"errors": errors}, status=400)
    text = canonical(event)
    data = text.encode()
    if len(data) > limit:
        message = f"event is {len(data)} bytes, over the limit of {limit} bytes"
        return Response({"errors": [error("$", f"{message} (MESH_OPENLINEAGE_MAX_BYTES)")]},
                        status=413)  # fmt: skip
    if not enqueue(hashlib.sha256(data).hexdigest(), text):
        return Response({"status": "duplicate", "warnings": []}, status=200)
    transaction.on_commit(schedule_drain)
    return Response({"status": "queued", "warnings": []}, status=201)


class LineageIntakeView(LineageView):
    """``/api/v1/lineage``: ``GET`` the lineage graph (:class:`lineage.api.views.LineageView`);
    ``POST`` (token) one OpenLineage event, as Marquez does.

    The source kind extends the lineage app's read endpoint on the same path, so OpenLineage
    clients configured for Marquez work unchanged; URL order in ``config/urls.py`` puts
    this view first."""

    authentication_classes = AUTHENTICATION

    @extend_schema(
        request={"application/json": {"type": "object"}},
        responses={
            201: OpenApiTypes.OBJECT,
            200: OpenApiTypes.OBJECT,
            400: ERRORS,
            413: ERRORS,
        },
        examples=[EXAMPLE],
        description=(
            "Store one OpenLineage event (RunEvent, DatasetEvent or JobEvent; "
            "https://openlineage.io/spec/2-0-2/OpenLineage.json, older 1-x events too). "
            "201 ``{status: created, warnings}``; 200 ``{status: duplicate}`` for a "
            "repeated delivery; 400 ``{errors: [{path, message}]}``; 413 over "
            "MESH_OPENLINEAGE_MAX_BYTES. With MESH_OPENLINEAGE_INTAKE=queue (the default "
            "when Celery workers run) the event is validated, queued and stored in a "
            "batch shortly after: 201 ``{status: queued}``."
        ),
    )
    def post(self, request):
        """Store one event; see :func:`post_event`."""
        return post_event(request)


class LineageBatchView(APIView):
    """``POST /api/v1/lineage/batch``: a JSON array of OpenLineage events (token needed).

    Events follow https://openlineage.io/spec/2-0-2/OpenLineage.json. Good events are
    stored even when others are bad. Answers 200 when every event was stored or was a
    duplicate, 207 when some were not, 400 when none was (or the body is not a JSON
    array), 413 when the body is over ``MESH_OPENLINEAGE_MAX_BATCH_BYTES``. Body:
    ``{received, created, duplicates, invalid, results: [{index, status, errors?,
    warnings?}]}`` with ``status`` created | duplicate | invalid | too_large.
    """

    authentication_classes = AUTHENTICATION

    @extend_schema(
        request={"application/json": {"type": "array", "items": {"type": "object"}}},
        responses={200: OpenApiTypes.OBJECT, 207: OpenApiTypes.OBJECT, 400: ERRORS, 413: ERRORS},
        examples=[EXAMPLE],
    )
    def post(self, request):
        body, problem = read_body(request, max_batch_bytes())
        if problem:
            problem.data["errors"][0]["message"] += " (MESH_OPENLINEAGE_MAX_BATCH_BYTES)"
            return problem
        events, errors = parse_json(body)
        if errors:
            return Response({"errors": errors}, status=400)
        if not isinstance(events, list):
            return Response(
                {"errors": [error("$", "a batch must be a JSON array of events")]}, status=400
            )
        result = ingest_events(events)
        tally = result.tally()
        status = 200
        if tally["invalid"]:
            status = 400 if tally["invalid"] == tally["received"] else 207
        return Response({**tally, "results": [r.as_dict() for r in result.results]}, status=status)
