"""Privacy: does the synthetic table give away the real rows it was made from?

Each check is a statistical test with an effect size, controlled by a holdout: real rows the generator never saw,
a sample of the population it learned. The deciding tests ask how often synthetic rows *land* on a training row
(equal to one in every modelled column; within the holdout's own 5th percentile of distance to the closest
training row; within about 1% of each number) against how often the population's rows do. A copy always lands;
a generator that learned the population lands about as often as unseen rows do. With a share ``lambda`` of
copies, ``s_syn = lambda + (1 - lambda) rho s_hold``, where ``s_hold`` is the holdout rows' landing rate and
``rho`` how sharp the generator is against the population (every continuous generator is smoother: ``rho < 1``,
which would hide copies); ``rho`` is measured where no copy can be, on the holdout rows themselves (how often
synthetic rows land on *them*, against how often training rows do). So (:func:`landing_share`)

    memorised share = (s_syn - (s_h / h_h) s_hold) / (1 - s_hold)

estimates the **share of synthetic rows that are memorised**, with a delta-method standard error. Attributing
each synthetic row to the training or holdout rows that explain it instead (``near_copies``, kept as a report)
counts a generator that learned how often a cell occurs as copying it: clean fitted twins failed that way
(``docs/research/privacy_estimand.md``). Two attacks complete the family: membership inference (are training
records nearer to the synthetic rows than holdout records? reported) and attribute inference (with
``--sensitive``), plus the replay of rare real identifier values (names, emails, codes).

Each test asks whether the memorised share is significantly above a tolerance (default 1%): a one-sided
z-test, with Holm's step-down correction over the family so that unseen real rows fail by chance at
most ``alpha`` (5%) of the time overall. A test decides only where it could catch a leak 4 points above its
tolerance (5% at the default); privacy is *verified* only when copies of both kinds, exact and with noise on the
numbers, could be caught (:func:`verification`): on a coarse table, where nearly every unseen row equals a
training row, no test can tell copies from chance, and the audit says so rather than flipping a coin. The verdict
is per test; nothing is averaged away.

    >>> import audit                                                         # doctest: +SKIP
    >>> result = audit.run(train_df, synthetic_df, holdout=holdout_df)     # doctest: +SKIP
    >>> result.metric("exact_copies").details["verdict"]                   # doctest: +SKIP
    'fail'
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Sequence

import numpy as np
import pandas as pd

from synth.errors import SynthError

from .data import Encoding, Tables
from .reduction import sampled
from .evidence import (ATTRIBUTE_RECORDS, KAPPA_ROWS, MEMBERSHIP_RECORDS, NEAR_RADIUS, RARE_IDENTIFIER_ROWS,  # noqa: F401
                       RELATIVE_LANDING, RELATIVE_RADIUS, Evidence, Reference, copy_score, row_hashes, share_from_table, share_table)
from .metric import Metric, clamp01
from .neighbours import FAR, NearIndex
from .shards import REAL_SHARD_ROWS
from .registry import METRICS, Context, MetricUnit, register, units

if TYPE_CHECKING:
    from . import AuditResult

#: Default tolerance: a test fails when the memorised share is significantly above this.
TOLERANCE = 0.01
#: Family-wise error rate of the privacy verdict (Holm's step-down over the tests that ran).
ALPHA = 0.05
#: A passing test whose interval reaches above this share says it could not rule such a leak out.
INCONCLUSIVE = 0.05
#: How far above the tolerance a leak (a share of synthetic rows copied from training rows) the audit must be able
#: to catch before it may call privacy "passed" (5% at the default 1%): below this power the holdout is too
#: small to tell a leak from chance.
DETECTABLE_ABOVE_TOLERANCE = 0.04
def explained_share(c_train: np.ndarray, c_hold: np.ndarray, p: float, pool: int, kappa: float,
                    clusters: np.ndarray) -> tuple[float, float]:
    """Estimated memorised share and its standard error.

    ``c_train``/``c_hold``: per synthetic row, how many training/holdout rows explain it; ``p``: the
    training share of the ``pool`` of real rows; ``kappa``: what a copied training row scores on average;
    ``clusters``: a label per synthetic row, equal for rows explained by the same real rows (they move
    together, so their standard deviations add up rather than average out).

    >>> explained_share(np.array([1, 0, 0, 2]), np.array([0, 0, 1, 2]), p=0.5, pool=100, kappa=0.5, clusters=np.arange(4))[0]
    0.0
    """
    return share_from_table(share_table(c_train, c_hold, clusters), len(c_train), p, pool, kappa)


def _binomial_variance(share: float, n: int) -> float:
    """The variance of a proportion, Agresti-Coull style (two landings and two misses added): a rate seen 0 times
    in 69 rows is not known to be 0, it could be 4%."""
    adjusted = (share * n + 2) / (n + 4)
    return adjusted * (1 - adjusted) / (n + 4)


def _relative_variance(share: float, n: int) -> float:
    adjusted = (share * n + 2) / (n + 4)
    return _binomial_variance(share, n) / adjusted ** 2


#: Holdout rows below which the population's landing rate is not estimated (no test at all is better than a
#: normal approximation to a rate seen in 5 rows).
MIN_HOLDOUT_ROWS = 30
#: Landings on holdout rows a copy of a training row is expected to make, below which the generator's sharpness is
#: not measured (the plain population baseline is used).
SHARPNESS_LANDINGS = 20


def landing_share(s_syn: float, n_syn: int, s_hold: float, n_hold: int, s_h: float, h_h: float,
                  n_train: int) -> tuple[float, float, float]:
    """Estimated memorised share from landing rates, its standard error, and the standard error at no memorisation.

    ``s_syn``: the share of ``n_syn`` synthetic rows within the radius of a training row; ``s_hold``: the share of
    ``n_hold`` holdout rows within it of a training row (the population's rate: they are real rows the generator
    never saw); ``s_h``: the share of synthetic rows within it of a holdout row; ``h_h``: the share of ``n_train``
    training rows within it of a holdout row (where a copy lands). A share ``lambda`` of copies lands for sure;
    the other rows land on real rows they never saw at ``rho`` times the population's rate (``rho`` < 1: a generator
    smoother than the population, as every continuous one is; > 1: sharper). On training rows
    ``s_syn = lambda + (1 - lambda) rho s_hold``; on holdout rows, which copies land on at the population's rate,
    ``s_h / h_h = lambda + (1 - lambda) rho``. Two rates, two unknowns:

        lambda = (s_syn - (s_h / h_h) s_hold) / (1 - s_hold)

    the plain population baseline ``(s_syn - s_hold) / (1 - s_hold)`` when ``s_h = h_h``, and the one used when
    fewer than :data:`SHARPNESS_LANDINGS` training rows land on holdout rows (the ratio cannot be measured). Standard
    error by the delta method, the four proportions taken as independent (measured conservative:
    ``docs/research/privacy_estimand.md``), each with :func:`_binomial_variance`.

    >>> round(landing_share(0.05, 10_000, 0.0, 5_000, 0.0, 0.0, 20_000)[0], 3)   # 5% copies, continuous columns
    0.05
    >>> # five times smoother than the population, on training rows as on holdout rows: nothing memorised
    >>> round(landing_share(0.01, 10_000, 0.05, 5_000, 0.01, 0.05, 20_000)[0], 3)
    0.0
    """
    if s_hold >= 1:  # every unseen row lands on a training row: a copy cannot be told from chance
        return 0.0, math.inf, math.inf
    k = 1 - s_hold
    if h_h * n_train >= SHARPNESS_LANDINGS:
        a = s_h / h_h
        var_a = a * a * (_relative_variance(s_h, n_syn) + _relative_variance(h_h, n_train))
    else:
        a, var_a = 1.0, 0.0

    def se(s: float) -> float:
        return math.sqrt(_binomial_variance(s, n_syn) / k ** 2 + var_a * (s_hold / k) ** 2
                         + _binomial_variance(s_hold, n_hold) * ((s - a) / k ** 2) ** 2)

    return (s_syn - a * s_hold) / k, se(s_syn), se(min(1.0, a * s_hold))


def _z(alpha: float) -> float:
    from statistics import NormalDist

    return NormalDist().inv_cdf(1 - alpha)


def _test(name: str, estimate: float, se: float, tolerance: float, meaning: str, sentence: str,
          details: dict[str, object]) -> Metric:
    """A privacy test as a metric: raw = memorised share, score = 1 - that share, p-value against the tolerance."""
    if se > 0 and math.isfinite(se):
        p = float(0.5 * math.erfc((estimate - tolerance) / se / math.sqrt(2)))
    else:
        p = 0.0 if estimate > tolerance else 1.0
    estimate = float(min(1.0, max(-1.0, estimate)))  # kappa is itself estimated: keep the share a share
    ci = (estimate - 1.959964 * se, estimate + 1.959964 * se) if math.isfinite(se) else (estimate, estimate)
    return Metric(name, "privacy", clamp01(1 - estimate), estimate, meaning, goal="higher score is better (1 - memorised share)",
                  ci=(max(-1.0, ci[0]), min(1.0, ci[1])),
                  details={"memorised_share": estimate, "standard_error": se, "p_value": p, "tolerance": tolerance,
                           "verdict": None, "sentence": sentence, **details})


def decide(tests: list[Metric], alpha: float = ALPHA) -> None:
    """Holm's step-down over the privacy tests: sets each test's ``verdict`` to "fail" or "pass" in place."""
    ran = sorted((m for m in tests if m.skipped is None), key=lambda m: m.details["p_value"])
    rejecting = True
    for i, m in enumerate(ran):
        threshold = alpha / (len(ran) - i)
        rejecting = rejecting and m.details["p_value"] <= threshold
        m.details["verdict"] = "fail" if rejecting else "pass"
        m.details["holm_threshold"] = threshold
        if not rejecting and m.ci is not None and m.ci[1] > INCONCLUSIVE:
            m.details["sentence"] += f" Not significant, but too few rows to rule out up to {_pct(m.ci[1])}."


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _sentence(what: str, estimate: float, se: float, tolerance: float) -> str:
    lo, hi = estimate - 1.96 * se, estimate + 1.96 * se
    return (f"{what}: an estimated {_pct(max(0.0, estimate))} of synthetic rows are memorised "
            f"(95% interval {_pct(lo)} to {_pct(hi)}; tolerance {_pct(tolerance)}).")


def _skipped(name: str, why: str, raw: float | None = None, details: dict[str, object] | None = None) -> Metric:
    return Metric(name, "privacy", None, raw, "privacy test", skipped=why, details=details or {})


_row_hashes = row_hashes


def _uninformative(name: str, what: str) -> Metric:
    return _skipped(name, f"every training row is shared by so many real rows that {what} cannot be told from chance")


def _landing_test(name: str, landing: str, e: "Evidence", tolerance: float, what: str, meaning: str,
                  details: dict[str, object] | None = None) -> Metric:
    """A test of how often synthetic rows land within a radius of a training row against how often the
    population's rows do (:func:`landing_share`)."""
    s, ref = e.summary, e.reference
    base = ref.landing[landing]
    n = s.rows
    if n == 0:
        return _skipped(name, "no synthetic rows")
    if base.hold_rows < MIN_HOLDOUT_ROWS:  # a rate from a handful of rows has no usable interval
        return _skipped(name, f"{base.hold_rows} holdout rows are too few to tell how often unseen rows land on a "
                              f"training row (at least {MIN_HOLDOUT_ROWS})")
    s_syn, s_h = s.counts[f"landing_train:{landing}"] / n, s.counts[f"landing_hold:{landing}"] / n
    s_hold, h_h = base.hold_on_train / max(base.hold_rows, 1), base.train_on_hold / max(base.train_rows, 1)
    estimate, se, null_se = landing_share(s_syn, n, s_hold, base.hold_rows, s_h, h_h, base.train_rows)
    if not math.isfinite(se):
        return _uninformative(name, what)
    info: dict[str, object] = {
        "radius": base.radius,
        "synthetic_rows_landing_on_a_training_row": s.counts[f"landing_train:{landing}"],
        "holdout_share_landing_on_a_training_row": s_hold,
        "synthetic_rows_landing_on_a_holdout_row": s.counts[f"landing_hold:{landing}"],
        "training_share_landing_on_a_holdout_row": h_h,
        "null_standard_error": null_se,
        # what the test's power depends on (for :func:`synthetic_rows_needed`)
        "landing": {"s_syn": s_syn, "n_syn": n, "s_hold": s_hold, "n_hold": base.hold_rows, "s_h": s_h, "h_h": h_h,
                    "n_train": base.train_rows},
        **(details or {})}
    return _test(name, estimate, se, tolerance, meaning, _sentence(what[0].upper() + what[1:], estimate, se, tolerance), info)


