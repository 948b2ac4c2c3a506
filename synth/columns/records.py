"""Values from lists of things: ``catalog`` (records that set several columns at once) and ``faker``.

.. code-block:: yaml

    - name: menu
      kind: catalog                # each row picks one record; its fields become columns, always consistent
      source: products.csv         # a table beside the schema (any table synth reads), or inline: records: [{product: Latte, price: 4.5}, ...]
      weight: popularity           # optional field with sampling weights (not written)
      fields: [product_id, product, price]   # optional: which fields, in this order (default: all)

    - name: email
      kind: faker
      provider: email              # any Faker provider: name, address, company, phone_number, bothify ...
      args: {}                     # keyword arguments for the provider
      locale: en_US
      unique: true                 # never repeats (a number is worked in when the provider runs out)

Faker is slow per call (5-100 us), so it is never called per row: a pool of values is made once per run
(seeded), and rows pick from it by index. Faker's frequency weighting is off unless ``weighted: true``:
it makes each call ~10x slower, and a larger pool of distinct values matters more for realistic
identity columns than matching how common each first name is. ``unique`` rows map their row number through a keyed permutation to a
distinct (pool entry, counter) pair, so uniqueness holds across chunks without any shared state.
"""

from __future__ import annotations

import datetime as dt
import functools
import decimal
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import Field, PrivateAttr, model_validator

from ..errors import SynthError
from ..lazy import np, pa, pc
from .base import (KINDS, ArrowArray, new_dict, ChunkContext, Column, InverseCDF, PlanContext, _RekeyedContext, as_weights,
                   check_weights, register, stable_key)
from .categorical import dictionary_array, scalars_type
from .permute import permutation


def _column_array(values: list[Any], where: str) -> pa.Array:
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        raise ValueError(f"{where} mixes kinds of values (e.g. numbers and text)") from None


def _combination_rule(label: str, table: dict[str, pa.Array], fields: list[str],
                      listed_keys_only: str | None = None) -> tuple[str, Any]:
    """Rows whose values of ``fields`` are not those of any one record (rows with missing values pass).
    ``listed_keys_only``: a key field; rows whose key no record lists pass too (a lookup's ``other`` rows)."""
    import pandas as pd

    def key(frame: Any, columns: list[str] = fields) -> Any:
        # pandas 3 keeps missing values missing through astype(str): a record with an empty field gets a marker
        # no written value has, so only complete rows are matched against complete records.
        text = frame[columns].astype(str).apply(lambda col: col.str.replace(r"\.0$", "", regex=True))
        return text.where(frame[columns].notna(), "\x00").agg("\x1f".join, axis=1)

    records = pd.DataFrame({f: table[f].to_pylist() for f in fields})
    allowed = set(key(records))
    listed = set(key(records, [listed_keys_only])) if listed_keys_only is not None else set()

    def breaks(frame: Any) -> Any:
        complete = frame[fields].notna().all(axis=1)
        if listed_keys_only is not None:
            complete &= key(frame, [listed_keys_only]).isin(listed)
        return (complete & ~key(frame).isin(allowed)).to_numpy()

    return (f"{', '.join(fields)} match one record of {label}", breaks)


def _read_records(source: str, base_dir: str | Path | None) -> tuple[list[dict[str, Any]], str]:
    """A catalog file's records (and where they came from), typed as the same records written in the schema
    would be: ``00123`` stays text, ``12`` is a number, an empty cell is missing."""
    from ..io import parse_address, read_table  # only for a catalog file: `synth validate` of inline records needs no I/O layer

    address = parse_address(source)
    if address.scheme == "file" and not address.is_stdio:
        path = Path(address.path)
        if not path.is_absolute() and base_dir is not None:
            path = Path(base_dir) / path
        if not path.exists():
            raise ValueError(f"catalog file {path} does not exist")
        address = parse_address(path)
    elif base_dir is not None:  # sqlite:///menu.db#items: beside the schema, as a file would be
        from ..io.db.url import relative_to

        address = relative_to(address, base_dir)
    try:
        frame = read_table(address, yaml_types=True)
    except SynthError as exc:
        raise ValueError(exc.message) from None
    frame = frame.astype(object).where(frame.notna(), None)  # missing values as None, like an empty YAML value
    return frame.to_dict("records"), str(address.path if address.scheme == "file" else address)


