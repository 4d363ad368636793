"""Token endpoint rules: revoked clients get no token; scopes stay within the client's."""

from oauth2_provider.oauth2_validators import OAuth2Validator

from .models import ApiClient


def _api_client(application) -> ApiClient | None:
    return ApiClient.objects.filter(application=application).first() if application else None


class ApiClientOAuth2Validator(OAuth2Validator):
    def authenticate_client(self, request, *args, **kwargs):
        if not super().authenticate_client(request, *args, **kwargs):
            return False
        client = _api_client(request.client)
        if client is None or client.is_revoked or not client.agency.is_active:
            return False
        request.api_client = client
        return True

    def validate_scopes(self, client_id, scopes, client, request, *args, **kwargs):
        api_client = getattr(request, "api_client", None) or _api_client(client)
        return api_client is not None and set(scopes) <= set(api_client.scopes)

    def get_default_scopes(self, client_id, request, *args, **kwargs):
        api_client = getattr(request, "api_client", None) or _api_client(request.client)
        return list(api_client.scopes) if api_client else []
