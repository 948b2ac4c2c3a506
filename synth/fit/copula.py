"""The Gaussian copula's targets: rank correlations between columns, calibrated (NORTA) so that coarse
margins still reach them.

A column conditioned on decision-tree cases (:mod:`.trees`) joins the copula by its *score*: its percentile
within its case (:func:`.structure.within_groups`). At generation the engine turns the copula's normal score
into a uniform and reads the value at that quantile of the row's case, so the score is what the copula drives:
such columns (``scores``) are correlated and calibrated as they are, never re-ranked over the whole table.
Re-ranking would mix the cases' shares of tied values into the order (a flag that is 10% yes in one case and
90% in another) and ask the copula for a correlation it does not control.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import SynthError
from ..lazy import LazyModule
from .arrays import average_ranks, int_codes, run_starts
from .columns import Learned

if TYPE_CHECKING:
    from scipy import special
else:  # scipy.special's compiled ufuncs, imported when first used without the package (synth.lazy)
    special = LazyModule("scipy.special._ufuncs")


#: Most simulated rows NORTA uses to measure what the copula's correlations become after coarse margins
#: (fewer for small tables, whose targets are themselves only known to about 1/sqrt(rows)).
CALIBRATION_ROWS = 5_000


def rank_correlations(codes: dict[str, np.ndarray], floor: float = 0.03,
                      scores: Mapping[str, np.ndarray] | None = None) -> dict[tuple[str, str], float]:
    """Spearman correlation of every pair (pairwise complete rows); tiny ones are left out.

    ``scores``: the columns of ``codes`` that hold a score within their case (the values are taken as they are,
    as the uniforms the engine reads each case's quantiles at; see the module's docstring), by name.
    """
    names = list(codes)
    if len(names) < 2 or len(next(iter(codes.values()))) < 20:  # too few rows to say anything about ranks
        return {}
    scored = scores or {}
    ranks = np.column_stack([np.asarray(v, dtype=float) if c in scored else average_ranks(np.asarray(v, dtype=float))
                             for c, v in codes.items()])
    if np.isnan(ranks).any():
        corr = pd.DataFrame(ranks).corr(method="pearson", min_periods=20).to_numpy()
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            corr = np.corrcoef(ranks, rowvar=False)
    out = {}
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            r = corr[i, j]
            if np.isfinite(r) and abs(r) >= floor:
                out[(names[i], names[j])] = float(np.clip(r, -0.99, 0.99))
    return out


def calibrate(targets: dict[tuple[str, str], float], margins: dict[str, np.ndarray], seed: int,
               root: str | None = None, conditional: frozenset[str] | set[str] = frozenset(),
               scores: Mapping[str, np.ndarray] | None = None) -> list[dict[str, Any]]:
    """NORTA ("normal to anything", Cario & Nelson 1997): the copula correlations whose output hits the targets.

    Ties and few distinct values weaken a Gaussian copula's rank correlation once its normal scores go
    through a discrete margin (a two-valued column cannot reach a rank correlation of 1). The output is
    measured by pushing up to ``CALIBRATION_ROWS`` correlated normal rows through each column's margin (the
    empirical distribution of its codes in ``margins``; for a ``conditional`` column, the distribution in
    the row's ``root`` category), and each target is scaled until the output hits it. The same normal
    rows serve every round, so the corrections converge instead of chasing sampling noise.

    ``scores``: columns of ``margins`` that hold a score within their case, each mapped to its case per row (any
    labels). Each simulated row of such a column falls in a case drawn with the cases' shares, and its output
    is the score at its uniform of that case's scores: what the engine's draw within the case scores there.
    """
    from ..engine import _psd_cholesky
    from ..schema import normal_correlation

    rows = len(next(iter(margins.values()))) if margins else 0
    # The simulation's own error shrinks with its rows; once well below the targets' (about 1/sqrt(rows)),
    # more rows change nothing: small tables need fewer.
    n = int(np.clip(5 * rows, 1_000, CALIBRATION_ROWS))
    rng = np.random.default_rng(seed)
    wanted = {c for pair in targets for c in pair} | ({root} if conditional else set())
    columns = {c: v for c, v in margins.items() if c in wanted and np.count_nonzero(~np.isnan(v)) >= 2}
    tables = _margin_tables(columns, n, rng, root, conditional)
    names = list(tables)
    index = {c: i for i, c in enumerate(names)}
    by_root = root in tables and any(t.shape[0] > 1 for t in tables.values())
    # Root categories are drawn independently of conditional columns (no such targets), so the mixture of
    # per-category margins each conditional column makes is known up front: so are its values' ranks.
    share = None
    if by_root:
        categories = max(t.shape[0] for t in tables.values())
        share = np.bincount(tables[root][0].astype(np.int64), minlength=categories)[:, None] / n
    scored = {c: cases for c, cases in (scores or {}).items() if c in tables}
    ranks = {c: _mid_ranks(t, share if t.shape[0] > 1 else None) for c, t in tables.items() if c not in scored}
    white = rng.standard_normal((len(names), n))  # one row per column, as np.corrcoef takes them
    # Whitened, so the rows' own correlation is exactly the identity: what is left to correct is the margins'.
    white -= white.mean(axis=1, keepdims=True)
    if len(names) > 1:
        white = np.linalg.solve(np.linalg.cholesky(np.cov(white)), white)
    # Each simulated row stands for a real row and takes its case in every scored column: columns whose cases go
    # together (a number that takes its partner's cases) share them as at generation. Drawn after the normal
    # rows, so a table without scored columns calibrates exactly as it did before scores.
    case_of: dict[str, np.ndarray] = {}
    if scored:
        pick = rng.integers(rows, size=n)
        for c, cases in scored.items():
            ranks[c], case_of[c] = _case_tables(columns[c], cases, n, pick)
    current = {pair: r for pair, r in targets.items() if pair[0] in index and pair[1] in index}
    # No use correcting below the targets' own sampling error (a rank correlation's is about 1/sqrt(rows)).
    tolerance = max(0.005, 0.5 / math.sqrt(max(rows, 1)))
    for _ in range(5):
        if not current:
            break
        r = np.eye(len(names))
        for (a, b), rank in current.items():
            r[index[a], index[b]] = r[index[b], index[a]] = normal_correlation(round(rank, 4))
        # Each row of z has mean 0 and variance 1 exactly, so its normal CDF stands in for its rank (no sort).
        slot = np.minimum((special.ndtr(_psd_cholesky(r) @ white) * n).astype(np.int64), n - 1)
        made = np.empty((len(names), n))
        category = tables[root][0, slot[index[root]]].astype(np.int64) if by_root else None
        for i, c in enumerate(names):
            row = case_of[c] if c in case_of else category if ranks[c].shape[0] > 1 else 0
            made[i] = ranks[c][row, slot[i]]
        with np.errstate(divide="ignore", invalid="ignore"):
            realized = np.corrcoef(made)
        off = 0.0
        for (a, b), want in targets.items():
            got = realized[index[a], index[b]] if (a, b) in current else np.nan
            if not np.isfinite(got) or abs(got) < 0.02 or np.sign(got) != np.sign(want):
                continue
            off = max(off, abs(got - want))
            current[(a, b)] = min(0.99, max(-0.99, current[(a, b)] * want / float(got)))
        if off < tolerance:
            break
    current = {pair: current.get(pair, r) for pair, r in targets.items()}
    return [{"columns": [a, b], "rank": round(r, 3)} for (a, b), r in current.items()]


def _margin_tables(columns: dict[str, np.ndarray], n: int, rng: np.random.Generator, root: str | None,
                   conditional: frozenset[str] | set[str]) -> dict[str, np.ndarray]:
    """Each column's margin at ``n`` evenly spaced ranks: one row, or one row per ``root`` category for a
    conditional column (its distribution within that category; the pooled one where it has no values)."""
    rows = len(next(iter(columns.values()))) if columns else 0
    sample = np.sort(rng.choice(rows, 50_000, replace=False)) if rows > 50_000 else slice(None)
    groups = int_codes(columns[root][sample]) if conditional and root in columns else None
    slots = (np.arange(n) + 0.5) / n

    def at_slots(values: np.ndarray) -> np.ndarray:
        q = np.sort(values[~np.isnan(values)])
        return q[(slots * len(q)).astype(np.int64)]

    tables: dict[str, np.ndarray] = {}
    for c, codes in columns.items():
        codes = codes[sample]
        if groups is not None and c in conditional:
            pooled = at_slots(codes)
            tables[c] = np.vstack([at_slots(codes[groups == g]) if np.any(~np.isnan(codes[groups == g])) else pooled
                                   for g in range(groups.max() + 1)])
        else:
            tables[c] = at_slots(codes)[None, :]
    return tables


def _case_tables(values: np.ndarray, cases: np.ndarray, n: int, pick: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A scored column's margin in each of its cases at ``n`` evenly spaced uniforms (one row per case; the
    pooled one for a case with no values), and the case of each real row in ``pick`` (one per simulated row)."""
    group = np.unique(np.asarray(cases), return_inverse=True)[1].ravel()
    ok = ~np.isnan(values)
    slots = (np.arange(n) + 0.5) / n
    pooled = np.sort(values[ok])[(slots * np.count_nonzero(ok)).astype(np.int64)]
    order = np.lexsort((values[ok], group[ok]))
    ordered = values[ok][order]
    count = np.bincount(group[ok], minlength=group.max() + 1)
    start = np.cumsum(count) - count
    at = np.minimum(start[:, None] + (slots[None, :] * count[:, None]).astype(np.int64), len(ordered) - 1)
    return np.where(count[:, None] > 0, ordered[at], pooled[None, :]), group[pick]