def exact_copies(t: Tables, e: "Evidence | None", tolerance: float = TOLERANCE) -> Metric:
    """Synthetic rows equal to a training row in every modelled column, beyond how often unseen rows are."""
    if e is None:
        syn = _row_hashes(sampled(t).synthetic)  # the sample: an engine's client holds no more
        c_train = pd.Series(_row_hashes(t.real)).value_counts().reindex(syn, fill_value=0).to_numpy()
        return _skipped("exact_copies", "needs a holdout: without unseen real rows the share of copies cannot be told from chance",
                        raw=float((c_train > 0).mean()), details={"synthetic_rows_equal_to_a_training_row": int((c_train > 0).sum())})
    s = e.summary
    return _landing_test("exact_copies", "exact", e, tolerance, "exact copies",
                         "Share of synthetic rows that are copies of a training row (equal in every modelled column), beyond "
                         "how often unseen (holdout) rows equal one, corrected for how sharp the generator is.",
                         {"whole_rows_equal_to_a_training_row": s.counts["equal_to_training"],
                          "whole_rows_equal_to_a_holdout_row": s.counts["equal_to_holdout"]})


def near_copies(t: Tables, e: "Evidence | None", tolerance: float = TOLERANCE) -> Metric:
    """Synthetic rows with the categories of a real row and numbers within a small radius of it."""
    if e is None:
        return _skipped("near_copies", "needs a holdout: without unseen real rows near copies cannot be told from chance")
    s, ref = e.summary, e.reference
    if ref.near_kappa <= 0:
        return _uninformative("near_copies", "a near copy")
    estimate, se = share_from_table(s.tables["near_copies"], s.rows, ref.p, ref.pool, ref.near_kappa)
    details: dict[str, object] = {
        "radius": ref.radius,
        "synthetic_rows_near_a_training_row": s.counts["near_training"],
        "of_which_exact_in_modelled_columns": s.counts["near_exact"],
        "synthetic_rows_near_a_holdout_row": s.counts["near_holdout"],
        "distance_quantiles_of_near_rows": e.quantiles("near_distances", (0.1, 0.5, 0.9)),
        "copy_score": ref.near_kappa,
    }
    return _test("near_copies", estimate, se, tolerance,
                 f"Share of synthetic rows that match a training row's categories with numbers within {ref.radius:.3g} robust standard "
                 "deviations (root mean square), beyond how often they are that near an unseen (holdout) row.",
                 _sentence("Near copies", estimate, se, tolerance), details)


