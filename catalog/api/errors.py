"""API error handling: JSON bodies, never a stack trace."""

import logging

from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

log = logging.getLogger(__name__)


def exception_handler(exc, context):
    """DRF's handler, plus a JSON 413 for a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE``
    (Django raises RequestDataTooBig when the view first reads ``request.data``), a JSON
    409 for a write that lost a race with a concurrent change (an IntegrityError) and a
    JSON 500 ``{"detail": ...}`` for unexpected exceptions."""
    if isinstance(exc, RequestDataTooBig):
        return Response(
            {"detail": f"Request body too large: {exc} Send a smaller body."}, status=413
        )
    response = drf_exception_handler(exc, context)
    if response is None and isinstance(exc, IntegrityError):
        # a concurrent change won (e.g. the object was deleted while this request
        # changed it): the request may be retried
        log.info("API write lost a race: %s", exc)
        return Response(
            {
                "detail": "Conflict with a concurrent change (the object may have been "
                "changed or deleted meanwhile); reload and retry."
            },
            status=409,
        )
    if response is None:
        log.exception("unhandled API error", exc_info=exc)
        return Response(
            {"detail": "Internal error; it has been logged. Please retry or report it."},
            status=500,
        )
    return response
