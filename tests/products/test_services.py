"""The write rule of products (:mod:`products.services`): permission, snapshot, one
transaction, history; the same for the web pages, the API, the admin and the command."""

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied

from products.models import DataProduct, Domain, EditRecord, Team, TeamMembership
from products.services import DomainEdit, ProductEdit, TeamEdit


@pytest.fixture
def mesh_rows(db):
    team = Team.objects.create(slug="sales", name="Sales")
    owner = User.objects.create_user("olivia")
    TeamMembership.objects.create(team=team, user=owner, role="owner")
    product = DataProduct.objects.create(uid="orders", name="Orders", owner_team=team)
    domain = Domain.objects.create(slug="sales", name="Sales", owner_team=team)
    return {
        "team": team,
        "owner": owner,
        "product": product,
        "domain": domain,
        "outsider": User.objects.create_user("oscar"),
    }


def test_owner_edit_is_saved_and_recorded_with_old_and_new(mesh_rows):
    product = mesh_rows["product"]
    with ProductEdit(product, mesh_rows["owner"], "update") as change:
        product.name = "Orders v2"
        product.save()
    record = EditRecord.objects.get(product=product)
    assert change.record_ == record
    assert (record.action, record.user, record.changes["name"]) == (
        "update",
        mesh_rows["owner"],
        ["Orders", "Orders v2"],
    )


def test_outsider_is_refused_before_anything_is_written(mesh_rows):
    with pytest.raises(PermissionDenied, match="owning team"):
        ProductEdit(mesh_rows["product"], mesh_rows["outsider"], "update")
    with pytest.raises(PermissionDenied, match="owning team"):
        DomainEdit(mesh_rows["domain"], mesh_rows["outsider"], "update")
    with pytest.raises(PermissionDenied, match="staff"):
        TeamEdit(mesh_rows["team"], mesh_rows["owner"], "update")
    assert not EditRecord.objects.exists()


def test_a_failing_block_rolls_back_the_change_and_records_nothing(mesh_rows):
    product = mesh_rows["product"]
    with pytest.raises(ValueError), ProductEdit(product, mesh_rows["owner"], "update"):
        DataProduct.objects.filter(pk=product.pk).update(name="half done")
        raise ValueError("the form blew up")
    assert DataProduct.objects.get(pk=product.pk).name == "Orders"
    assert not EditRecord.objects.exists()


def test_no_change_records_nothing_but_create_always_does(mesh_rows):
    with ProductEdit(mesh_rows["product"], mesh_rows["owner"], "update"):
        pass
    assert not EditRecord.objects.exists()
    with ProductEdit(None, mesh_rows["owner"], "create") as change:
        change.obj = DataProduct.objects.create(uid="new", name="New", owner_team=mesh_rows["team"])
    assert EditRecord.objects.get().action == "create"


def test_the_command_line_user_none_is_not_checked(mesh_rows):
    product = mesh_rows["product"]
    with ProductEdit(product, None, "import"):
        product.status = "active"
        product.save()
    assert EditRecord.objects.get().user is None