def _mid_ranks(values: np.ndarray, weights: np.ndarray | None) -> np.ndarray:
    """Each entry's mid-rank (the weight below its value plus half its ties') when row g of ``values`` has
    weight ``weights[g]`` per entry: ranks of a mixture, without drawing from it."""
    flat = values.ravel()
    w = np.ones(flat.shape) if weights is None else np.broadcast_to(weights, values.shape).ravel()
    order = np.argsort(flat, kind="stable")  # each row is sorted already: a merge of sorted runs
    ordered = flat[order]
    run = np.cumsum(run_starts(ordered)) - 1
    mass = np.bincount(run, weights=w[order])
    out = np.empty(flat.shape)
    out[order] = ((np.cumsum(mass) - mass / 2) / mass.sum())[run]
    return out.reshape(values.shape)


def schema_margins(schema: dict[str, Any], learned: dict[str, Learned], seed: int) -> dict[str, np.ndarray]:
    """Each column's codes in ``CALIBRATION_ROWS`` rows generated from ``schema`` (margins only, no copula).

    For a differentially private fit: calibrating on these instead of the real codes is post-processing of
    the private schema, so it costs no privacy budget.
    """
    from ..engine import Plan
    from ..schema import Schema

    base = {k: v for k, v in schema.items() if k not in ("column_order", "correlations")}
    base["columns"] = [c for c in schema["columns"] if c["name"] in learned]
    try:
        made = Plan(Schema.from_dict(base), rows=CALIBRATION_ROWS, seed=seed).working_values(0)
    except SynthError:
        return {}
    return {c: _codes_of(made[c], l) for c, l in learned.items() if c in made}


def _codes_of(values: pa.Array, learned: Learned) -> np.ndarray:
    """Encode generated working values (before formatting) the way the real column was encoded."""
    kind = learned.spec["kind"]
    if pa.types.is_dictionary(values.type):
        values = values.dictionary_decode()
    if kind == "choice":
        encoded = pc.dictionary_encode(pc.cast(values, pa.string()))
        order = {str(k): i for i, k in enumerate(learned.spec["values"])}
        position = np.array([order.get(t, np.nan) for t in encoded.dictionary.to_pylist()] + [np.nan])
        return position[encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False)]
    if pa.types.is_date32(values.type):
        return pc.cast(values, pa.int32()).to_numpy(zero_copy_only=False).astype(float) * 86400
    if pa.types.is_time32(values.type) or pa.types.is_timestamp(values.type):
        seconds = pc.cast(values, pa.int32() if pa.types.is_time32(values.type) else pa.int64())
        return seconds.to_numpy(zero_copy_only=False).astype(float)
    # Unsafe cast: integers beyond 2**53 only lose precision, which ranks do not notice.
    return pc.cast(values, pa.float64(), safe=False).to_numpy(zero_copy_only=False)
