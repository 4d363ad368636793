"""The strict input serializer base: JSON types as the contract says them."""

from rest_framework import serializers


def _json_type_problem(field, value):
    """Where the schema says string, only a JSON string will do: 42 is not a username."""
    if value is None or field.read_only:
        return None
    if isinstance(field, serializers.Serializer):
        return _json_type_errors(field.fields, value) if isinstance(value, dict) else None
    if isinstance(field, serializers.ListSerializer | serializers.ListField):
        if not isinstance(value, list):
            return None
        found = {i: p for i, v in enumerate(value) if (p := _json_type_problem(field.child, v))}
        return found or None
    if isinstance(field, serializers.CharField | serializers.ChoiceField) and not isinstance(
        value, str
    ):
        return ["Must be a JSON string."]
    return None


def _json_type_errors(fields, data: dict) -> dict:
    return {
        name: problem
        for name, field in fields.items()
        if name in data and (problem := _json_type_problem(field, data[name]))
    }


class StrictJsonMixin:
    """Input serializers refuse numbers and booleans where the contract says string."""

    def to_internal_value(self, data):
        type_errors = _json_type_errors(self.fields, data) if isinstance(data, dict) else {}
        if not type_errors:
            return super().to_internal_value(data)
        try:
            super().to_internal_value(data)
        except serializers.ValidationError as exc:
            other = exc.detail if isinstance(exc.detail, dict) else {}
            raise serializers.ValidationError({**other, **type_errors}) from exc
        raise serializers.ValidationError(type_errors)