def relative_near_copies(t: Tables, e: "Evidence | None", tolerance: float = TOLERANCE) -> Metric:
    """Synthetic rows with the categories of a real row and every number within about 1% of its value.

    Spread-relative distances miss a copy whose noise is small for the value but large for the column's
    spread (a year moved by 0.5%); this test looks at each number relative to itself.
    """
    if e is None:
        return _skipped("relative_near_copies", "needs a holdout: without unseen real rows near copies cannot be told from chance")
    if not t.numeric:
        return _skipped("relative_near_copies", "no number columns: exact_copies covers the categories")
    return _landing_test("relative_near_copies", "relative", e, tolerance, "relative near copies",
                         f"Share of synthetic rows that match a training row's categories with every number within about "
                         f"{100 * RELATIVE_RADIUS:g}% of its value (root mean square of log ratios; less where "
                         f"{100 * RELATIVE_LANDING:g}% of unseen rows already are), beyond how often unseen (holdout) rows "
                         "are that near one, corrected for how sharp the generator is.")


def closest_record(t: Tables, e: "Evidence | None", tolerance: float = TOLERANCE) -> Metric:
    """Distance to closest record: is a synthetic row's nearest real row (ties shared) a training row more often than chance?"""
    if e is None:
        return _skipped("closest_record", "needs a holdout: without unseen real rows distances cannot be told from chance")
    if e.reference.landing["dcr5"].radius == 0:
        return _skipped("closest_record", "nearly every unseen row equals a training row, so the closest-record radius "
                        "is 0: exact_copies is this test")
    s = e.summary
    edges = np.linspace(0, FAR, len(s.histograms["holdout"]) + 1)
    details: dict[str, object] = {
        "synthetic_rows_within_distance_1_of_a_real_row": s.counts["closest_found"],
        "synthetic_to_train_median": e.median("capped_train"),
        "synthetic_to_holdout_median": e.median("capped_hold"),
        # for the picture, training rows as many as the holdout's: a larger set is nearer by its size alone
        "histogram": {"edges": edges.tolist(),
                      "synthetic to training (as many rows as the holdout)": s.histograms["same_size"].tolist(),
                      "synthetic to holdout": s.histograms["holdout"].tolist()},
    }
    return _landing_test("closest_record", "dcr5", e, tolerance, "closest record",
                         "Share of synthetic rows closer to a training row than 95% of unseen (holdout) rows are (distance to "
                         "closest record within the holdout's 5th percentile, counted beyond the unseen rows equal to a "
                         "training row), beyond the unseen rows that are, corrected for how sharp the generator is.", details)


