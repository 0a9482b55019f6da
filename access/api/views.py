"""Access API: ``/api/v1/access-requests`` and ``/api/v1/grants``.

Every action goes through :mod:`access.services`; errors map to 400 (``{field:
[message]}``), 403, 404 and 409 (``{"detail", "state"}`` or ``{"detail", "existing"}``).
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from access import services
from access.api.serializers import (
    AccessCommentSerializer,
    AccessRequestSerializer,
    ApproveSerializer,
    CommentSerializer,
    EndDateSerializer,
    ReasonSerializer,
)
from access.filtersets import AccessRequestFilterSet
from access.models import GRANT_STATES, AccessRequest
from access.permissions import approvable_filter, managed_requests
from catalog.api.params import choice_param
from products.models import OutputPort
from products.permissions import is_admin

SELECT = ("consumer", "port__product", "decided_by")
#: ``scope`` of the request list: mine (default), to_approve, all
SCOPES = ("mine", "to_approve", "all")


def run(fn, *args, **kwargs):
    """Call a service; translate its errors to DRF responses/exceptions."""
    try:
        return fn(*args, **kwargs), None
    except DjangoValidationError as exc:
        detail = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        raise ValidationError(detail) from None
    except DjangoPermissionDenied as exc:
        raise PermissionDenied(str(exc) or "You may not do this.") from None
    except services.StateConflict as exc:
        return None, Response({"detail": str(exc), "state": exc.state}, status.HTTP_409_CONFLICT)
    except services.DuplicateRequest as exc:
        return None, Response(
            {
                "detail": str(exc),
                "existing": exc.existing.pk,
                "url": f"/api/v1/access-requests/{exc.existing.pk}",
            },
            status.HTTP_409_CONFLICT,
        )


def _visible(user):
    """Requests ``user`` may see: their own, those they approve or manage (staff: all)."""
    if is_admin(user):
        return AccessRequest.objects.all()
    return AccessRequest.objects.filter(
        Q(consumer=user)
        | Q(pk__in=managed_requests(user).values("pk"))
        | Q(pk__in=AccessRequest.objects.filter(approvable_filter(user)).values("pk"))
    )


class _Base(viewsets.GenericViewSet):
    queryset = AccessRequest.objects.none()  # the model, for the OpenAPI schema
    serializer_class = AccessRequestSerializer
    permission_classes = [IsAuthenticated]
    filterset_class = AccessRequestFilterSet

    def _answer(self, result, error, code=status.HTTP_200_OK):
        if error is not None:
            return error
        if hasattr(result, "request_id"):
            return Response(AccessCommentSerializer(result).data, status=code)
        return Response(self.get_serializer(result).data, status=code)


class AccessRequestViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, _Base):
    """Access requests. ``GET`` lists ``scope=mine`` (default: my requests) or
    ``scope=to_approve`` (open requests whose current step I may approve) or ``scope=all``
    (everything I may see), filtered by ``state``, ``port``, ``product``, ``level``.
    ``POST {port, level, purpose, end_date, principal}`` creates one (201; 400 naming the
    field; 409 with ``existing`` for a duplicate open request). Actions (POST):
    ``approve {end_date?, comment?}``, ``deny {reason}``, ``withdraw``, ``comment {text}``.
    """

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return AccessRequest.objects.none()
        user = self.request.user
        scope = None
        if self.action == "list":  # 400 for a scope outside the enum, empty or repeated
            scope = choice_param(self.request.query_params, "scope", SCOPES, "mine")
        if scope is None:
            qs = _visible(user)
        elif scope == "to_approve":
            qs = AccessRequest.objects.filter(approvable_filter(user), state="requested")
        elif scope == "all":
            qs = _visible(user)
        else:
            qs = AccessRequest.objects.filter(consumer=user)
        return qs.select_related(*SELECT).order_by("-created_at", "-id")

    @extend_schema(parameters=[OpenApiParameter("scope", str, enum=list(SCOPES))])
    def list(self, request, *args, **kwargs):
        """Requests (see the class docstring)."""
        return super().list(request, *args, **kwargs)

    def create(self, request):
        """Create a request (see the class docstring)."""
        data = request.data
        if not isinstance(data, dict):
            raise ValidationError({"non_field_errors": ["The body must be a JSON object."]})
        port_id = data.get("port")
        if not isinstance(port_id, int) or isinstance(port_id, bool):
            raise ValidationError({"port": ["An output port id (integer) is required."]})
        port = OutputPort.objects.filter(pk=port_id).first()
        if port is None:
            raise ValidationError({"port": ["Unknown output port."]})
        result, error = run(
            services.create_request,
            request.user,
            port,
            purpose=data.get("purpose", ""),
            end_date=data.get("end_date", ""),
            level=data.get("level", "read"),
            principal=data.get("principal", ""),
        )
        return self._answer(result, error, status.HTTP_201_CREATED)

    @extend_schema(request=ApproveSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Approve the current step (403 without the right or on one's own request)."""
        body = ApproveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._answer(
            *run(
                services.approve,
                self.get_object(),
                request.user,
                end_date=body.validated_data.get("end_date"),
                comment=body.validated_data["comment"],
            )
        )

    @extend_schema(request=ReasonSerializer)
    @action(detail=True, methods=["post"])
    def deny(self, request, pk=None):
        """Deny with a reason (400 without one)."""
        body = ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._answer(
            *run(
                services.deny, self.get_object(), request.user, reason=body.validated_data["reason"]
            )
        )

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        """The consumer withdraws the request."""
        return self._answer(*run(services.withdraw, self.get_object(), request.user))

    @extend_schema(request=CommentSerializer, responses={201: AccessCommentSerializer})
    @action(detail=True, methods=["post"])
    def comment(self, request, pk=None):
        """Add a comment (201)."""
        body = CommentSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._answer(
            *run(services.comment, self.get_object(), request.user, body.validated_data["text"]),
            code=status.HTTP_201_CREATED,
        )


class GrantViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, _Base):
    """Grants (requests from ``approved`` on): mine and those I manage (staff: all),
    filtered by ``state``, ``port``, ``product``, ``level``, ``consumer``. Actions (POST):
    ``revoke {reason?}``, ``extend {end_date}``, ``retry`` (failed provisioning),
    ``mark_provisioned`` (manual grants), ``renew {end_date}`` (consumer: a new request).
    """

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return AccessRequest.objects.none()
        return (
            _visible(self.request.user)
            .filter(state__in=GRANT_STATES)
            .select_related(*SELECT)
            .order_by("-created_at", "-id")
        )

    @extend_schema(request=ReasonSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        """Revoke the grant (also in the warehouse, after commit)."""
        body = ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._answer(
            *run(
                services.revoke,
                self.get_object(),
                request.user,
                reason=body.validated_data["reason"],
            )
        )

    @extend_schema(request=EndDateSerializer)
    @action(detail=True, methods=["post"])
    def extend(self, request, pk=None):
        """Move the end date (owners; capped by MESH_ACCESS_MAX_DAYS)."""
        body = EndDateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._answer(
            *run(
                services.extend,
                self.get_object(),
                request.user,
                end_date=body.validated_data["end_date"],
            )
        )

    @extend_schema(request=EndDateSerializer, responses={201: AccessRequestSerializer})
    @action(detail=True, methods=["post"])
    def renew(self, request, pk=None):
        """The consumer asks for a renewal: a new request (201)."""
        body = EndDateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._answer(
            *run(
                services.renew,
                self.get_object(),
                request.user,
                end_date=body.validated_data["end_date"],
            ),
            code=status.HTTP_201_CREATED,
        )

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        """Retry failed provisioning now."""
        return self._answer(*run(services.retry, self.get_object(), request.user))

    @extend_schema(request=None)
    @action(detail=True, methods=["post"], url_path="mark-provisioned")
    def mark_provisioned(self, request, pk=None):
        """Confirm a manual grant was made."""
        return self._answer(*run(services.mark_provisioned, self.get_object(), request.user))
