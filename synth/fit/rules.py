"""Rules between columns: fixed combinations (``product`` -> price, calories) as lookups, exact formulas
(``amount = round(price * quantity, 2)``) and date parts (``year = year(date)``) as expressions.

Each rule must hold on ``rule_share`` of the rows; the share it held on is stated in the schema.
"""

from __future__ import annotations

import math
from typing import Any, Callable, TYPE_CHECKING

import numpy as np
import pandas as pd

from .arrays import run_starts
from .columns import Learned, decimals_of, plain_number

if TYPE_CHECKING:
    from .config import FitConfig


def find_lookups(df: pd.DataFrame, learned: dict[str, Learned], cfg: FitConfig) -> list[dict[str, Any]]:
    """Keys (categorical columns) that fix other columns: product -> price, calories, type."""
    candidates = [c for c, l in learned.items()
                  if l.kind in ("categorical", "numeric") and l.spec.get("kind") in ("choice", "integer")
                  and (l.spec.get("kind") == "choice" or l.spec.get("distribution") == "weighted")]
    others = [c for c, l in learned.items() if l.kind in ("categorical", "numeric", "boolean")]
    codes = {c: _factorized(df[c]) for c in set(candidates) | set(others)}
    used: set[str] = set()
    found: list[dict[str, Any]] = []
    scored = []
    for key in candidates:
        card = len(codes[key][1])
        if card < 2 or card > cfg.max_lookup_keys:
            continue
        # A key with `card` values can fix at most card + (1 - rule_share) * n distinct values of another column.
        most = card + (1 - cfg.rule_share) * len(df)
        fields = [b for b in others if b != key and 2 <= len(codes[b][1]) <= most
                  and _majority(codes[key][0], codes[b][0], len(codes[b][1]))[0] >= cfg.rule_share]
        if fields:
            scored.append((len(fields), -card, key, fields))
    for _, _, key, fields in sorted(scored, reverse=True):
        if key in used:
            continue
        fields = [f for f in fields if f not in used and f != key]
        if not fields:
            continue
        key_codes, key_values = codes[key]
        allowed = {str(k) for k in learned[key].spec.get("values", {})}
        keep = [i for i, v in enumerate(key_values) if str(_plain(v)) in allowed]
        if not keep:
            continue
        columns = {key: [_plain(key_values[i]) for i in keep]}
        held = 1.0
        for f in fields:
            share, best = _majority(key_codes, codes[f][0], len(codes[f][1]))
            held = min(held, share)
            values = codes[f][1]
            columns[f] = [_plain(values[best[i]]) if best[i] >= 0 else None for i in keep]
        found.append({"key": key, "fields": fields, "records": pd.DataFrame(columns), "share": held})
        used.update([key, *fields])
    return found


def pool_rare_keys(df: pd.DataFrame, learned: dict[str, Learned], lookups: list[dict[str, Any]], cfg: FitConfig) -> None:
    """Keep the rows of keys too rare to list: they become one more key value (``other``), whose fields a
    lookup's ``other`` draws from shapes learned on those rows alone (values seen in ``min_count`` of them).

    A key value seen in fewer than ``min_count`` rows is never written, and without this its rows would vanish
    from the twin with it, and with them every field value only rare keys carry: of 3,322 planes, the 155 of
    models seen fewer than 10 times hold every single-engine plane and every known speed. Pooled, their share
    is kept and their fields are learned as any column is, with the same guards; the first field with a few
    values (a plane's type) splits the others into cases, so the pool's fields still go together (a
    single-engine type with one engine). Keys held as text (a ``choice``) only: a number key would need a
    made-up number for ``other``. Sets ``lk["other"]`` and ``lk["pooled"]`` (rows) on each lookup it pools.
    """
    for lk in lookups:
        key = learned[lk["key"]]
        if key.spec.get("kind") != "choice" or key.codes is None:
            continue
        rare = df[lk["key"]].notna().to_numpy() & np.isnan(key.codes)
        pooled = int(rare.sum())
        if pooled < cfg.min_count:  # as few rows as one rare value may have: nothing to learn them by
            continue
        values = key.spec["values"]
        label = next(v for v in ("other", f"other {lk['key']}", f"other {lk['key']} (pooled)") if v not in values)
        key.spec["values"] = {**values, label: pooled}
        key.codes = np.where(rare, float(len(values)), key.codes)
        text = (f"{pooled / len(df):.1%} of rows, of values seen in fewer than {cfg.min_count} rows each, pooled as "
                f"{label!r}: its fields are drawn by {lk['key']}_facts' other")
        key.spec["description"] = f"{key.spec['description']}; {text}" if "description" in key.spec else text
        rows = df.loc[rare].reset_index(drop=True)
        # Categories the pool's first field may be conditional on: made apart from the lookups (not their fields)
        # and split on the key (synth.fit.trees draws a pooling key first), so their pooled rows' values are kept.
        fields = {f for other in lookups for f in other["fields"]}
        given = [c for c, l in learned.items() if l.spec.get("kind") == "choice" and c not in fields and c != lk["key"]]
        lk["other"], lk["pooled"] = _pooled_fields(rows, lk["fields"], learned, cfg, given if cfg.trees else []), pooled