def membership_inference(t: Tables, e: "Evidence | None", tolerance: float = TOLERANCE) -> Metric:
    """An attacker ranks real records by their distance to the nearest synthetic row: are members nearer?"""
    if e is None:
        return _skipped("membership_inference", "needs a holdout: real rows the generator never saw, to compare members with non-members")
    # distances capped at FAR: records that far from every synthetic row tie (nothing singles them out)
    d_members, d_others = e.summary.minima["members"], e.summary.minima["others"]
    m = len(d_members)
    auc = _auc(-np.r_[d_members, d_others], np.r_[np.ones(m), np.zeros(m)])
    advantage, se = 2 * auc - 1, 2 * _hanley_mcneil(auc, m, m)
    return _test("membership_inference", advantage, se, tolerance,
                 "Membership attack by distance to the nearest synthetic row: 2 x AUC - 1, the share of training records the attacker "
                 "can single out beyond chance (0 = a coin toss).",
                 f"Membership inference: AUC {auc:.3f}, so an estimated {_pct(max(0.0, advantage))} of training records can be singled out "
                 f"(95% interval {_pct(advantage - 1.96 * se)} to {_pct(advantage + 1.96 * se)}; tolerance {_pct(tolerance)}).",
                 {"auc": auc, "records_per_side": m})


