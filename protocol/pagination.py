"""Cursor pagination: ``?cursor=``, ``?limit=`` (1 to 200, default 50); ``results``, ``next``."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response


class CursorPage(CursorPagination):
    page_size = 50
    max_page_size = 200
    page_size_query_param = "limit"
    ordering = ("-created_at", "-pk")
    invalid_cursor_message = _("The cursor is invalid; start again without it.")

    def get_ordering(self, request, queryset, view):
        self.model = queryset.model
        return getattr(view, "cursor_ordering", self.ordering)

    def decode_cursor(self, request):
        """The cursor, when it decodes and its position is a value of the first ordering field:
        anything else a client made up is a 400 problem, never a query that fails."""
        invalid = exceptions.ValidationError({"cursor": [self.invalid_cursor_message]})
        if request.query_params.get(self.cursor_query_param) == "":
            raise invalid  # the contract's cursor has a length: an empty one is not the first page
        try:
            cursor = super().decode_cursor(request)
        except exceptions.NotFound:
            raise invalid from None
        if cursor is None or cursor.position is None:
            return cursor
        field = self.model._meta.get_field(self.ordering[0].lstrip("-"))
        try:
            if "\x00" in cursor.position:
                raise ValueError("NUL in the position")
            value = field.to_python(cursor.position)
            field.run_validators(value)  # integer fields: the database's range
        except (DjangoValidationError, ValueError, TypeError, OverflowError):
            raise invalid from None
        return cursor

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if not 1 <= size <= self.max_page_size:
            raise exceptions.ValidationError(
                {"limit": [_("A whole number from 1 to %(max)s.") % {"max": self.max_page_size}]}
            )
        return size

    def get_paginated_response(self, data):
        return Response({"next": self.get_next_link(), "results": data})

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update({"minimum": 1, "maximum": self.max_page_size})
            if parameter["name"] == self.cursor_query_param:
                parameter["schema"]["minLength"] = 1
        return parameters

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["results", "next"],
            "properties": {
                "next": {
                    "type": ["string", "null"],
                    "format": "uri",
                    "description": "The next page; null on the last.",
                },
                "results": schema,
            },
        }
