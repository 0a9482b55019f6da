"""The quickstart step: a demo consumer and one open request beside the demo admin."""

from django.contrib.auth.models import User

from access.models import AccessRequest
from access.samples import load_sample_access


def test_demo_consumer_and_open_request_only_beside_the_demo_admin(mesh):
    assert load_sample_access(None, None)[0]["status"] == "skipped"
    assert not User.objects.filter(username="consumer", access_requests__isnull=False).exists()
    User.objects.create_superuser("admin", "admin@example.com", "admin")
    row = load_sample_access(None, None)[0]
    assert row["assets"] == 1
    request = AccessRequest.objects.get(consumer__username="consumer")
    assert request.state == "requested" and request.port == mesh.port
    assert load_sample_access(None, None)[0]["assets"] == 1  # idempotent