@register
class CatalogColumn(Column):
    """A table of records sampled with weights; one entry makes several consistent columns."""

    kind_name: ClassVar[str] = "catalog"
    in_cases: ClassVar[bool] = False  # makes several columns
    kind: Literal["catalog"] = "catalog"
    records: list[dict[str, Any]] | None = None
    source: str | None = Field(default=None, description="A table file (CSV with a header row, Parquet, JSON Lines ...) or a database table (sqlite:///menu.db#items), relative to the schema")
    weight: str | None = None
    fields: list[str] | None = None

    _table: dict[str, ArrowArray] = PrivateAttr(default_factory=dict)
    _cum: InverseCDF = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _check(self) -> "CatalogColumn":
        if (self.records is None) == (self.source is None):
            raise ValueError("a catalog needs either 'records' (inline) or 'source' (a CSV file), not both")
        if self.records is not None and not self._plain_records(self.records, "records"):
            self._load(self.records, "records")  # Arrow decides what the plain check cannot (dates, lists, mixes)
        return self

    def _plain_records(self, rows: list[dict[str, Any]], where: str) -> bool:
        """:meth:`_load`'s checks without making Arrow arrays (the same mistakes, the same messages), for records
        whose every field is one kind of scalar (numbers, text or booleans) and whose weights are numbers; False
        when that is not so (then only :meth:`_load` can tell). The arrays are made by :meth:`prepare`."""
        keys = _record_fields(rows, where)
        if any(scalars_type([r.get(k) for r in rows]) is None for k in keys):
            return False
        for f in self.fields or []:
            if f not in keys:
                raise ValueError(f"{where}: field {f!r} is not in the catalog (fields: {', '.join(keys)})")
        if self.weight is not None:
            if self.weight not in keys:
                raise ValueError(f"{where}: weight field {self.weight!r} is not in the catalog")
            weights = [r.get(self.weight) for r in rows]
            if not all(isinstance(w, (int, float)) and not isinstance(w, bool) for w in weights):
                return False
            check_weights(weights, f"{where}: weight field {self.weight!r}")
        return True

    def value_types(self, known: Mapping[str, str | None]) -> dict[str, str | None]:
        records = self.records or []
        return {name: scalars_type([r.get(name) for r in records]) if records else None for name in self.output_names()}

    def trial_reason(self, known: Mapping[str, str | None], rows: int) -> str | None:
        return f"its records are read from {self.source}" if self.source is not None else None

    def output_names(self) -> list[str]:
        if self.fields is not None:
            return list(self.fields)
        if self.records is not None:
            return [k for k in self.records[0] if k != self.weight] if self.records else []
        return [k for k in self._table if k != self.weight]

    def _load(self, rows: list[dict[str, Any]], where: str) -> None:
        keys = _record_fields(rows, where)
        table = {k: _column_array([r.get(k) for r in rows], f"{where}: field {k!r}") for k in keys}
        for f in self.fields or []:
            if f not in table:
                raise ValueError(f"{where}: field {f!r} is not in the catalog (fields: {', '.join(keys)})")
        if self.weight is not None:
            if self.weight not in table:
                raise ValueError(f"{where}: weight field {self.weight!r} is not in the catalog")
            try:
                w = np.asarray(table[self.weight].to_pylist(), dtype=float)
                self._cum = InverseCDF(np.cumsum(as_weights(w, f"{where}: weight field {self.weight!r}")))
            except (TypeError, ValueError) as exc:
                raise ValueError(str(exc) if "weight" in str(exc) else f"{where}: weight field {self.weight!r} must be numbers") from None
        else:
            self._cum = InverseCDF(np.arange(1, len(rows) + 1, dtype=float))
        self._table = table

    def prepare(self, plan: PlanContext) -> None:
        if self.source is None:
            if not self._table:
                self._load(self.records or [], "records")
            return
        self._load(*_read_records(self.source, plan.base_dir))

    def rules(self) -> list[tuple[str, Any]]:
        if self.records is not None and not self._table:
            self._load(self.records, "records")
        return [_combination_rule(self.name, self._table, self.output_names())] if self._table else []

    def sample(self, ctx: ChunkContext) -> dict[str, pa.Array]:
        idx = self._cum(ctx.uniform(self.name))
        out = {}
        for name in self.output_names():
            values = self._table[name]
            if pa.types.is_string(values.type) and not values.null_count:  # codes into the distinct values (records repeat them)
                encoded = values.dictionary_encode()
                codes = encoded.indices.to_numpy(zero_copy_only=False)
                out[name] = dictionary_array(codes[idx], encoded.dictionary)
            else:
                out[name] = values.take(pa.array(idx))
        return out


