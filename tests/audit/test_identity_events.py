"""Identity's security events reach the audit trail through the connected receiver."""

from django.contrib.auth.models import User
from django.test import Client

from audit.models import AuditEntry


def test_sign_in_and_failed_sign_in_are_audited(db):
    User.objects.create_user("ada", password="correct horse")
    client = Client()
    client.post("/accounts/login/", {"username": "ada", "password": "wrong horse"})
    client.post("/accounts/login/", {"username": "ada", "password": "correct horse"})
    actions = list(AuditEntry.objects.order_by("seq").values_list("action", flat=True))
    assert "login_failed" in actions and "login" in actions
    assert actions.index("login_failed") < actions.index("login")
    assert not AuditEntry.objects.filter(detail__icontains="horse").exists()
