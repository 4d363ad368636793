"""OpenAPI description of partner authentication: OAuth2 client credentials."""

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiClientTokenScheme(OpenApiAuthenticationExtension):
    target_class = "agencies.authentication.ApiClientTokenAuthentication"
    name = "oauth2"

    def get_security_definition(self, auto_schema):
        return {
            "type": "oauth2",
            "flows": {
                "clientCredentials": {"tokenUrl": "/o/token/", "scopes": settings.API_SCOPES}
            },
        }

    def get_security_requirement(self, auto_schema):
        view = auto_schema.view
        scope = view.read_scope if auto_schema.method in ("GET", "HEAD") else view.write_scope
        return {self.name: [scope] if scope else []}