def attribute_inference(t: Tables, e: "Evidence | None", sensitive: list[str], tolerance: float = TOLERANCE) -> Metric:
    """Knowing a real record's other columns, how often does its nearest synthetic row reveal the secret?

    Computed on the synthetic sample in this process (:func:`audit.reduction.sampled`; an attack's nearest synthetic
    row is not merged over partitions: equidistant rows of different partitions would need one rule to choose between them)."""
    t = sampled(t)
    if not sensitive:
        return _skipped("attribute_inference", "no --sensitive column given")
    if e is None:
        return _skipped("attribute_inference", "needs a holdout to tell what the synthetic data leaks from what any realistic data would reveal")
    per_column: dict[str, dict[str, float]] = {}
    worst: tuple[float, float] | None = None
    encoding = e.reference.encoding
    for col in sensitive:
        if col not in e.reference.attribute_rows:
            continue
        train_rows, hold_rows = e.reference.attribute_rows[col]
        m = len(train_rows)
        train, hold = t.real.iloc[train_rows], t.holdout.iloc[hold_rows]
        index = NearIndex(encoding.mixed(t.synthetic, drop=(col,)))
        secret = t.synthetic[col].to_numpy()
        fallback = t.synthetic[col].mode(dropna=False).iloc[0]  # no synthetic row near: the attacker guesses the commonest value
        rates = {}
        for label, frame in (("train", train), ("holdout", hold)):
            found = index.nearest(encoding.mixed(frame, drop=(col,)))[1]
            guess = np.where(found >= 0, secret[np.maximum(found, 0)], fallback)
            truth = frame[col].to_numpy()
            if col in t.numeric:
                tol = 0.1 * encoding.scale[encoding.numeric.index(col)]
                hit = np.abs(guess.astype(float) - truth.astype(float)) <= tol
            else:
                hit = guess == truth
            rates[label] = float(np.mean(hit))
        gap = rates["train"] - rates["holdout"]
        se = math.sqrt(sum(r * (1 - r) / m for r in rates.values())) or 1.0 / m
        per_column[col] = {"train_hit_rate": rates["train"], "holdout_hit_rate": rates["holdout"], "advantage": gap, "standard_error": se}
        if worst is None or gap - 1.96 * se > worst[0] - 1.96 * worst[1]:
            worst = (gap, se)
    if worst is None:
        return _skipped("attribute_inference", "no other columns to infer from")
    gap, se = worst
    m = len(next(iter(e.reference.attribute_rows.values()))[0])
    return _test("attribute_inference", gap, se, tolerance,
                 "How much more often an attacker guesses a training record's secret column from its nearest synthetic row than a "
                 "holdout record's (raw: the advantage, for the worst sensitive column).",
                 f"Attribute inference: secrets of training records are guessed {_pct(gap)} more often than those of unseen records "
                 f"(95% interval {_pct(gap - 1.96 * se)} to {_pct(gap + 1.96 * se)}; tolerance {_pct(tolerance)}).",
                 {"per_column": per_column, "records_per_side": m})


def identifier_replay(t: Tables, e: "Evidence | None", tolerance: float = TOLERANCE) -> Metric:
    """Rare real identifier values (emails, licence numbers, rare names) that reappear in synthetic rows."""
    columns = t.identifiers
    if not columns:
        return _skipped("identifier_replay", "no identifier-like columns")
    if e is None:
        return _skipped("identifier_replay", "needs a holdout: without unseen real rows replayed values cannot be told from chance")
    s, ref = e.summary, e.reference
    best: tuple[float, float, float, dict[str, object]] | None = None
    for col, real in ref.identifier.items():  # the columns where replaying a rare value can be told from chance
        estimate, se = share_from_table(s.tables[f"identifier:{col}"], s.rows, ref.p, ref.pool, real.kappa)
        z = (estimate - tolerance) / se if se > 0 else (np.inf if estimate > tolerance else -np.inf)
        info = {"column": col, "synthetic_rows_replaying_a_rare_training_value": s.counts[f"identifier_replays:{col}"],
                "copy_score": real.kappa}
        if best is None or z > best[2]:
            best = (estimate, se, z, info)
    if best is None:
        return _uninformative("identifier_replay", "a replayed value")
    estimate, se, _, info = best
    test = _test("identifier_replay", estimate, se, tolerance,
                 f"Share of synthetic rows carrying an identifier value (name, email, code) that fewer than {RARE_IDENTIFIER_ROWS} "
                 "training rows share, beyond how often they carry such a value of an unseen (holdout) row (worst column).",
                 _sentence(f"Identifier replay ({info['column']})", estimate, se, tolerance), {**info, "columns": columns})
    # the worst of several columns: Bonferroni inside the test keeps its error rate
    test.details["p_value"] = min(1.0, test.details["p_value"] * len(columns))
    return test


