"""The strict input serializer base: unknown fields and JSON types refused, as the contract says."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers


def _writable(fields) -> dict:
    return {name: field for name, field in fields.items() if not field.read_only}


def _unknown_keys(fields, data: dict) -> dict:
    """Keys a body carries that the serializer does not take: refused, never silently dropped."""
    known = _writable(fields)
    return {name: [_("Unknown field.")] for name in data if name not in known}


def _json_type_problem(field, value):
    """Where the schema says string, only a JSON string will do: 42 is not a username."""
    if value is None or field.read_only:
        return None
    if isinstance(field, serializers.Serializer):
        return _json_problems(field.fields, value) if isinstance(value, dict) else None
    if isinstance(field, serializers.ListSerializer | serializers.ListField):
        if not isinstance(value, list):
            return None
        found = {i: p for i, v in enumerate(value) if (p := _json_type_problem(field.child, v))}
        return found or None
    if isinstance(field, serializers.CharField | serializers.ChoiceField) and not isinstance(
        value, str
    ):
        return [_("Must be a JSON string.")]
    return None


def _json_problems(fields, data: dict) -> dict:
    typed = {
        name: problem
        for name, field in _writable(fields).items()
        if name in data and (problem := _json_type_problem(field, data[name]))
    }
    return {**_unknown_keys(fields, data), **typed}


class StrictJsonMixin:
    # Input serializers refuse fields they do not take (a misspelt ``focal_piont`` is a 400
    # naming it, not data lost) and numbers or booleans where the contract says string; nested
    # serializers are held to the same rule. No docstring: the schema would show it.

    def to_internal_value(self, data):
        problems = _json_problems(self.fields, data) if isinstance(data, dict) else {}
        if not problems:
            return super().to_internal_value(data)
        try:
            super().to_internal_value(data)
        except serializers.ValidationError as exc:
            other = exc.detail if isinstance(exc.detail, dict) else {}
            raise serializers.ValidationError({**other, **problems}) from exc
        raise serializers.ValidationError(problems)


class StrictSerializer(StrictJsonMixin, serializers.Serializer):
    # The base of every request body. No docstring: the schema takes descriptions from classes.
    pass
