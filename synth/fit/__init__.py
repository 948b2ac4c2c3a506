"""Learn a schema from a real table: ``synth fit real.csv`` writes YAML that generates a faithful twin.

The result is the same kind of schema a person writes, so it can be read, reviewed, edited and versioned:

- **marginals**: numbers as a parametric family when one fits (normal, lognormal, gamma, exponential,
  uniform) or else a smoothed empirical quantile function (which keeps point masses such as many zeros);
  integer codes and small counts as weighted values; categories with their frequencies; dates, datetimes
  and times with their range, step, format and hour/weekday/month/year profiles; identifiers as
  ``pattern``/``sequence`` columns and names, emails, phones as Faker columns (never copied);
- **dependence**: fixed combinations (``product`` -> price, calories) as a ``lookup``; exact formulas
  (``amount = price * quantity``) as ``expression`` columns; everything else through a Gaussian copula
  whose target rank correlations are calibrated (NORTA) so that discrete margins still reach them;
- **privacy guards**, on by default and stated in the schema: categories and combinations seen in fewer
  than ``min_count`` rows are left out (a lookup key's rare values pooled as ``other``, so their rows and
  their fields stay: :func:`.rules.pool_rare_keys`), numeric and date ranges are cut at the ``tail`` quantiles rather
  than the real minimum and maximum, identifier-like columns are never learned as categories.

The steps live in one module each: :mod:`.columns` (one column's kind and shape), :mod:`.rules` (lookups,
formulas, date parts), :mod:`.structure` (the conditioning category and category order), :mod:`.copula`
(rank correlations and their calibration), :mod:`.trees` (columns conditioned by decision-tree cases, grown by
:mod:`.cart`), :mod:`.names` (names by the category they go with), :mod:`.private` (``--epsilon``), :mod:`.arrays` (shared array
helpers). :class:`SchemaFitter` below runs them in that order.

>>> import pandas as pd
>>> real = pd.DataFrame({"x": range(1000), "y": ["a", "b"] * 500})
>>> fitter = SchemaFitter(FitConfig(seed=0)).fit(real, name="demo")
>>> fitter.schema_.output_columns
['x', 'y']
"""

from __future__ import annotations

import re
from typing import Any, Callable

import pandas as pd

from ..errors import SynthError
from ..schema import Schema
from ..yamlsafe import dump_yaml
from .arrays import int_codes
from .columns import Learned, learn_column
from .config import FitConfig
from .copula import calibrate, rank_correlations
from .names import condition_names
from .rules import find_date_parts, find_formulas, find_lookups, lookup_entry, pool_rare_keys
from .structure import order_categories, order_lookup_keys, within_groups
from .trees import Conditioned, condition_on_trees

__all__ = ["FitConfig", "SchemaFitter", "dump_yaml", "learn_column"]

#: The first line of every learned schema file.
HEADER = "# Learned by `synth fit`. Review it, edit it, then: synth generate <this file> --rows N\n"