def _pooled_fields(rows: pd.DataFrame, fields: list[str], learned: dict[str, Learned], cfg: FitConfig,
                   given: list[str]) -> dict[str, Any]:
    """Each field's spec (no name) learned on the pooled ``rows``. The field with the fewest listed values (2-20:
    a plane's type) is drawn first, conditional on the ``given`` column that tells most about it in the pool (its
    engine kind: a piston engine goes with a single-engine plane), and the other fields with listed values are
    conditional on it (its engines): so the pool's fields go together, and with the row, as the real rows' do."""
    specs = {f: _pooled_shape(f, rows[f], learned[f], cfg) for f in fields}
    listed = [f for f in fields if specs[f].get("kind") in ("choice", "boolean")
              or (specs[f].get("kind") == "integer" and specs[f].get("distribution") == "weighted")]
    anchors = [f for f in listed if 2 <= len(specs[f].get("values", [True, False])) <= 20]
    if not anchors:
        return specs
    anchor = min(anchors, key=lambda f: len(specs[f].get("values", [True, False])))
    out = dict(specs)
    by = _best_given(rows, anchor, given, cfg)
    if by is not None:
        out[anchor] = _cases_on(by, rows, anchor, learned, cfg, specs[anchor])
    for f in listed:  # a number's cut range would narrow in each case: numbers are learned on the whole pool
        if f != anchor:
            out[f] = _cases_on(anchor, rows, f, learned, cfg, specs[f])
    return {f: out[f] for f in ([anchor] + [f for f in fields if f != anchor])}


def _cases_on(on: str, rows: pd.DataFrame, field: str, learned: dict[str, Learned], cfg: FitConfig,
              default: dict[str, Any]) -> dict[str, Any]:
    """``field`` (one with listed values) conditional on column ``on`` over the pooled rows: a case per value of
    ``on`` seen in ``min_count`` of them, and for the other rows (the default) their own shape when they have a
    value that often, else the pool's. Just ``default`` when ``on`` has fewer than two such values."""
    counts = rows[on].value_counts()
    by = [v for v, c in counts.items() if c >= cfg.min_count]
    if len(by) < 2:
        return default
    cases = {_plain(v): _pooled_shape(field, rows.loc[rows[on] == v, field], learned[field], cfg, default) for v in by}
    rest = rows.loc[~rows[on].isin(by), field]
    if len(rest):  # the other rows' own shape where they say enough, else the pool's
        default = _pooled_shape(field, rest, learned[field], cfg, default)
    return {"kind": "conditional", "on": on, "cases": cases, "default": default}


def _best_given(rows: pd.DataFrame, field: str, given: list[str], cfg: FitConfig) -> str | None:
    """The column of ``given`` whose values (those seen in ``min_count`` pooled rows; the rest as one) best
    predict ``field`` on the pooled rows, by the share of rows whose ``field`` is their value's most common one;
    None when none beats ``field``'s own most common value by 2% of the rows."""
    target, labels = _factorized(rows[field])
    known = target >= 0
    if not known.any():
        return None
    best, best_share = None, np.bincount(target[known]).max() / known.sum() + 0.02
    for c in given:
        codes, values = _factorized(rows[c])
        seen = np.bincount(codes[codes >= 0], minlength=len(values))
        if (seen >= cfg.min_count).sum() < 2:
            continue
        codes = np.where((codes >= 0) & (seen[np.maximum(codes, 0)] >= cfg.min_count), codes, len(values))
        share = _majority(codes, target, len(labels))[0]
        if share > best_share:
            best, best_share = c, share
    return best