@register
class LookupColumn(Column):
    """Fields looked up by the value of another column: ``product`` -> price, calories, type.

    Like a catalog, but the key is its own column (so it can take part in correlations), and this entry
    adds the fields that go with each key. A key with no record gives empty fields, or with ``other`` fields
    drawn by their own column specs: what ``synth fit`` writes for the rows of keys too rare to list (pooled
    under one key value, ``other`` below), so those rows keep their fields' values (a single-engine plane).

    .. code-block:: yaml

        - {name: product, kind: choice, values: {Latte: 12, Espresso: 5, other: 3}}
        - name: product_facts
          kind: lookup
          key: product
          records:
            - {product: Latte, price: 4.65, calories: 190}
            - {product: Espresso, price: 2.95, calories: 10}
          other:                                      # rows whose product has no record, field by field
            price: {kind: float, distribution: uniform, min: 2, max: 6}
            calories: {kind: conditional, on: price, ...}   # a field may depend on one drawn before it
    """

    kind_name: ClassVar[str] = "lookup"
    kind: Literal["lookup"] = "lookup"
    key: str
    records: list[dict[str, Any]] = Field(min_length=1)
    fields: list[str] | None = None
    other: dict[str, dict[str, Any]] | None = Field(
        default=None, description="Rows whose key has no record: each field drawn by a column spec (without a name), "
                                  "in this order, so a field may be conditional on one before it; fields not given are empty")

    _table: dict[str, ArrowArray] = PrivateAttr(default_factory=dict)
    _other: dict[str, Column] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _check(self) -> "LookupColumn":
        keys = list(self.records[0])
        if self.key not in keys:
            raise ValueError(f"records must have the key field {self.key!r}")
        for i, row in enumerate(self.records):
            if set(row) != set(keys):
                raise ValueError(f"record {i + 1} has fields {sorted(row)} but the first has {sorted(keys)}")
        self._table = {k: _column_array([r[k] for r in self.records], f"field {k!r}") for k in keys}
        if self._table[self.key].null_count or len(pc.unique(self._table[self.key])) != len(self.records):
            raise ValueError(f"key field {self.key!r} must be present and distinct in every record")
        for f in self.fields or []:
            if f not in self._table or f == self.key:
                raise ValueError(f"field {f!r} is not a non-key field of the records")
        self._other = {f: _other_column(f, spec, self.output_names()) for f, spec in (self.other or {}).items()}
        return self

    def output_names(self) -> list[str]:
        return list(self.fields) if self.fields is not None else [k for k in self._table if k != self.key]

    def rules(self) -> list[tuple[str, Any]]:
        return [_combination_rule(self.name, self._table, [self.key] + self.output_names(),
                                  listed_keys_only=self.key if self._other else None)]

    def dependencies(self) -> set[str]:
        inner = {d for col in self._other.values() for d in col.dependencies()}
        return {self.key} | (inner - set(self._other))

    def prepare(self, plan: PlanContext) -> None:
        for col in self._other.values():
            col.prepare(plan)

    def sample(self, ctx: ChunkContext) -> dict[str, pa.Array]:
        key = ctx.values[self.key]
        if pa.types.is_dictionary(key.type):
            key = key.dictionary_decode()
        keys = self._table[self.key]
        if key.type != keys.type:
            key, keys = pc.cast(key, pa.string()), pc.cast(keys, pa.string())
        idx = pc.index_in(key, value_set=keys)
        out = {}
        for name in self.output_names():
            values = self._table[name]
            if pa.types.is_string(values.type):
                encoded = values.dictionary_encode()
                out[name] = pa.DictionaryArray.from_arrays(encoded.indices.take(idx), encoded.dictionary)
            else:
                out[name] = values.take(idx)
        if self._other:
            rows = np.flatnonzero(pc.and_(idx.is_null(), key.is_valid()).to_numpy(zero_copy_only=False))
            if len(rows):
                out.update(self._draw_other(ctx, rows, out))
        return out

    def _draw_other(self, ctx: ChunkContext, rows: np.ndarray, looked_up: dict[str, pa.Array]) -> dict[str, pa.Array]:
        """The ``other`` fields of ``rows`` (keys with no record), each drawn by its spec, put into the looked-up ones."""
        from .derived import _scatter, _with_nulls

        taken = pa.array(rows)
        # The columns the specs read, cut to these rows; each field drawn joins them for the fields after it.
        values: dict[str, pa.Array] = {d: ctx.values[d].take(taken) for d in self.dependencies()}
        sub = ChunkContext(ctx.seed, ctx.index, ctx.start, len(rows), ctx.total_rows, values, rows=ctx.row_numbers()[rows])
        sub = _RekeyedContext(sub, f"{self.name}:other")
        out: dict[str, pa.Array] = {}
        keep = np.ones(ctx.n, bool)
        keep[rows] = False
        listed = np.flatnonzero(keep)
        for name, col in self._other.items():
            drawn = _with_nulls(col, col.sample(sub), sub, "other")
            values[name] = drawn
            before = looked_up[name].take(pa.array(listed))
            if pa.types.is_null(before.type):  # a field empty in every record (no speed listed): the drawn type
                before = pa.nulls(len(before), drawn.type if not pa.types.is_dictionary(drawn.type) else pa.string())
            out[name] = _scatter([before, drawn], [listed, rows], ctx.n)
        return out