def run_tests(t: Tables, encoding: Encoding, tolerances: dict[str, float] | None = None, sensitive: Sequence[str] = (),
              seed: int = 0, alpha: float = ALPHA) -> list[Metric]:
    """Every privacy test. The tests named in ``tolerances`` (default: all) decide together (Holm); the others are
    reported with their estimate and p-value but no verdict. Without a holdout they are reported as not run."""
    ctx = Context(t, encoding, seed, holdout=t.holdout, sensitive=list(sensitive),
                  tolerances=dict(tolerances) if tolerances is not None else {name: TOLERANCE for name in TESTS})
    tests = [unit.compute(ctx) for unit in units("privacy")]
    decide_family(tests, ctx.tolerances, alpha)
    return tests  # type: ignore[return-value]


def decide_family(tests: list[Metric], tolerances: dict[str, float], alpha: float = ALPHA) -> None:
    """The tests named in ``tolerances`` decide together (Holm, in place); the others that ran are marked "reported".

    Each named test also says what it could catch here (``detectable_share``: the smallest memorised share that
    would pass Holm's first critical value, :func:`_detectable`). One that does not fail and could not catch a leak
    :data:`DETECTABLE_ABOVE_TOLERANCE` above its tolerance is "undecided", not passed (on a coarse table, where
    nearly every unseen row equals a training row, landing on one says little); :func:`verification` says whether
    the family could still verify privacy. A significant one fails whatever its power: its error rate holds."""
    named = [m for m in tests if m.skipped is None and m.name in tolerances]
    decide(named, alpha)
    z = _z(alpha / max(len(named), 1))
    for m in named:
        m.details["holm_z"] = z
        detectable = m.details["detectable_share"] = _detectable(m.details)
        if m.details["verdict"] == "pass" and detectable > m.details["tolerance"] + DETECTABLE_ABOVE_TOLERANCE:
            m.details["verdict"] = "undecided"
            m.details["sentence"] += (f" Undecided: with these tables it could not tell a leak of less than "
                                      f"{_pct(detectable)} from chance.")
    for m in tests:
        if m.skipped is None and m.name not in tolerances:
            m.details["verdict"] = "reported"


#: The tests that see copies of whole rows, and those that see copies whose numbers were moved a little. Privacy is
#: verified only when a test of each kind could catch a leak (the second only when there are number columns).
EXACT_KIND = ("exact_copies", "identifier_replay")
NOISY_KIND = ("relative_near_copies", "closest_record")


def _kinds(tests: Sequence[Metric], numeric: bool) -> list[list[Metric]]:
    """Per kind of copy the family must be able to see, its tests that ran (a closest-record radius of 0 sees exact
    copies only: it is left out of the noisy kind)."""
    ran = {m.name: m for m in tests if m.skipped is None and m.details.get("verdict") != "reported"}
    exact = [ran[n] for n in EXACT_KIND if n in ran]
    noisy = [ran[n] for n in NOISY_KIND if n in ran and (n != "closest_record" or ran[n].details.get("radius", 0) > 0)]
    return [exact, noisy] if numeric else [exact]


def verification(tests: Sequence[Metric], numeric: bool) -> tuple[float, bool]:
    """The smallest copied share this family could be sure to catch, of both kinds of copy (exact, and with noise
    on the numbers when there are number columns), and whether that is enough to call a pass verified: some test of
    each kind decides (:func:`decide_family`)."""
    detectable, verified = 0.0, True
    for kind in _kinds(tests, numeric):
        detectable = max(detectable, min((float(m.details.get("detectable_share", 1.0)) for m in kind), default=1.0))
        verified = verified and any(m.details.get("verdict") in ("pass", "fail") for m in kind)
    return detectable, verified


def synthetic_rows_needed(tests: Sequence[Metric], numeric: bool, most: int = 10 ** 9) -> int | None:
    """How many synthetic rows would let each kind of copy be caught :data:`DETECTABLE_ABOVE_TOLERANCE` above its
    tolerance (a generator that copies a share of its rows copies more of them in a larger sample), holding the rates
    seen; None when no number of synthetic rows would (the holdout itself is too small or too coarse)."""
    needed = 0
    for kind in _kinds(tests, numeric):
        if any(m.details.get("verdict") in ("pass", "fail") for m in kind):
            continue
        options = [n for n in (_rows_for(m, most) for m in kind) if n is not None]
        if not options:
            return None
        needed = max(needed, min(options))
    return needed or None


def _detectable(d: dict[str, Any], rows: int | None = None) -> float:
    """The smallest memorised share a test with these details would find significant at Holm's first step (1.0: none
    would), with ``rows`` synthetic rows (None: as audited). A landing test's standard error is taken at that share: a
    share ``lambda`` of copies lands on training rows beside the others, landing at the rate seen at no memorisation."""
    z, tolerance, landing = d["holm_z"], d["tolerance"], d.get("landing")
    if landing is None:
        se = float(d["standard_error"])
        return min(1.0, tolerance + z * se) if math.isfinite(se) else 1.0
    n = rows or landing["n_syn"]
    sharp = landing["s_h"] / landing["h_h"] if landing["h_h"] * landing["n_train"] >= SHARPNESS_LANDINGS else 1.0
    chance = min(1.0, sharp * landing["s_hold"])  # how often a row that is not a copy lands

    def caught(share: float) -> bool:
        s_syn = share + (1 - share) * chance
        se = landing_share(s_syn, n, landing["s_hold"], landing["n_hold"], landing["s_h"], landing["h_h"], landing["n_train"])[1]
        return share - tolerance >= z * se

    if not caught(1.0):
        return 1.0
    lo, hi = tolerance, 1.0
    for _ in range(40):  # to well below a row's share
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if caught(mid) else (mid, hi)
    return hi