def _pooled_shape(name: str, values: pd.Series, whole: Learned, cfg: FitConfig,
                  fallback: dict[str, Any] | None = None) -> dict[str, Any]:
    """One field's shape on pooled rows, learned with the whole fit's guards: listed values (categories, weighted
    numbers) seen in ``min_count`` of the rows, a number's shape from ``2 * min_count`` values (its range ends at
    the k-th ones). Where the rows say too little, ``fallback`` (default: the field's shape over every row)."""
    from .columns import learn_column

    present = values.dropna()
    empty = 1 - len(present) / max(1, len(values))
    if fallback is None:
        fallback = {k: v for k, v in whole.spec.items() if k not in ("name", "description", "nulls")}
        if empty > 0:
            fallback["nulls"] = round(empty, 4)
    listed = whole.spec.get("kind") == "choice" or whole.spec.get("distribution") == "weighted"
    if listed:
        counts = present.value_counts()
        kept = {_plain(v): int(c) for v, c in counts.items() if c >= cfg.min_count}
        if not kept:
            return fallback
        spec: dict[str, Any] = {k: v for k, v in whole.spec.items() if k not in ("name", "description", "nulls", "tails")}
        spec["values"] = {(str(v) if whole.spec.get("kind") == "choice" else v): c for v, c in kept.items()}
    elif len(present) < 2 * cfg.min_count:
        return fallback
    else:
        spec = {k: v for k, v in learn_column(name, values.reset_index(drop=True), cfg).spec.items()
                if k not in ("name", "description")}
    if empty > 0 and "nulls" not in spec:
        spec["nulls"] = round(empty, 4)
    return spec


