"""Verified API tokens are reused by a process for ``MESH_TOKEN_CACHE_SECONDS`` (issue 13,
part 7: no token lookup per OpenLineage event); revocation still wins."""

import time
from datetime import timedelta

from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from identity.models import ApiToken


def client_for(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def token_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/v1/sources").status_code == 200
    return sum("identity_apitoken" in q["sql"] for q in queries.captured_queries)


def test_a_verified_token_is_reused_until_the_cache_time_is_over(db, settings):
    settings.MESH_TOKEN_CACHE_SECONDS = 0.5
    user = User.objects.create_user("reader")
    token, key = ApiToken.issue(user, "t", ["read"], timezone.now() + timedelta(days=1))
    client = client_for(key)
    assert token_queries(client) >= 1
    assert token_queries(client) == 0  # from the cache
    # revoked by another process (no signal here): refused once the cache time is over
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
    assert client.get("/api/v1/sources").status_code == 200
    time.sleep(0.6)
    assert client.get("/api/v1/sources").status_code == 401


def test_a_revocation_in_this_process_is_immediate_and_the_cache_can_be_off(db, settings):
    settings.MESH_TOKEN_CACHE_SECONDS = 60
    user = User.objects.create_user("reader")
    token, key = ApiToken.issue(user, "t", ["read"], timezone.now() + timedelta(days=1))
    client = client_for(key)
    assert client.get("/api/v1/sources").status_code == 200
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    assert client.get("/api/v1/sources").status_code == 401
    settings.MESH_TOKEN_CACHE_SECONDS = 0
    other_token, other = ApiToken.issue(user, "u", ["read"], timezone.now() + timedelta(days=1))
    client = client_for(other)
    assert token_queries(client) >= 1 and token_queries(client) >= 1
