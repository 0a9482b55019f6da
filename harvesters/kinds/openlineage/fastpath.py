"""The lean write path of ``POST /api/v1/lineage`` (one OpenLineage event, queued intake).

:class:`OpenLineageFastPath` is a middleware placed right after Django's
``SecurityMiddleware`` (``config/settings.py``). For a ``POST`` to ``/api/v1/lineage``
in the queued intake mode (``MESH_OPENLINEAGE_INTAKE=queue``, the default with Celery
workers) it does what the DRF view's queued path does, without sessions, CSRF, messages,
the content-security-policy header, URL resolution, content negotiation or DRF's request
and response machinery:

1. the ``Authorization`` header holds an API token (``Bearer mcat_...`` or ``Token
   mcat_...``) of an active user with the ``ingest`` scope, read through the process's
   verified-token cache (``MESH_TOKEN_CACHE_SECONDS``);
2. the body (``Content-Length`` announced, at most ``MESH_OPENLINEAGE_MAX_BYTES`` and
   Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE``) is a JSON object that passes
   :func:`harvesters.kinds.openlineage.validation.validate_event` (the same checks as
   every other path: Marquez's required fields, run ids, date-times, facet containers);
3. one ``INSERT ... ON CONFLICT DO NOTHING`` into the intake table
   (:func:`harvesters.kinds.openlineage.intake.enqueue`, idempotent by the SHA-256 of
   the canonical event) and a drain scheduled at most every
   ``MESH_OPENLINEAGE_INTAKE_DELAY`` seconds per process.

Answers exactly as the DRF view: 201 ``{"status": "queued", "warnings": []}`` or 200
``{"status": "duplicate", "warnings": []}`` (``application/json``). Every request it
cannot accept as is (no or another kind of credentials, a token lacking the scope,
invalid JSON, an invalid event, a body over a limit or without ``Content-Length``, the
``sync`` mode) goes on, unchanged, to the full view
(:class:`harvesters.kinds.openlineage.api.LineageIntakeView`), which answers 401/403,
400 naming the JSON path of each bad field, or 413 as before, or stores the event itself.
So the accepted payloads and the error answers are the view's; only the cost of the
common case changes.
"""

from __future__ import annotations

import hashlib
import json

from django.conf import settings
from django.db import transaction
from django.http import HttpResponse

from harvesters.kinds.openlineage.ingest import canonical, max_event_bytes
from harvesters.kinds.openlineage.intake import enqueue, intake_mode, schedule_drain
from harvesters.kinds.openlineage.validation import validate_event
from identity.authentication import authenticate_api_key

PATH = "/api/v1/lineage"
QUEUED = b'{"status":"queued","warnings":[]}'
DUPLICATE = b'{"status":"duplicate","warnings":[]}'


def _body_limit() -> int:
    """The largest body the lean path reads: the event limit, and Django's upload limit
    (``DATA_UPLOAD_MAX_MEMORY_SIZE``) so that reading ``request.body`` never raises."""
    limit = max_event_bytes()
    upload = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return min(limit, upload) if upload is not None else limit


def accept_event(request) -> HttpResponse | None:
    """Queue the event of ``request`` (a ``POST /api/v1/lineage``) and return the 201/200
    answer, or None when the request needs the full view (see the module docstring)."""
    if intake_mode() != "queue":
        return None
    meta = request.META
    authorization = meta.get("HTTP_AUTHORIZATION")
    if not authorization:
        return None
    try:
        announced = int(meta.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    if announced <= 0 or announced > _body_limit():
        return None
    if authenticate_api_key(authorization, "ingest") is None:
        return None
    body = request.body  # the full view can read it again (Django keeps a copy)
    try:
        event = json.loads(body)
    except ValueError:
        return None
    kind, errors = validate_event(event)
    if kind is None or errors:
        return None
    text = canonical(event)
    data = text.encode()
    if len(data) > max_event_bytes():
        return None
    if enqueue(hashlib.sha256(data).hexdigest(), text):
        transaction.on_commit(schedule_drain)  # at once in autocommit, as the view
        response = HttpResponse(QUEUED, content_type="application/json", status=201)
    else:
        response = HttpResponse(DUPLICATE, content_type="application/json", status=200)
    response["X-Frame-Options"] = "DENY"
    return response


class OpenLineageFastPath:
    """Middleware: :func:`accept_event` for ``POST /api/v1/lineage``; every other
    request (and every one it declines) passes on unchanged."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method == "POST" and request.path_info == PATH:
            response = accept_event(request)
            if response is not None:
                return response
        return self.get_response(request)
