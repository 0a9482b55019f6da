"""Fixtures of the identity tests: the products tests' ``mesh`` plus a contract, an
auditor, a team steward and a plain member; and ``events``, the security events sent."""

import pytest
from django.contrib.auth.models import User

from identity.models import RoleAssignment
from identity.signals import security_event
from products.models import DataContract, TeamMembership
from tests.products.conftest import mesh as products_mesh  # noqa: F401  (fixture)


@pytest.fixture
def world(products_mesh):  # noqa: F811
    """``mesh`` (olivia owner of sales-eng, fred owner of finance, oscar in no team,
    root staff) plus: ``sam`` steward of sales-eng, ``mel`` a plain member of sales-eng
    (may not edit), ``audrey`` a global auditor, the contract ``ledger-entries``."""
    w = dict(products_mesh)
    w["sam"] = User.objects.create_user("sam")
    w["mel"] = User.objects.create_user("mel")
    w["audrey"] = User.objects.create_user("audrey")
    TeamMembership.objects.create(team=w["sales_eng"], user=w["sam"], role="steward")
    TeamMembership.objects.create(team=w["sales_eng"], user=w["mel"], role="member")
    RoleAssignment.objects.create(user=w["audrey"], role="auditor")
    w["contract"] = DataContract.objects.create(
        uid="ledger-entries", name="Ledger entries", document={"id": "ledger-entries"}
    )
    w["ledger_port"].data_contract = w["contract"]
    w["ledger_port"].save()
    return w


@pytest.fixture
def events():
    """Security events sent during the test: a list of ``{action, actor, subject, detail}``."""
    sent = []

    def receiver(sender, action, actor, subject, detail, **kwargs):
        sent.append({"action": action, "actor": actor, "subject": subject, "detail": detail})

    security_event.connect(receiver, dispatch_uid="tests-identity-events")
    yield sent
    security_event.disconnect(dispatch_uid="tests-identity-events")
