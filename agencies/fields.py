"""Model fields sealed with the key ring: the database holds AES-GCM tokens, never the value."""

import json
from datetime import date

from django.db import connection, models, transaction

from . import keyring

ROTATE_BATCH = 500


class SealedField:
    """Stores the value sealed in a text column; an empty value is stored as ``''``.

    Each token is bound to its column (``app.Model.field``), so a value copied into another
    column does not open. Lookups other than on the empty value cannot match: filter only on
    fields that are not sealed.
    """

    seal_context = b""

    def contribute_to_class(self, cls, name, *args, **kwargs):
        super().contribute_to_class(cls, name, *args, **kwargs)
        # Once per model class, not once per value read.
        self.seal_context = f"{cls._meta.label}.{name}".encode()

    def get_internal_type(self):
        return "TextField"

    def encode(self, value) -> str:
        return str(value)

    def decode(self, text: str):
        return text

    def empty_value(self):
        return ""

    def from_db_value(self, value, expression, connection):
        if value is None:
            return None
        if value == "":
            return self.empty_value()
        return self.decode(keyring.open_text(value, context=self.seal_context))

    def get_db_prep_value(self, value, connection, prepared=False):
        if hasattr(value, "as_sql"):
            return value
        if not prepared:
            value = self.get_prep_value(value)
        if value is None:
            return None
        text = self.encode(value)
        return (
            "" if self.is_empty_text(text) else keyring.seal_text(text, context=self.seal_context)
        )

    def is_empty_text(self, text: str) -> bool:
        empty = self.empty_value()
        return empty is not None and text == self.encode(empty)


class EncryptedTextField(SealedField, models.TextField):
    pass


class EncryptedCharField(SealedField, models.CharField):
    """A CharField whose ``max_length`` bounds the value, not the (longer) sealed column."""


class EncryptedJSONField(SealedField, models.JSONField):
    def encode(self, value) -> str:
        return json.dumps(value, cls=self.encoder, ensure_ascii=False, separators=(",", ":"))

    def decode(self, text: str):
        return json.loads(text, cls=self.decoder)

    def empty_value(self):
        return self.get_default() if self.has_default() else None


class EncryptedDateField(SealedField, models.DateField):
    def encode(self, value) -> str:
        return value.isoformat()

    def decode(self, text: str):
        return date.fromisoformat(text)

    def empty_value(self):
        return None

    def get_db_prep_value(self, value, connection, prepared=False):
        return None if value in (None, "") else super().get_db_prep_value(value, connection)


def sealed_fields(model) -> list:
    return [f for f in model._meta.concrete_fields if isinstance(f, SealedField)]


def _rewrite_rows(table: str, pk: str, columns: dict, change) -> int:
    """Apply ``change(column, text) -> text`` to every non-null value, in locked batches."""
    quote = connection.ops.quote_name
    select = ", ".join(quote(c) for c in [pk, *columns])
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    changed, last = 0, None
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            where = f" WHERE {quote(pk)} > %s" if last is not None else ""
            cursor.execute(
                f"SELECT {select} FROM {quote(table)}{where} "  # noqa: S608  (names from models)
                f"ORDER BY {quote(pk)} LIMIT {ROTATE_BATCH}{lock}",
                [last] if last is not None else [],
            )
            rows = cursor.fetchall()
            if not rows:
                return changed
            for row_pk, *values in rows:
                updates = {}
                for column, value in zip(columns, values, strict=True):
                    new = change(column, str(value)) if value is not None else None
                    if new != value:
                        updates[column] = new
                if updates:
                    assignments = ", ".join(f"{quote(c)} = %s" for c in updates)
                    cursor.execute(
                        f"UPDATE {quote(table)} SET {assignments} WHERE {quote(pk)} = %s",  # noqa: S608
                        [*updates.values(), row_pk],
                    )
                    changed += 1
            last = rows[-1][0]


def _columns(model) -> dict:
    return {f.column: f for f in sealed_fields(model)}


def reseal_rows(model) -> int:
    """Re-seal under the active key every value of ``model`` sealed with another; rows changed."""
    fields = _columns(model)
    if not fields:
        return 0
    return _rewrite_rows(
        model._meta.db_table,
        model._meta.pk.column,
        fields,
        lambda column, text: (
            text and keyring.reseal_text(text, context=fields[column].seal_context)
        ),
    )


def seal_plain_rows(model) -> int:
    """A data migration's step: seal the plain values a column held before it was sealed."""
    fields = _columns(model)

    def seal(column, text):
        field = fields[column]
        if not text:
            return text
        if isinstance(field, EncryptedJSONField):
            text = field.encode(json.loads(text))
        return (
            "" if field.is_empty_text(text) else keyring.seal_text(text, context=field.seal_context)
        )

    return _rewrite_rows(model._meta.db_table, model._meta.pk.column, fields, seal)


def open_sealed_rows(model) -> int:
    """The reverse step: plain values again, empty JSON as ``[]`` or ``{}`` for the cast back."""
    fields = _columns(model)

    def unseal(column, text):
        field = fields[column]
        if text:
            return keyring.open_text(text, context=field.seal_context)
        empty = field.empty_value()
        return field.encode(empty) if isinstance(field, EncryptedJSONField) else text

    return _rewrite_rows(model._meta.db_table, model._meta.pk.column, fields, unseal)
