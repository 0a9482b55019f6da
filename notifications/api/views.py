"""Notifications API: ``/api/v1/incidents``, ``/api/v1/subscriptions``,
``/api/v1/notifications`` and ``/api/v1/webhooks`` (with ``/deliveries``, the log).

Writes go through :mod:`notifications.services` and :mod:`notifications.incidents`;
errors map to 400 (``{field: [message]}``), 403, 404 and 409 (``{"detail", "state"}``).
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from catalog.models import Asset
from identity.permissions import ReadPolicyPermission
from notifications import incidents, services
from notifications.api.serializers import (
    DeliverySerializer,
    IncidentActionSerializer,
    IncidentDetailSerializer,
    IncidentSerializer,
    MarkReadSerializer,
    NotificationSerializer,
    SubscriptionSerializer,
    WebhookSerializer,
)
from notifications.filtersets import IncidentFilterSet
from notifications.models import EventType, Incident, Subscription, Webhook
from products.models import DataProduct
from products.permissions import in_team, is_admin


def run(fn, *args, **kwargs):
    """Call a service; translate its errors to DRF exceptions (400/403) or a 409."""
    try:
        return fn(*args, **kwargs), None
    except DjangoValidationError as exc:
        detail = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        raise ValidationError(detail) from None
    except DjangoPermissionDenied as exc:
        raise PermissionDenied(str(exc) or "You may not do this.") from None
    except incidents.StateConflict as exc:
        return None, Response({"detail": str(exc), "state": exc.state}, status=409)


class IncidentViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):  # fmt: skip
    """Incidents. ``GET`` lists (filters ``state``, ``severity``, ``cause``, ``asset``
    URN, ``product`` uid), ``POST`` opens one by hand, ``POST /<id>/acknowledge``,
    ``/resolve`` (``note``), ``/reopen``, ``/comment`` (``text``), ``/update``
    (``severity``, ``assignee`` username)."""

    queryset = Incident.objects.select_related("asset", "product", "assignee", "opened_by")
    serializer_class = IncidentSerializer
    filterset_class = IncidentFilterSet
    permission_classes = [ReadPolicyPermission]

    def get_serializer_class(self):
        """Detail (with the timeline) for one incident, the list shape otherwise."""
        if self.action == "retrieve":
            return IncidentDetailSerializer
        if self.action in ("acknowledge", "resolve", "reopen", "comment", "update_incident"):
            return IncidentActionSerializer
        return IncidentSerializer

    def get_queryset(self):
        """With the timeline prefetched for a detail."""
        qs = super().get_queryset()
        return qs.prefetch_related("entries__author") if self.action == "retrieve" else qs

    @extend_schema(request=IncidentSerializer, responses={201: IncidentDetailSerializer})
    def create(self, request, *args, **kwargs):
        """Open an incident on ``asset`` (URN) or ``product`` (uid); 400 naming the field."""
        body = IncidentSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        asset = product = None
        urn = (data.get("asset") or {}).get("urn")
        uid = (data.get("product") or {}).get("uid")
        if urn:
            asset = Asset.objects.filter(urn=urn).first()
            if asset is None:
                raise ValidationError({"asset": [f"no asset with URN {urn}"]})
        if uid:
            product = DataProduct.objects.filter(uid=uid).first()
            if product is None:
                raise ValidationError({"product": [f"no product with id {uid}"]})
        (incident, _), _ = run(
            incidents.open_incident,
            episode=incidents.manual_episode(),
            title=data.get("title", ""),
            severity=data.get("severity"),
            description=data.get("description", ""),
            asset=asset,
            product=product,
            user=request.user,
        )
        return Response(IncidentDetailSerializer(incident).data, status=status.HTTP_201_CREATED)

    def _act(self, request, fn, *args, **kwargs):
        incident = self.get_object()
        _, conflict = run(fn, incident, request.user, *args, **kwargs)
        if conflict is not None:
            return conflict
        incident.refresh_from_db()
        return Response(IncidentDetailSerializer(incident).data)

    @extend_schema(request=None, responses=IncidentDetailSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        """open → acknowledged (409 otherwise)."""
        return self._act(request, incidents.acknowledge)

    @extend_schema(request=IncidentActionSerializer, responses=IncidentDetailSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        """open/acknowledged → resolved, with an optional ``note``."""
        body = IncidentActionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._act(request, incidents.resolve, body.validated_data.get("note", ""))

    @extend_schema(request=None, responses=IncidentDetailSerializer)
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        """resolved → open."""
        return self._act(request, incidents.reopen)

    @extend_schema(request=IncidentActionSerializer, responses=IncidentDetailSerializer)
    @action(detail=True, methods=["post"])
    def comment(self, request, pk=None):
        """Add ``text`` to the timeline (400 when empty)."""
        body = IncidentActionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._act(request, incidents.comment, body.validated_data.get("text", ""))

    @extend_schema(request=IncidentActionSerializer, responses=IncidentDetailSerializer)
    @action(detail=True, methods=["post"], url_path="update")
    def update_incident(self, request, pk=None):
        """Change ``severity`` and/or ``assignee`` (username; empty unassigns)."""
        body = IncidentActionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        kwargs = {"severity": data.get("severity")}
        if "assignee" in data:
            name = data["assignee"] or ""
            user = get_user_model().objects.filter(username=name).first() if name else None
            if name and user is None:
                raise ValidationError({"assignee": [f"no user {name!r}"]})
            kwargs["assignee"] = user
        return self._act(request, incidents.update, **kwargs)


class SubscriptionViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
    mixins.UpdateModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet,
):  # fmt: skip
    """The caller's subscriptions and their teams' (``POST`` watches or mutes a target;
    an existing one is updated; ``PATCH`` changes ``muted`` / ``event_types``)."""

    serializer_class = SubscriptionSerializer
    permission_classes = [IsAuthenticated]
    queryset = Subscription.objects.none()

    def get_queryset(self):
        """Own and own teams' subscriptions."""
        user = self.request.user
        return (
            Subscription.objects.filter(Q(user=user) | Q(team__memberships__user=user))
            .select_related("team")
            .distinct()
        )

    def _save(self, data, instance=None):
        kind = data.get("target_kind", getattr(instance, "target_kind", None))
        target = data.get("target_id", getattr(instance, "target_id", None))
        team = data.get("team", getattr(instance, "team", None))
        sub, _ = run(
            services.watch,
            self.request.user,
            kind,
            target,
            team=team,
            event_types=data.get("event_types", getattr(instance, "event_types", [])),
            muted=data.get("muted", getattr(instance, "muted", False)),
        )
        return sub

    def create(self, request, *args, **kwargs):
        """Watch (or mute, ``muted: true``) a target; 400 naming a bad kind/id/type."""
        body = self.get_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        sub = self._save(body.validated_data)
        return Response(self.get_serializer(sub).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        """Change ``muted`` and ``event_types`` of a subscription."""
        instance = self.get_object()
        self._check_owner(instance)
        body = self.get_serializer(instance, data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        return Response(self.get_serializer(self._save(body.validated_data, instance)).data)

    def perform_destroy(self, instance):
        """Unwatch (a team's subscription: members of the team or staff)."""
        self._check_owner(instance)
        instance.delete()

    def _check_owner(self, instance):
        user = self.request.user
        if instance.team_id and not (is_admin(user) or in_team(user, instance.team)):
            raise PermissionDenied("you are not a member of this team")


class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The caller's in-app notifications, newest first (``?unread=true`` only unread);
    ``POST /notifications/read`` marks ``ids`` (or all) read; ``GET
    /notifications/unread-count`` gives ``{"unread": n}``."""

    serializer_class = NotificationSerializer
    permission_classes = [IsAuthenticated]
    queryset = Subscription.objects.none()

    def get_queryset(self):
        """Inbox deliveries of the caller."""
        rows = services.inbox(self.request.user)
        if self.request.query_params.get("unread") in ("1", "true"):
            rows = rows.filter(read_at__isnull=True)
        return rows

    @extend_schema(request=MarkReadSerializer, responses={200: dict})
    @action(detail=False, methods=["post"])
    def read(self, request):
        """Mark ``ids`` (all when omitted) read: ``{"marked": n}``."""
        body = MarkReadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        count = services.mark_read(request.user, body.validated_data.get("ids"))
        return Response({"marked": count})

    @extend_schema(responses={200: dict})
    @action(detail=False, methods=["get"], url_path="unread-count")
    def unread_count(self, request):
        """``{"unread": n}``."""
        return Response({"unread": services.unread_count(request.user)})


class WebhookViewSet(viewsets.ModelViewSet):
    """Webhooks of the caller and their teams (catalog-wide ones, without owner: staff
    only). ``GET /webhooks/<id>/deliveries``: the delivery log (last 50)."""

    serializer_class = WebhookSerializer
    permission_classes = [IsAuthenticated]
    queryset = Webhook.objects.none()

    def get_queryset(self):
        """Own, own teams' and (for staff) catalog-wide webhooks."""
        user = self.request.user
        q = Q(user=user) | Q(team__memberships__user=user)
        if is_admin(user):
            q |= Q(user__isnull=True, team__isnull=True)
        return Webhook.objects.filter(q).select_related("team").distinct()

    def _check(self, data):
        bad = [t for t in data.get("event_types", []) if t not in EventType.values]
        if bad:
            raise ValidationError({"event_types": [f"unknown event types: {', '.join(bad)}"]})
        team = data.get("team")
        user = self.request.user
        if team is not None and not (is_admin(user) or in_team(user, team)):
            raise PermissionDenied("you are not a member of this team")

    def perform_create(self, serializer):
        """A user's webhook, a team's (``team``), or catalog-wide (staff, ``global``)."""
        self._check(serializer.validated_data)
        team = serializer.validated_data.get("team")
        glob = self.request.data.get("global") in (True, "true", "1")
        if glob and not is_admin(self.request.user):
            raise PermissionDenied("only staff may add catalog-wide webhooks")
        serializer.save(user=None if (team or glob) else self.request.user)

    def perform_update(self, serializer):
        """Change a webhook (same rules as create)."""
        self._check(serializer.validated_data)
        serializer.save()

    @extend_schema(responses=DeliverySerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)
    def deliveries(self, request, pk=None):
        """The webhook's last 50 deliveries with their last response."""
        hook = self.get_object()
        rows = services.webhook_log(hook)
        return Response(DeliverySerializer(rows, many=True).data)
