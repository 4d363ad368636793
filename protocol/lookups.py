"""``field__any=values``: membership in a long list as one array parameter on PostgreSQL."""

from django.db.models import Field, ForeignObject
from django.db.models.lookups import In


class AnyOf(In):
    """As ``__in``, but PostgreSQL gets ``= ANY(%s)`` with one array where ``__in`` has a
    placeholder per value: a batch of thousands of ids is neither split nor planned per value.
    """

    lookup_name = "any"

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        field = self.lhs.output_field
        values = [field.get_db_prep_value(value, connection) for value in self.rhs]
        return f"{lhs} = ANY(%s)", (*lhs_params, values)


Field.register_lookup(AnyOf)
ForeignObject.register_lookup(AnyOf)