def _other_column(field: str, spec: Any, fields: list[str]) -> Column:
    """The column that draws ``field`` for a lookup's rows with no record (``other``)."""
    if field not in fields:
        raise ValueError(f"other: {field!r} is not one of the lookup's fields ({', '.join(fields)})")
    kind = spec.get("kind") if isinstance(spec, dict) else None
    if kind not in KINDS or not (KINDS[kind].in_cases or kind == "conditional"):
        raise ValueError(f"other: {field}: kind {kind!r} cannot draw one field (a one-column kind is needed)")
    return KINDS[kind].model_validate({**spec, "name": field})


# Faker methods that configure or reach outside the generator rather than make a value.
_NOT_PROVIDERS = {
    "seed", "seed_instance", "seed_locale", "add_provider", "get_providers", "provider", "set_formatter",
    "get_formatter", "set_arguments", "del_arguments", "get_arguments", "format", "parse", "unique",
    "optional", "random", "items", "factories", "weights", "locales", "binary", "zip", "tar", "image",
    "json", "json_bytes", "csv", "tsv", "psv", "dsv", "xml", "fixed_width", "enum", "pyobject", "pystruct",
}


def _text(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.time, dt.datetime)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


@functools.lru_cache(maxsize=16)
def _faker(locale: str, weighted: bool) -> Any:
    """One Faker per (locale, weighting) per process: building one loads its providers (~20 ms); each
    column reseeds it before drawing, so sharing it changes no values."""
    from faker import Faker

    return Faker(locale, use_weighting=weighted)


def _draw_pool(method: Any, args: dict[str, Any], want: int, batch: int = 1000) -> list[Any]:
    """Up to ``want`` distinct values of a Faker provider, in order of first appearance (so reproducible).

    A few extra draws cover dropped duplicates. Providers with few values (en_US first names: about 700)
    stop once a whole batch brings almost nothing new, instead of drawing ``want`` times.
    """
    target = want + want // 10 + 1
    seen: dict[Any, None] = {}
    drawn = 0
    while drawn < target:
        size = min(batch, target - drawn)
        before = len(seen)
        for _ in range(size):
            seen.setdefault(_text(method(**args)))
        drawn += size
        if drawn >= 5 * batch and len(seen) - before < size // 100:
            break
    return list(seen)[:want]


