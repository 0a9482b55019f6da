"""``Authorization: Bearer <token>`` for OpenLineage clients.

OpenLineage clients configured with an API key (``OPENLINEAGE__TRANSPORT__AUTH__API_KEY``,
``openlineage.yml`` ``auth: {type: api_key}``) send ``Authorization: Bearer <key>``;
this accepts a DRF token there, exactly like ``Authorization: Token <key>``.
"""

from rest_framework.authentication import TokenAuthentication


class BearerTokenAuthentication(TokenAuthentication):
    """DRF token authentication with the ``Bearer`` keyword; 401 for a bad token."""

    keyword = "Bearer"
