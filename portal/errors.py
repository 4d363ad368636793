"""What a refused change says to a person: the services' errors flattened into sentences."""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from rest_framework.exceptions import APIException
from rest_framework.exceptions import ValidationError as ApiValidationError

from protocol.problems import PreconditionFailed, PreconditionRequired

REFUSALS = (DjangoValidationError, PermissionDenied, APIException)


def _flatten(detail, prefix: str = "") -> dict[str, list[str]]:
    """``{"verification": {"family_traced": ["..."]}}`` -> ``{"family_traced": ["..."]}``."""
    if isinstance(detail, dict):
        flat = {}
        for key, value in detail.items():
            name = key if key != "non_field_errors" else ""
            flat.update(_flatten(value, name or prefix))
        return flat
    if isinstance(detail, list | tuple):
        messages = []
        for item in detail:
            nested = _flatten(item, prefix)
            messages.extend(message for values in nested.values() for message in values)
        return {prefix: messages}
    return {prefix: [str(detail)]}


def refusal_of(exc: Exception) -> tuple[int, dict[str, list[str]]]:
    """The HTTP status and the messages by field ("" for the whole form) of a refused change."""
    if isinstance(exc, PreconditionFailed | PreconditionRequired):
        return 412, {
            "": [
                _(
                    "Someone changed this case while you were reading it. Nothing was "
                    "overwritten: here it is as it is now. Check it and try again."
                )
            ]
        }
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        return 400, _flatten(detail)
    if isinstance(exc, PermissionDenied):
        return 403, {"": [str(exc) or _("Your role does not allow this.")]}
    if isinstance(exc, ApiValidationError):
        return 400, _flatten(exc.detail)
    return exc.status_code, _flatten(exc.detail)
