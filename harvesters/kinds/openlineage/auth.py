"""``Authorization: Bearer <token>`` for OpenLineage clients.

OpenLineage clients configured with an API key (``OPENLINEAGE__TRANSPORT__AUTH__API_KEY``,
``openlineage.yml`` ``auth: {type: api_key}``) send ``Authorization: Bearer <key>``;
this accepts a DRF token there, exactly like ``Authorization: Token <key>``.

In the OpenAPI schema it is its own security scheme, ``bearerAuth`` (HTTP bearer, RFC
6750), next to DRF's ``tokenAuth`` (``Authorization: Token <key>``).
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import TokenAuthentication


class BearerTokenAuthentication(TokenAuthentication):
    """DRF token authentication with the ``Bearer`` keyword; 401 for a bad token."""

    keyword = "Bearer"


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """drf-spectacular: describe :class:`BearerTokenAuthentication` as the OpenAPI 3
    security scheme ``bearerAuth`` (``{"type": "http", "scheme": "bearer"}``).

    Without it drf-spectacular's ``TokenScheme`` (which matches subclasses of DRF's
    TokenAuthentication) names it ``tokenAuth`` too, and the two clash. Registered by
    defining it (imported with the lineage API).
    """

    target_class = BearerTokenAuthentication
    name = "bearerAuth"

    def get_security_definition(self, auto_schema) -> dict:
        """The security scheme object (OpenAPI 3.0 ``components.securitySchemes``)."""
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token sent as ``Authorization: Bearer <token>`` "
            "(what OpenLineage clients send for an API key).",
        }
