"""How case endpoints enter the contract: action endpoints and the documented case operations."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.decorators import action

from protocol.etags import IF_MATCH_OPTIONAL_PARAMETER, IF_MATCH_PARAMETER
from protocol.idempotency import IDEMPOTENCY_KEY_PARAMETER, idempotent

ACTION_PARAMETERS = [IF_MATCH_OPTIONAL_PARAMETER, IDEMPOTENCY_KEY_PARAMETER]


def case_action(service, payload=None, *, summary: str, description: str, **kwargs):
    """An action endpoint: POST {id}/{action}/ calling one service.

    ``extend_schema`` wraps ``action`` from outside: ``action`` replaces the handler's
    ``kwargs``, where drf-spectacular keeps what an inner ``extend_schema`` declared.
    """

    @idempotent("replay_case")
    def handler(self, request, pk=None):
        return self._act(service, payload)

    handler.__name__ = service.__name__.split("_", 1)[1]
    handler.__doc__ = summary
    return extend_schema(
        request=payload,
        parameters=ACTION_PARAMETERS,
        summary=summary,
        description=description,
    )(action(detail=True, methods=["post"], **kwargs)(handler))


def case_schemas(*, kind, as_read, write_serializer, serializer, docs):
    """The list, detail, create and draft-edit operations of one kind of case, in the contract."""
    return extend_schema_view(
        list=extend_schema(responses=as_read(many=True), **docs["list"]),
        retrieve=extend_schema(responses=as_read(), **docs["retrieve"]),
        create=extend_schema(
            request=write_serializer,
            responses={201: serializer},
            parameters=[IDEMPOTENCY_KEY_PARAMETER],
            **docs["create"],
        ),
        partial_update=extend_schema(
            request=write_serializer,
            responses=serializer,
            parameters=[IF_MATCH_PARAMETER],
            summary=f"Edit a draft {kind}",
            description=f"Changes the fields sent, and only those, while the {kind} is a "
            "draft; `If-Match` with the ETag you read is required.",
        ),
    )