def _rows_for(m: Metric, most: int) -> int | None:
    """The synthetic rows a landing test needs to decide (None: a test of another form, or none would do)."""
    d = m.details
    if d.get("landing") is None or "holm_z" not in d:
        return None
    target = d["tolerance"] + DETECTABLE_ABOVE_TOLERANCE
    if _detectable(d, most) > target:
        return None
    lo, hi = 1, most
    while lo < hi:  # a larger sample of a generator that copies shows its copies more surely
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if _detectable(d, mid) <= target else (mid + 1, hi)
    return lo


def _auc(scores: np.ndarray, labels: np.ndarray) -> float:
    from scipy.stats import rankdata

    ranks = rankdata(scores)  # ties share their average rank: a tie is a coin toss
    pos = labels == 1
    n1, n0 = int(pos.sum()), int((~pos).sum())
    return float((ranks[pos].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def _hanley_mcneil(auc: float, n1: int, n0: int) -> float:
    q1, q2 = auc / (2 - auc), 2 * auc * auc / (1 + auc)
    return math.sqrt(max(1e-12, (auc * (1 - auc) + (n1 - 1) * (q1 - auc * auc) + (n0 - 1) * (q2 - auc * auc)) / (n1 * n0)))


#: The local audit scans the synthetic rows in slices of this many (the answers do not depend on it).
SCAN_ROWS = 1_000_000


def reference(ctx: Context) -> Reference:
    """The real side of the privacy evidence (the audit has a holdout): cut into shards as the engine says (the answers
    do not depend on it); a cluster's workers build the shards' trees, so this process builds each only to count what
    a copy scores, and drops it."""
    return reference_of(ctx.tables, ctx.encoding, ctx.seed, ctx.sensitive, ctx.engine)


def reference_of(t: Tables, encoding: Encoding, seed: int, sensitive: Sequence[str], engine: Any = None) -> Reference:
    """:func:`reference` from its parts: what :func:`audit.run` fixes before an engine reads any synthetic row
    (the real and holdout rows of ``t`` only)."""
    shard_rows = getattr(engine, "real_shard_rows", REAL_SHARD_ROWS)
    return Reference(t, encoding, seed, sensitive, shard_rows=shard_rows, keep=engine is None)


def checked(evidence: Evidence, t: Tables) -> Evidence:
    """An engine's evidence, once its rows are known to be the audited table's."""
    if evidence.summary.rows != t.synthetic_count:  # type: ignore[union-attr]
        raise SynthError(f"the synthetic rows scanned by the engine ({evidence.summary.rows:,}) are not the synthetic table "  # type: ignore[union-attr]
                         f"audited ({t.synthetic_count:,} rows): give the engine the same table")
    return evidence


def gather(ctx: Context) -> Evidence | None:
    """The evidence every privacy test reads, gathered once per audit (None without a holdout): the real side fixed
    first (:class:`audit.evidence.Reference`), then the synthetic rows scanned in slices here, or partition by
    partition by ``ctx.engine`` (e.g. :class:`audit.cluster.DaskEngine`) with the same answers."""
    t = ctx.tables
    if t.holdout is None:
        return None
    ref = reference(ctx)
    if ctx.engine is not None:
        return checked(ctx.engine.evidence(ref), t)
    n = len(t.synthetic)
    return Evidence(ref, [ref.scan(t.synthetic.iloc[i:i + SCAN_ROWS]) for i in range(0, max(n, 1), SCAN_ROWS)])


# --- the tests as registered units, in the order of the report ---------------------------------------------
class PrivacyTest(MetricUnit):
    """A privacy test: its result is the memorised share (see the module docstring); without a holdout it reports
    itself as not run. ``decides``: whether it takes part in the verdict when the policy does not name it."""

    section = "privacy"
    uses = ("holdout",)
    scoring = "1 - share; fails when the share is significantly above 1 - minimum"
    decides: ClassVar[bool] = True
    #: For the docs: when a synthetic row counts.
    explains: ClassVar[str] = ""
    #: The test's function in this module, e.g. :func:`exact_copies`.
    check: ClassVar[Callable[[Tables, "Evidence | None", float], Metric]]

    def compute(self, ctx: Context) -> Metric:
        evidence = ctx.shared("evidence", lambda: gather(ctx))
        return self.test(ctx, evidence, ctx.tolerances.get(self.name, TOLERANCE))

    def test(self, ctx: Context, e: Evidence | None, tolerance: float) -> Metric:
        return self.check(ctx.tables, e, tolerance)


_SHARE = "estimated share of synthetic rows memorised (see Privacy tests), 95% interval, p-value"


@register
class ExactCopies(PrivacyTest):
    name, raw = "exact_copies", _SHARE
    explains = ("lands on a training row: equal to one in every modelled column (identifiers and free text apart, "
                "see identifier_replay), against how often unseen rows do")
    check = staticmethod(exact_copies)


@register
class NearCopies(PrivacyTest):
    """Attribution at a radius wide enough to see a fitted generator *follow* its training rows (learning how often
    a cell occurs is counted as copying it): reported, and decides only when a policy names it."""

    name, raw, decides = "near_copies", _SHARE, False
    scoring = "1 - share; reported only unless a policy names it"
    explains = (f"reported, not decided by default: attributed to the training or holdout rows with its categories and "
                f"numbers within `{NEAR_RADIUS} x sqrt(number columns)` robust standard deviations (root mean square)")
    check = staticmethod(near_copies)


@register
class RelativeNearCopies(PrivacyTest):
    name, raw = "relative_near_copies", _SHARE
    explains = (f"lands within about {100 * RELATIVE_RADIUS:g}% of every number of a training row with its categories "
                f"(log scale, root mean square; less where {100 * RELATIVE_LANDING:g}% of unseen rows already land), against "
                "how often unseen rows do: catches copies with small noise on a number whose value is large for its "
                "spread, such as a year")
    check = staticmethod(relative_near_copies)


@register
class ClosestRecord(PrivacyTest):
    name, raw = "closest_record", _SHARE
    explains = ("lands closer to a training row than 95% of unseen rows do (within the holdout's 5th percentile of "
                "distance to the closest training row, counted beyond the unseen rows equal to one), against the unseen "
                "rows that do")
    check = staticmethod(closest_record)

    def chart(self, metric: Metric, result: "AuditResult") -> str | None:
        """Distances from synthetic rows to their closest training and holdout rows."""
        from .report import png, pyplot

        hist = metric.details.get("histogram")
        if not hist:
            return None
        plt = pyplot()
        edges = np.asarray(hist["edges"])
        fig, ax = plt.subplots(figsize=(6, 3))
        for key, values in hist.items():
            if key == "edges":
                continue
            ax.stairs(values, edges, label=key, linewidth=1.5)
        ax.set_xlabel("distance to closest record (1: one or more, i.e. far from every real row)", fontsize=8)
        ax.set_ylabel("synthetic rows", fontsize=8)
        ax.legend(fontsize=8)
        ax.set_title("Distance to closest record", fontsize=9)
        return f"<img src='{png(fig)}' alt='distance to closest record'>"


@register
class MembershipInference(PrivacyTest):
    """Re-measures from the records' side what closest_record tests from the synthetic rows' side, and its interval
    (Hanley-McNeil) does not include how a fitted generator follows its training sample: so it is reported, and
    decides only when a policy names it (e.g. ``--fail-under membership_inference=0.99``)."""

    name, decides = "membership_inference", False
    raw = "2 x AUC - 1 of the distance attack (Hanley-McNeil interval)"
    scoring = "1 - raw; reported only unless a policy names it"
    explains = ("reported, not decided by default: 2 x AUC - 1 of telling training from holdout records by their distance "
                "to the nearest synthetic row; decides when a policy names it")
    check = staticmethod(membership_inference)


@register
class AttributeInference(PrivacyTest):
    name, uses = "attribute_inference", ("holdout", "sensitive")
    raw = ("how much more often the attack guesses a training record's secret than a holdout record's (worst sensitive "
           "column), 95% interval, p-value")
    explains = ("(with `--sensitive`) the advantage of guessing a training record's secret from its nearest synthetic row "
                "over guessing a holdout record's")

    def test(self, ctx: Context, e: Evidence | None, tolerance: float) -> Metric:
        return attribute_inference(ctx.tables, e, list(ctx.sensitive), tolerance)


@register
class IdentifierReplay(PrivacyTest):
    name, raw = "identifier_replay", _SHARE
    explains = (f"carries an identifier column's value that fewer than {RARE_IDENTIFIER_ROWS} training rows share, "
                "attributed to the training or holdout rows carrying it (the worst column; Bonferroni over the columns)")
    check = staticmethod(identifier_replay)


#: The privacy tests, in the order they run (they draw their samples from one generator, in turn).
TESTS = tuple(u.name for u in METRICS.values() if isinstance(u, PrivacyTest))
#: Tests that are reported, and decide only when a policy names them.
REPORTED_ONLY = tuple(u.name for u in METRICS.values() if isinstance(u, PrivacyTest) and not u.decides)