def _factorized(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes (-1 for missing) and the distinct values, once per column."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    return codes.astype(np.int64), np.asarray(uniques, dtype=object)


def _majority(a: np.ndarray, b: np.ndarray, nb: int) -> tuple[float, np.ndarray]:
    """Share of rows whose ``b`` is the most common ``b`` of their ``a``, and that ``b`` for each ``a``.

    A share near 1 means ``a`` fixes ``b`` (the minority rows are the rule's violations).
    """
    ok = (a >= 0) & (b >= 0)
    na = int(a.max()) + 1 if len(a) else 0
    best = np.full(na, -1, dtype=np.int64)
    if not ok.any():
        return 0.0, best
    if na * nb <= 1 << 22:  # the contingency table fits: count it in one pass
        table = contingency(a[ok], na, b[ok], nb)
        top = table.max(axis=1)
        best = np.where(top > 0, table.argmax(axis=1), -1)  # first b on ties
        return float(top.sum() / ok.sum()), best
    pairs, counts = np.unique(a[ok] * nb + b[ok], return_counts=True)
    groups = pairs // nb
    starts = np.flatnonzero(run_starts(groups))
    top = np.maximum.reduceat(counts, starts)
    order = np.lexsort((-counts, groups))
    first = order[run_starts(groups[order])]
    best[groups[first]] = pairs[first] % nb
    return float(top.sum() / ok.sum()), best


def contingency(a: np.ndarray, na: int, b: np.ndarray, nb: int) -> np.ndarray:
    """Counts of each (a, b) pair of codes (no missing values) as an na x nb table, in one pass."""
    return np.bincount(a * nb + b, minlength=na * nb).reshape(na, nb)


def lookup_entry(lk: dict[str, Any]) -> dict[str, Any]:
    records = []
    for row in lk["records"].to_dict(orient="records"):
        records.append({k: _plain(v) for k, v in row.items()})
    entry = {"name": f"{lk['key']}_facts", "kind": "lookup", "key": lk["key"], "fields": lk["fields"],
             "records": records,
             "description": f"values that go with each {lk['key']} on {lk['share']:.2%} of real rows (the rest are exceptions)"}
    if lk.get("other"):
        entry["other"] = lk["other"]
        entry["description"] += (f"; other: the fields of the {lk['pooled']:,} rows whose {lk['key']} is too rare to "
                                 "list, learned on those rows")
    return entry


def _plain(v: Any) -> Any:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    if isinstance(v, (np.integer, np.floating)):
        return plain_number(v)
    if isinstance(v, (int, float)):
        return plain_number(v)
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    return str(v)


def find_formulas(df: pd.DataFrame, learned: dict[str, Learned], cfg: FitConfig, taken: set[str]) -> dict[str, dict[str, Any]]:
    """Numeric columns that are exactly ``b * c``, ``b + c``, ``b - c`` or ``b / c`` of two others (after rounding)."""
    numeric = [c for c, l in learned.items() if l.kind == "numeric" and pd.api.types.is_numeric_dtype(df[c])]
    if len(numeric) < 3 or len(numeric) > 40:
        return {}
    numbers = {c: learned[c].codes for c in numeric}  # the parsed values, NaN where missing
    complete = np.flatnonzero(~np.isnan(np.vstack(list(numbers.values()))).any(axis=0))
    if len(complete) < 20:
        return {}
    screen = {c: v[complete[:2000]] for c, v in numbers.items()}  # type: ignore[index]
    found: dict[str, dict[str, Any]] = {}
    ops = {"*": np.multiply, "+": np.add, "-": np.subtract, "/": np.divide}
    position = {c: i for i, c in enumerate(numeric)}
    # Inputs usually come before what is computed from them: try those formulas first.
    for inputs_first in (True, False):
        for a in reversed(numeric):
            if a in taken or a in found:
                continue

            def allowed(x: str, y: str, a: str = a, first: bool = inputs_first) -> bool:
                return not first or (position[x] < position[a] and position[y] < position[a])

            entry = _formula_for(numbers, screen, learned[a].spec, a, numeric, ops, found, cfg, allowed)  # type: ignore[arg-type]
            if entry is not None:
                found[a] = entry
    return found


def _formula_for(numbers: dict[str, np.ndarray], screen: dict[str, np.ndarray], spec: dict[str, Any], a: str,
                 numeric: list[str], ops: dict[str, Any], found: dict[str, Any], cfg: FitConfig,
                 allowed: Callable[[str, str], bool]) -> dict[str, Any] | None:
    """The first ``x op y`` that equals column ``a`` (after its rounding) on ``rule_share`` of rows, as an entry."""
    if "round" in spec or spec["kind"] == "integer":
        decimals = spec.get("round", 0)
    else:
        decimals = decimals_of(numbers[a][np.isfinite(numbers[a])])
    tol = 0.5 * 10.0 ** (-(decimals if decimals is not None else 6)) + 1e-9
    target = screen[a]
    # All pairs at once on the first 64 screening rows; only the survivors are checked in full, in the order
    # the pairs are listed (so the first formula found does not depend on how the search is vectorized).
    head = np.vstack([screen[c][:64] for c in numeric])
    candidates = []
    for rank, (sym, op) in enumerate(ops.items()):
        with np.errstate(divide="ignore", invalid="ignore"):
            close = np.abs(op(head[:, None, :], head[None, :, :]) - target[:64]) <= tol
        # Lenient here (a rule may miss a few of these rows); the full check below applies rule_share.
        for xi, yi in zip(*np.nonzero(close.mean(axis=2) >= 0.9)):
            if (sym in "*+" and xi > yi) or (sym in "-/" and xi == yi):
                continue  # x * y is y * x; x - x and x / x are no formulas
            candidates.append((min(xi, yi), max(xi, yi), rank, int(xi > yi), numeric[xi], sym, numeric[yi], op))
    for *_, x, sym, y, op in sorted(candidates, key=lambda t: t[:4]):
        if a in (x, y) or x in found or y in found or not allowed(x, y):
            continue
        with np.errstate(divide="ignore", invalid="ignore"):
            guess = op(screen[x], screen[y])
        if np.mean(np.abs(target - guess) <= tol) < cfg.rule_share:
            continue
        full = ~(np.isnan(numbers[a]) | np.isnan(numbers[x]) | np.isnan(numbers[y]))
        with np.errstate(divide="ignore", invalid="ignore"):
            made = op(numbers[x][full], numbers[y][full])
        share = float(np.mean(np.abs(numbers[a][full] - made) <= tol))
        if share < cfg.rule_share:
            continue
        expr = f"{x} {sym} {y}" if decimals is None else f"round({x} {sym} {y}, {decimals})"
        entry: dict[str, Any] = {"name": a, "kind": "expression", "expr": expr}
        if spec["kind"] == "integer":
            entry["type"] = "integer"
        entry["description"] = f"{a} = {x} {sym} {y} held on {share:.2%} of real rows"
        if "nulls" in spec:
            entry["nulls"] = spec["nulls"]
        return entry
    return None


def find_date_parts(df: pd.DataFrame, learned: dict[str, Learned], cfg: FitConfig, taken: set[str]) -> dict[str, Any]:
    """Columns that are a part of a date column (year, month, day, hour, weekday name): expressions.

    Parts and names are computed once per distinct timestamp and compared through integer codes.
    """
    found: dict[str, Any] = {}
    temporal = [c for c, l in learned.items() if l.spec.get("kind") in ("date", "datetime") and l.codes is not None]
    n = len(df)
    screen = np.arange(n) if n <= 20_000 else np.sort(np.random.default_rng(cfg.seed).choice(n, 20_000, replace=False))
    for t in temporal:
        seconds = learned[t].codes
        assert seconds is not None
        has_t = ~np.isnan(seconds)
        distinct, inverse = np.unique(seconds[has_t], return_inverse=True)
        at = np.full(n, -1, dtype=np.int64)  # row -> its distinct timestamp
        at[has_t] = inverse.ravel()
        stamps = pd.DatetimeIndex(pd.to_datetime(distinct, unit="s"))
        parts: dict[str, np.ndarray] = {
            f"year({t})": stamps.year.to_numpy(), f"month({t})": stamps.month.to_numpy(), f"day({t})": stamps.day.to_numpy(),
            f"weekday({t})": stamps.day_of_week.to_numpy(), f"quarter({t})": stamps.quarter.to_numpy(),
        }
        if learned[t].spec["kind"] == "datetime":
            parts[f"hour({t})"] = stamps.hour.to_numpy()
        days, day_of = np.unique(stamps.normalize().to_numpy(), return_inverse=True)  # names once per day
        names = {f'format({t}, "{f}")': pd.DatetimeIndex(days).strftime(f).to_numpy(dtype=object)[day_of.ravel()]
                 for f in ("%a", "%A", "%b", "%B")}
        for col, l in learned.items():
            if col == t or col in taken or col in found:
                continue
            if l.spec.get("kind") == "integer" and pd.api.types.is_numeric_dtype(df[col]):
                real = df[col].to_numpy(float)
                both = (at >= 0) & ~np.isnan(real)
                if both.sum() < 20:
                    continue
                few = screen[both[screen]]
                rows = np.flatnonzero(both)
                for expr, part in parts.items():
                    if np.mean(part[at[few]] == real[few]) < cfg.rule_share:
                        continue
                    if np.mean(part[at[rows]] == real[rows]) >= cfg.rule_share:
                        found[col] = {"name": col, "kind": "expression", "expr": expr, "type": "integer"}
                        break
            elif l.spec.get("kind") == "choice":
                label, labels = pd.factorize(df[col].astype(str).where(df[col].notna(), None), use_na_sentinel=True)
                label = np.asarray(label, dtype=np.int64)
                both = (at >= 0) & (label >= 0)
                if both.sum() < 20 or _majority(at[both], label[both], len(labels))[0] < cfg.rule_share:
                    continue  # not a function of the timestamp at all
                index = pd.Index(labels)
                for expr, text in names.items():
                    as_label = index.get_indexer(text)  # -1 where that name never appears in the column
                    if np.mean(as_label[at[both]] == label[both]) >= cfg.rule_share:
                        found[col] = {"name": col, "kind": "expression", "expr": expr}
                        break
                else:  # labels of our own (Tues, Thurs): a lookup from the weekday or month number
                    for expr in (f"weekday({t})", f"month({t})"):
                        key = parts[expr][at[both]]
                        share, best = _majority(key, label[both], len(labels))
                        if share >= cfg.rule_share:
                            helper = f"{col}_{expr.split('(')[0]}"
                            records = [{helper: int(k), col: str(labels[b])} for k, b in enumerate(best) if b >= 0]
                            found[col] = [
                                {"name": helper, "kind": "expression", "expr": expr, "type": "integer", "hidden": True},
                                {"name": f"{col}_labels", "kind": "lookup", "key": helper, "fields": [col], "records": records,
                                 "description": f"{col} is a label of {expr} in the real data"},
                            ]
                            break
            if col in found and isinstance(found[col], dict):
                found[col]["description"] = f"{col} = {found[col]['expr']} in the real data"
                if "nulls" in l.spec:
                    found[col]["nulls"] = l.spec["nulls"]
    return found
