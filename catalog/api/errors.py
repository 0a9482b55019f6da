"""API error handling: JSON bodies, never a stack trace."""

import logging

from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

log = logging.getLogger(__name__)


def exception_handler(exc, context):
    """DRF's handler, plus a JSON 500 ``{"detail": ...}`` for unexpected exceptions."""
    response = drf_exception_handler(exc, context)
    if response is None:
        log.exception("unhandled API error", exc_info=exc)
        return Response(
            {"detail": "Internal error; it has been logged. Please retry or report it."},
            status=500,
        )
    return response