class SchemaFitter:
    """Learn a schema from a DataFrame, scikit-learn style: ``fit`` sets ``schema_``, a validated :class:`Schema`.

    >>> import pandas as pd, synth
    >>> real = pd.DataFrame({"size": ["S", "M", "L", "M"] * 50, "price": [2.5, 3.0, 3.5, 3.0] * 50})
    >>> fitter = SchemaFitter(FitConfig(min_count=5)).fit(real, name="cups")
    >>> [(c.name, c.kind) for c in fitter.schema_.columns]  # the price goes with the size: a lookup
    [('size', 'choice'), ('size_facts', 'lookup')]
    >>> synth.generate(fitter.schema_, rows=3, seed=1)  # a twin, of any size
      size  price
    0    L    3.5
    1    S    2.5
    2    M    3.0
    >>> fitter.to_yaml().splitlines()[0]  # what `synth fit` writes: the schema's YAML under this line
    '# Learned by `synth fit`. Review it, edit it, then: synth generate <this file> --rows N'
    """

    schema_: Schema
    spec_: dict[str, Any]
    #: The copula's columns as it sees them (codes; a conditioned column's score within its case), and for each
    #: conditioned one its case per row (what :func:`synth.fit.copula.calibrate` takes as ``scores``).
    copula_codes_: dict[str, Any]
    copula_scores_: dict[str, Any]

    def __init__(self, config: FitConfig | None = None) -> None:
        self.config = config or FitConfig()

    # --- the whole table ---------------------------------------------------------------------
    def fit(self, df: pd.DataFrame, name: str = "table", progress: Callable[[str], None] | None = None,
            given: tuple[str, ...] = (), validate: bool = True) -> "SchemaFitter":
        """Learn ``schema_`` from ``df``. ``given``: columns known before the others (a parent's columns joined onto
        a child table's rows): the other columns' decision-tree cases may split on them, they are never conditioned.
        ``validate=False``: set only ``spec_`` (a caller that validates a larger schema holding it, once)."""
        cfg = self.config
        step = progress or (lambda _msg: None)
        _check_table(df)
        if cfg.sample_rows is not None and len(df) > cfg.sample_rows:
            # Kept in row order: running numbers and time order are part of what is learned.
            df = df.sample(n=cfg.sample_rows, random_state=cfg.seed).sort_index().reset_index(drop=True)
        if cfg.epsilon is not None:
            from .private import fit_private

            self.spec_ = fit_private(df, _table_name(name), cfg, step)
            self.schema_ = _validated(self.spec_)
            return self
        n = len(df)
        learned: dict[str, Learned] = {}
        for col in df.columns:
            step(f"column {col}")
            learned[str(col)] = learn_column(str(col), df[col], cfg)
        order_categories(learned)
        step("fixed combinations")
        lookups = find_lookups(df, learned, cfg)
        pool_rare_keys(df, learned, lookups, cfg)
        order_lookup_keys(lookups, learned)
        from .columns import drop_tails

        for lk in lookups:  # a key's numbers look up its records: a tail's numbers would look up none
            drop_tails(learned[lk["key"]])
        determined = {f for lk in lookups for f in lk["fields"]}
        step("formulas")
        formulas = find_formulas(df, learned, cfg, taken=determined)
        formulas.update(find_date_parts(df, learned, cfg, taken=determined | set(formulas)))
        step("conditional structure")
        conditioned = condition_on_trees(learned, skip=determined | set(formulas), cfg=cfg,
                                         keys={lk["key"] for lk in lookups}, given=frozenset(given),
                                         first=frozenset(lk["key"] for lk in lookups if lk.get("other"))) if cfg.trees else Conditioned()
        conditionals = conditioned.entries
        if cfg.trees:
            step("names by category")
            named = condition_names(
                df, {c: l.spec for c, l in learned.items() if l.spec.get("kind") == "faker" and l.spec.get("common")},
                {c: l.spec for c, l in learned.items()
                 if l.spec.get("kind") == "choice" and c not in determined and c not in formulas}, cfg)
            conditionals = {**named, **conditionals}
        columns: list[dict[str, Any]] = []
        for col in map(str, df.columns):
            if col in determined:
                continue
            entry = formulas.get(col) or conditionals.get(col) or learned[col].spec
            columns.extend(entry if isinstance(entry, list) else [entry])
            for lk in lookups:
                if lk["key"] == col:
                    columns.append(lookup_entry(lk))
        schema: dict[str, Any] = {
            "name": _table_name(name),
            "description": (f"Fitted by synth fit from {n:,} rows. Privacy guards: values, categories and combinations "
                            f"seen in fewer than {cfg.min_count} rows left out; no value beyond the {cfg.min_count}th smallest "
                            f"and largest written (numeric tails go on at the spacing inside them){_tail_text(cfg.tail)}; identifiers and rare names regenerated, never copied."),
            "rows": n,
            "seed": cfg.seed,
            "columns": columns,
        }
        order = [str(c) for c in df.columns]
        if [c for c in _written(columns)] != order:
            schema["column_order"] = order
        step("correlations")
        in_copula = {c: learned[c] for c in order if c not in determined and c not in formulas and learned[c].codes is not None}
        ranked = {c: l.codes if l.copula_codes is None else l.copula_codes for c, l in in_copula.items()}
        # A conditioned column joins the copula by its score within its case: what its case leaves unsaid. The
        # engine reads each case's quantile at the copula's uniform, so the scores are correlated as they are.
        cases = {c: conditioned.leaves[c] for c in ranked if c in conditionals}
        codes = {c: (within_groups(v, cases[c]) if c in cases else v) for c, v in ranked.items()}
        targets = rank_correlations(codes, scores=cases)  # type: ignore[arg-type]
        targets = {(a, b): r for (a, b), r in targets.items()
                   if b not in conditioned.split_on.get(a, ()) and a not in conditioned.split_on.get(b, ())}
        # What synth.fit.dataset needs to put the whole table's correlations in place of a sample's.
        self.rank_targets_, self.copula_codes_, self.copula_scores_ = targets, codes, cases
        self.conditioned_ = frozenset(conditionals) | frozenset(c for c in determined | set(formulas))
        self.split_on_ = {c: frozenset(v) for c, v in conditioned.split_on.items()}
        if targets:
            schema["correlations"] = [{"columns": [a, b], "rank": round(r, 3)} for (a, b), r in targets.items()]
            if cfg.calibrate:
                step("calibrating correlations")
                schema["correlations"] = calibrate(targets, codes, cfg.seed, scores=cases)  # type: ignore[arg-type]
        if validate:
            self.schema_ = _validated(schema)
        self.spec_ = schema  # the plain mapping, for callers that assemble several tables (synth.fit.related)
        return self

    def to_yaml(self) -> str:
        """The learned schema's YAML text, under a line saying where it came from."""
        return HEADER + self.schema_.to_yaml()


