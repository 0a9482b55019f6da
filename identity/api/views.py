"""``/api/v1/tokens``: list, create and revoke API tokens (see :mod:`identity.tokens`).

Over a token, these need the ``admin`` scope (a token never mints its own peers);
a signed-in browser session needs nothing more."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from identity.models import SCOPES, ApiToken
from identity.tokens import create_token, revoke_token, visible_tokens


class TokenSerializer(serializers.ModelSerializer):
    """A token as listed: never its key."""

    user = serializers.CharField(source="user.username", read_only=True)

    class Meta:
        model = ApiToken
        fields = [
            "id", "name", "kind", "user", "prefix", "scopes",
            "created_at", "expires_at", "last_used_at", "revoked_at",
        ]  # fmt: skip


class TokenCreateSerializer(serializers.Serializer):
    """``{name, scopes: [read|write|ingest|admin], expires_in_days?, service_account?}``."""

    name = serializers.CharField(max_length=100)
    scopes = serializers.ListField(child=serializers.ChoiceField(choices=SCOPES))
    expires_in_days = serializers.IntegerField(required=False, min_value=1)
    service_account = serializers.CharField(required=False, allow_blank=True, max_length=140)


class TokenCreatedSerializer(TokenSerializer):
    """A new token with its ``key``, shown this once."""

    key = serializers.CharField(read_only=True)

    class Meta(TokenSerializer.Meta):
        fields = [*TokenSerializer.Meta.fields, "key"]


def _no_token_minting(request) -> None:
    if isinstance(request.auth, ApiToken) and not request.auth.allows("admin"):
        raise PermissionDenied("Managing tokens with a token needs the 'admin' scope.")


class TokenListView(APIView):
    """``GET /api/v1/tokens``: your tokens (admins: all); ``POST``: create one → 201 with
    the ``key`` (shown once). 400 names the bad field; 403 for the admin scope or a
    service account without being an admin."""

    permission_classes = [IsAuthenticated]
    token_scope = "admin"

    @extend_schema(responses=TokenSerializer(many=True))
    def get(self, request):
        _no_token_minting(request)
        return Response(TokenSerializer(visible_tokens(request.user)[:500], many=True).data)

    @extend_schema(request=TokenCreateSerializer, responses={201: TokenCreatedSerializer})
    def post(self, request):
        _no_token_minting(request)
        body = TokenCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            token, key = create_token(
                request.user,
                data["name"],
                data["scopes"],
                data.get("expires_in_days"),
                data.get("service_account", ""),
            )
        except ValidationError as exc:
            return Response(exc.message_dict, status=400)
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        token.key = key
        return Response(TokenCreatedSerializer(token).data, status=status.HTTP_201_CREATED)


class TokenDetailView(APIView):
    """``DELETE /api/v1/tokens/<id>``: revoke (204); 404 for a token you cannot see."""

    permission_classes = [IsAuthenticated]
    token_scope = "admin"

    @extend_schema(request=None, responses={204: None})
    def delete(self, request, pk: int):
        _no_token_minting(request)
        token = get_object_or_404(visible_tokens(request.user), pk=pk)
        revoke_token(request.user, token)
        return Response(status=status.HTTP_204_NO_CONTENT)
