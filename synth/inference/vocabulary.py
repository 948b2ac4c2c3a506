"""The one vocabulary of column kinds: what a real column is, for ``synth fit``, ``synth audit`` and the private fit.

Each kind says which schema kinds write such a column and what role it plays in the audit:

>>> ColumnKind.DATE.schema_kinds, ColumnKind.DATE.role
(('date',), <Role.NUMBER: 'number'>)
>>> ColumnKind.of_schema_kind("pattern"), ColumnKind.of_schema_kind("expression") is None
(<ColumnKind.IDENTIFIER: 'identifier'>, True)

Kinds are strings (``ColumnKind.NUMERIC == "numeric"``), so they read and serialise as before.
"""

from __future__ import annotations

from enum import Enum


class Role(str, Enum):
    """How the audit (and the fitter's correlations) treat a kind's values."""

    NUMBER = "number"  #: compared as numbers: shapes by KS, pairs by rank correlation, rows by distance
    CATEGORY = "category"  #: compared by frequencies: shapes and pairs by total variation distance
    RECORD = "record"  #: points at one record: left out of shapes, models and distances, checked for replay

    def __str__(self) -> str:
        return self.value


class ColumnKind(str, Enum):
    """What a column holds. Each member has a docstring, the schema kinds that write it, and its :class:`Role`."""

    # value, docstring, schema kinds (the first is the usual one), role
    NUMERIC = ("numeric", "Numbers with an order and a distance: amounts, measurements, counts, codes held as "
               "numbers.", ("integer", "float"), Role.NUMBER)
    BOOLEAN = ("boolean", "Two values, true and false: written true/false, or numbers that are only 0 and 1.",
               ("boolean",), Role.CATEGORY)
    CATEGORICAL = ("categorical", "A few values, each seen often: products, states, species (also a column with "
                   "no values at all).", ("choice",), Role.CATEGORY)
    DATE = ("date", "Calendar days, as dates or as text in one date format.", ("date",), Role.NUMBER)
    DATETIME = ("datetime", "Instants (a day and a time of day), as timestamps or as text in one format.",
                ("datetime",), Role.NUMBER)
    TIME = ("time", "Times of day without a day, as text in one format (``11:38:36``).", ("time",), Role.NUMBER)
    IDENTIFIER = ("identifier", "Values that point at one record: codes and ids, names, emails, phone numbers, "
                  "URLs; regenerated, never copied.", ("pattern", "faker", "sequence", "uuid", "phone"), Role.RECORD)
    TEXT = ("text", "Free text: more than a few words a value on average; replaced by Faker text.", ("faker",),
            Role.RECORD)

    def __new__(cls, value: str, doc: str, schema_kinds: tuple[str, ...], role: Role) -> "ColumnKind":
        member = str.__new__(cls, value)
        member._value_ = value
        member.__doc__ = doc
        member.schema_kinds = schema_kinds
        member.role = role
        return member

    schema_kinds: tuple[str, ...]
    role: Role

    def __str__(self) -> str:  # "numeric", not "ColumnKind.NUMERIC", in reports and messages
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)

    @property
    def is_temporal(self) -> bool:
        """Dates, datetimes and times of day."""
        return self in (ColumnKind.DATE, ColumnKind.DATETIME, ColumnKind.TIME)

    @classmethod
    def of_schema_kind(cls, schema_kind: str) -> "ColumnKind | None":
        """The kind of the values a schema column kind writes; None for kinds whose values depend on what they
        compute (:data:`COMPUTED_SCHEMA_KINDS`). The first kind that lists it wins (``faker``: identifier)."""
        return next((kind for kind in cls if schema_kind in kind.schema_kinds), None)


#: Schema kinds whose values take the kind of what they compute or look up (``listed``: of its values and its rest):
#: their kind is inferred from the data.
COMPUTED_SCHEMA_KINDS = ("expression", "conditional", "lookup", "catalog", "llm_text", "reference", "aggregate", "listed")

#: Kinds by role: compared as numbers (numbers, dates, times), by frequencies, or checked for replay only.
NUMBER_KINDS = tuple(kind for kind in ColumnKind if kind.role is Role.NUMBER)
CATEGORY_KINDS = tuple(kind for kind in ColumnKind if kind.role is Role.CATEGORY)
RECORD_KINDS = tuple(kind for kind in ColumnKind if kind.role is Role.RECORD)
