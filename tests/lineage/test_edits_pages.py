"""The asset page's History tab (schema versions, their diff, edge history) and the
lineage tab's edit form (issue 13)."""

from django.test import Client

from lineage.models import LineageEdge
from tests.lineage.test_edits_api import COLUMNS, urn, world  # noqa: F401  (fixture)


def test_history_tab_shows_versions_diff_and_edge_history(world):  # noqa: F811
    world["harvest"]({"a": COLUMNS, "b": COLUMNS, "c": [("id", "bigint"), ("email", "string")]})
    new_c = [("id", "bigint"), ("email", "string")]
    world["harvest"]({"a": COLUMNS, "b": COLUMNS, "c": new_c}, edges=[("a", "b")])  # b → c ends
    client = Client()
    page = client.get(f"/assets/{urn('c')}?tab=history").content.decode()
    assert 'id="schema-diff"' in page and "Version 1 → 2" in page
    assert "added <code>email</code>" in page and "removed <code>name</code>" in page
    assert "<code>id</code>: integer → bigint" in page
    assert 'id="edge-history"' in page and "wh" in page  # the source of the ended edge
    ended = LineageEdge.objects.get(upstream__urn=urn("b"), downstream__urn=urn("c"))
    assert ended.valid_to is not None
    old = client.get(f"/assets/{urn('c')}?tab=history&from=0&to=1").content.decode()
    assert "Version 0 → 1" in old and "added <code>name</code>" in old
    bad = client.get(f"/assets/{urn('c')}?tab=history&from=7&to=1").content.decode()
    assert "No schema version 7." in bad


def test_lineage_tab_has_the_edit_form_for_signed_in_users(world):  # noqa: F811
    client = Client()
    anonymous = client.get(f"/assets/{urn('c')}?tab=lineage").content.decode()
    assert 'id="lineage-as-of"' in anonymous and 'id="lineage-add-form"' not in anonymous
    client.force_login(world["olivia"])
    page = client.get(f"/assets/{urn('c')}?tab=lineage").content.decode()
    assert 'id="lineage-add-form"' in page and 'data-signed-in="true"' in page