def _validated(data: dict[str, Any]) -> Schema:
    """The learned schema, validated as ``synth generate`` validates it.

    The mapping holds only YAML's plain types (str, int, float, bool, None, lists, dicts), so the written YAML
    reads back into the same mapping; tests/test_fit.py checks that round trip on fitted tables rather than
    every fit paying for a dump and a parse (a fifth of a mid-sized table's fit).
    """
    try:
        return Schema.from_dict(data)
    except SynthError as exc:  # never hand over a schema that `synth generate` would refuse
        raise SynthError(f"the learned schema does not validate ({exc.message}); this is a bug in synth fit, "
                         "please report it with the column's description") from None


def _check_table(df: pd.DataFrame) -> None:
    if df.shape[1] == 0 or len(df) == 0:
        raise SynthError("the table is empty: nothing to learn from")
    if df.shape[1] < 2:
        raise SynthError("the table has a single column; fit needs at least two to learn how columns relate")
    dupes = [c for c in df.columns[df.columns.duplicated()]]
    if dupes:
        raise SynthError(f"column name {dupes[0]!r} appears twice in the header")
    empty = [str(c) for c in df.columns if df[c].isna().all()]
    if len(empty) == df.shape[1]:
        raise SynthError("every column is empty")


def _tail_text(tail: float) -> str:
    return f" and within the {tail:.1%} and {1 - tail:.1%} quantiles" if tail > 0 else ""


def _table_name(name: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_.-")
    return cleaned or "table"


def _written(columns: list[dict[str, Any]]) -> list[str]:
    out = []
    for c in columns:
        if c.get("kind") == "lookup":
            out.extend(c["fields"])
        elif c.get("kind") == "reference" and c.get("columns"):  # a composite reference: its name is a label
            out.extend(c["columns"])
        elif not c.get("hidden"):
            out.append(c["name"])
    return out
