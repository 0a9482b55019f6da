"""OpenAPI generation that knows the catalog's read policy (drf-spectacular).

drf-spectacular marks an operation as open to anonymous callers (security ``{}``) only
for DRF's own ``AllowAny`` / ``IsAuthenticatedOrReadOnly``; the catalog guards reads with
:class:`identity.permissions.CatalogPermission`, so the schema would claim that every
read needs a token while ``MESH_PUBLIC_READ`` (the default) serves them to anyone.
"""

from drf_spectacular.openapi import AutoSchema

from identity.permissions import reads_open_to_anonymous


class CatalogAutoSchema(AutoSchema):
    """AutoSchema whose reads carry optional auth (``{}``) when the read policy is open."""

    def get_auth(self) -> list[dict]:
        """The security requirements of the operation (OpenAPI 3 ``security``)."""
        auths = super().get_auth()
        if {} not in auths and reads_open_to_anonymous(self.view, self.method):
            auths.append({})
        return auths