@register
class FakerColumn(Column):
    """Realistic text (names, emails, addresses, companies, words...) from a Faker provider."""

    kind_name: ClassVar[str] = "faker"
    kind: Literal["faker"] = "faker"
    provider: str
    args: dict[str, Any] = Field(default_factory=new_dict)
    locale: str = "en_US"
    unique: bool = False
    pool: int = Field(default=50_000, ge=1, le=2_000_000,
                      description="Values drawn from Faker once per run (at most the row count); rows pick from them")
    weighted: bool = Field(default=False, description="Use Faker's real-world frequency weights (about 10x slower)")
    common: dict[str, float] = Field(
        default_factory=new_dict,
        description="Frequent values with their weights (synth fit: values seen in at least k rows), drawn for a "
                    "common_share of rows; the other rows get Faker values")
    common_share: float = Field(default=0.0, ge=0.0, le=1.0, description="Share of rows that take a common value")

    _pool: ArrowArray = PrivateAttr(default=None)
    _local: ArrowArray | None = PrivateAttr(default=None)  # for unique emails: the part before '@' ...
    _domain: ArrowArray | None = PrivateAttr(default=None)  # ... and from '@' on
    _sep: str = PrivateAttr(default=" #")
    _common_cdf: InverseCDF | None = PrivateAttr(default=None)
    _mixed: ArrowArray | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _check(self) -> "FakerColumn":
        if self.provider.startswith("_") or self.provider in _NOT_PROVIDERS:
            raise ValueError(f"{self.provider!r} is not a value provider")
        if self.common and self.unique:
            raise ValueError("common values cannot be used with unique (they repeat by design)")
        if self.common_share > 0 and not self.common:
            raise ValueError("common_share needs a 'common' list of values")
        if self.common:
            self._common_cdf = InverseCDF(np.cumsum(as_weights(self.common.values(), "common weights")))
        return self

    def prepare(self, plan: PlanContext) -> None:
        from faker.config import AVAILABLE_LOCALES

        if self.locale not in AVAILABLE_LOCALES:
            import difflib

            close = difflib.get_close_matches(self.locale, AVAILABLE_LOCALES, n=1)
            raise ValueError(f"unknown locale {self.locale!r}" + (f" (did you mean {close[0]}?)" if close else ""))
        fake = _faker(self.locale, self.weighted)
        fake.seed_instance(int(np.random.SeedSequence([plan.seed & 0xFFFFFFFF, plan.seed >> 32, stable_key(self.name)]).generate_state(1)[0]))
        method = getattr(fake, self.provider, None)
        if method is None or not callable(method):
            import difflib

            names = [m for m in dir(fake) if not m.startswith("_") and m not in _NOT_PROVIDERS]
            close = difflib.get_close_matches(self.provider, names, n=1)
            raise ValueError(f"unknown Faker provider {self.provider!r}" + (f" (did you mean {close[0]}?)" if close else ""))
        want = max(1, min(self.pool, plan.total_rows))
        try:
            values = _draw_pool(method, self.args, want)
        except TypeError as exc:
            raise ValueError(f"provider {self.provider!r} does not accept these args: {exc}") from None
        if self.unique:
            values = [str(v) for v in values]
            is_email = all("@" in v for v in values[:100])
            # Later rounds carry "<sep><n>"; a sep that no pool value contains makes every string decodable
            # into exactly one (value, n), so no two rows can collide.
            local = [v.rsplit("@", 1)[0] for v in values] if is_email else values
            candidates = ["+", "_", "."] if is_email else [" #", "-", "_", "~"]
            self._sep = next((c for c in candidates if not any(c in v for v in local)), candidates[0])
            keep = [self._sep not in v for v in local]
            values = [v for v, k in zip(values, keep) if k]
            if not values:
                raise ValueError(f"provider {self.provider!r} gives no values usable for unique")
            if is_email:
                parts = [v.rsplit("@", 1) for v in values]
                self._local = pa.array([p[0] for p in parts])
                self._domain = pa.array(["@" + p[1] for p in parts])
        self._pool = _column_array(values, f"provider {self.provider!r}")
        if self.common:  # one dictionary: the common values, then the Faker values that are not among them
            common = pa.array(list(self.common), pa.string())
            pool = pc.cast(self._pool, pa.string())
            fresh = pool.filter(pc.invert(pc.is_in(pool, value_set=common)))
            self._mixed = pa.concat_arrays([common, fresh])

    def sample(self, ctx: ChunkContext) -> pa.Array:
        size = len(self._pool)
        if not self.unique:
            u = ctx.uniform(self.name)
            if self._common_cdf is not None:
                # The lowest common_share of uniforms pick a common value, the rest a Faker value.
                others = len(self._mixed) - len(self.common)
                share = self.common_share if others else 1.0
                common = u < share
                idx = np.empty(len(u), dtype=np.int64)
                idx[common] = self._common_cdf(u[common] / share) if share > 0 else 0
                rest = (u[~common] - share) / max(1e-12, 1 - share)
                idx[~common] = len(self.common) + np.minimum((rest * others).astype(np.int64), others - 1)
                return dictionary_array(idx, self._mixed)
            idx = np.minimum((u * size).astype(np.int64), size - 1)
            if pa.types.is_string(self._pool.type):
                return dictionary_array(idx, self._pool)
            return self._pool.take(pa.array(idx))
        k = permutation(ctx.row_numbers(), ctx.total_rows, ctx.seed, self.name)
        idx, counter = pa.array(k % size), k // size
        # Counter 0 is the plain pool value; later rounds carry "<sep><counter+1>".
        later = pa.array(counter > 0)
        tag = pc.if_else(later, pc.binary_join_element_wise(self._sep, pc.cast(pa.array(counter + 1), pa.string()), ""), "")
        if self._local is not None:
            return pc.binary_join_element_wise(self._local.take(idx), tag, self._domain.take(idx), "")
        return pc.binary_join_element_wise(self._pool.take(idx), tag, "")


def _record_fields(rows: list[dict[str, Any]], where: str) -> list[str]:
    """The catalog's field names: the first record's, which every record must have (in any order)."""
    if not rows:
        raise ValueError(f"{where}: the catalog has no records")
    keys = list(rows[0])
    for i, row in enumerate(rows):
        if list(row) != keys and set(row) != set(keys):
            raise ValueError(f"{where}: record {i + 1} has fields {sorted(row)} but the first has {sorted(keys)}")
    return keys
