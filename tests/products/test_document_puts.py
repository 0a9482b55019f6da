"""Issue 9, item 4: YAML document PUTs check permissions first and answer 400, not 500.

``PUT /api/v1/contracts/<id>/document`` and ``PUT /api/v1/products/<uid>/descriptor``
with an empty body, a JSON body or a form body: callers without the right get 403
before the body is read; callers with it get a 400 naming the problem.
"""

import json

import pytest

from tests.products.test_api import client_for, world  # noqa: F401 - fixture
from tests.products.test_contracts_api import UID, URL, bind

DESCRIPTOR = "/api/v1/products/orders/descriptor"


def bodies():
    """(body, content type) pairs that are not an ODPS/ODCS YAML document."""
    return [
        ("", "application/yaml"),
        ("", "application/json"),
        (json.dumps({"id": UID}), "application/json"),
        (json.dumps([1, 2]), "application/json"),
        ("a=1&b=2", "application/x-www-form-urlencoded"),
        ("   \n", "text/plain"),
    ]


@pytest.mark.parametrize("body,content_type", bodies())
def test_descriptor_put_with_a_non_document_body(world, body, content_type):  # noqa: F811
    outsider = client_for(world["outsider"])
    resp = outsider.put(DESCRIPTOR, body, content_type=content_type)
    assert resp.status_code == 403
    owner = client_for(world["owner"])
    resp = owner.put(DESCRIPTOR, body, content_type=content_type)
    assert resp.status_code == 400, resp.content
    assert resp.json()["problems"], resp.json()


@pytest.mark.parametrize("body,content_type", bodies())
def test_contract_put_with_a_non_document_body(world, body, content_type):  # noqa: F811
    bind(world)  # the owner's product names the contract: only its team may replace it
    outsider = client_for(world["outsider"])
    resp = outsider.put(URL, body, content_type=content_type)
    assert resp.status_code == 403
    owner = client_for(world["owner"])
    resp = owner.put(URL, body, content_type=content_type)
    assert resp.status_code == 400, resp.content
    assert resp.json()["problems"], resp.json()


def test_empty_body_names_the_problem(world):  # noqa: F811
    resp = client_for(world["owner"]).put(URL, "", content_type="application/yaml")
    assert resp.status_code == 400
    assert "body" in resp.json()["problems"][0] and "YAML" in resp.json()["problems"][0]


def test_anonymous_put_is_refused_before_the_body_is_read(world):  # noqa: F811
    for url in (URL, DESCRIPTOR):
        assert client_for(None).put(url, "", content_type="application/json").status_code in (
            401,
            403,
        )
