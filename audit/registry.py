"""The audit's metrics as registered units: one class per metric, found through :data:`METRICS`.

A unit declares what it is (name, section, what its raw value and score are, what it needs) and computes
one :class:`audit.metric.Metric` result; :func:`audit.run` iterates the registry, the HTML report renders
what each unit declares, and ``docs/audit.md``'s metric table is generated from it (``python -m audit.docs``).
Adding a metric is one class plus ``@register``:

    >>> from audit.registry import MetricUnit, register
    >>> @register                                                              # doctest: +SKIP
    ... class RowCountRatio(MetricUnit):
    ...     name, section = "row_count_ratio", "fidelity"
    ...     raw = "synthetic rows / real rows"
    ...     scoring = "min(raw, 1 / raw)"
    ...     def compute(self, ctx):
    ...         ratio = len(ctx.tables.synthetic) / len(ctx.tables.real)
    ...         return self.result(min(ratio, 1 / ratio), ratio, "Synthetic rows over real rows.")

A metric registers when its module is imported: the built-in modules are listed in :data:`BUILT_IN` (a new
module of :mod:`audit` is added there); a caller's own metric registers when the caller imports it.
Units run section by section (:data:`SECTIONS`), in registration order within a section (built-ins: the
order of their classes in their module), which is the order of the report. A unit that needs an input the
caller did not give (``needs``) is left out, and :func:`audit.run` says so where the input's
:data:`INPUTS` entry asks it to.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Sequence

import pandas as pd

from .metric import Metric

if TYPE_CHECKING:
    from synth.schema import Schema

    from . import AuditResult
    from .data import Encoding, Tables


@dataclass(frozen=True)
class Section:
    """A part of the report: its metrics' scores combine into one section score."""

    name: str
    title: str
    #: The section score is the worst metric's (a leak in one privacy test is not diluted by the others), else the mean.
    worst: bool = False
    #: Shown (and scored) only when one of its metrics ran: schema rules exist only with a schema.
    optional: bool = False


SECTIONS: dict[str, Section] = {s.name: s for s in (
    Section("fidelity", "Fidelity"),
    Section("utility", "Utility"),
    Section("privacy", "Privacy", worst=True),
    Section("rules", "Schema rules", optional=True),
    # a foreign key's metrics, on the child and parent tables and their joined rows (audit.related)
    Section("relations", "Relations", optional=True),
)}


@dataclass(frozen=True)
class Input:
    """Something besides the real and synthetic tables that a metric may need."""

    name: str  # the keyword of audit.run, and the attribute of Context
    option: str  # the command-line option that gives it
    #: Said in the report's notes when metrics needing it are left out, as ``No {option}: {titles} were not run.``
    #: Off for inputs whose absence is ordinary (most tables have no time column and no schema).
    announce: bool = False


INPUTS: dict[str, Input] = {i.name: i for i in (
    Input("holdout", "--holdout"),
    Input("target", "--target", announce=True),
    Input("sensitive", "--sensitive"),
    Input("time_column", "--time-column"),
    Input("schema", "--schema"),
    Input("link", "a folder of related tables"),  # a foreign key with its tables (audit.related.Link)
)}


@dataclass
class Context:
    """Everything a metric may read, and a cache for work several metrics share (computed once per audit)."""

    tables: Tables
    encoding: Encoding
    seed: int = 0
    holdout: pd.DataFrame | None = None
    target: str | None = None
    sensitive: Sequence[str] = ()
    time_column: str | None = None
    schema: Schema | None = None
    #: The tables as given (schema rules are checked on the values as written, not as aligned).
    real: pd.DataFrame | None = None
    synthetic: pd.DataFrame | None = None
    #: Memorised share each deciding privacy test tolerates (from the policy); tests not named only report.
    tolerances: dict[str, float] = field(default_factory=dict)
    #: A foreign key and its real, synthetic and holdout tables, when the tables are its joined rows (audit.related).
    link: Any = None
    #: Where the privacy evidence is gathered: None here; else an object whose ``evidence(reference)`` scans the
    #: synthetic rows elsewhere, partition by partition, with the same answers (:class:`audit.cluster.DaskEngine`).
    engine: Any = None
    cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def has(self, name: str) -> bool:
        """Whether the input ``name`` (see :data:`INPUTS`) was given."""
        value = getattr(self, name)
        return value is not None and not (isinstance(value, (list, tuple)) and not value)

    def shared(self, key: str, make: Callable[[], Any]) -> Any:
        """``make()``, once per audit: e.g. the pair statistics both ``pair_trends`` and ``dependence_kept`` read."""
        if key not in self.cache:
            self.cache[key] = make()
        return self.cache[key]


class MetricUnit:
    """One metric: what it declares, and :meth:`compute`.

    Declared (class attributes): ``name`` (the metric's name in reports and ``--fail-under``), ``section``
    (a key of :data:`SECTIONS`), ``raw`` (what the raw value is) and ``scoring`` (how the 0-1 score, higher
    always better, follows from it), ``needs`` (keys of :data:`INPUTS` without which it is left out of the
    report), ``uses`` (inputs it reads when given; without them its result says it could not run),
    ``title`` (a few words for notes), ``gate`` (a default minimum score that fails the audit, or None).
    """

    name: ClassVar[str] = ""
    section: ClassVar[str] = ""
    raw: ClassVar[str] = ""
    scoring: ClassVar[str] = "same"
    needs: ClassVar[tuple[str, ...]] = ()
    uses: ClassVar[tuple[str, ...]] = ()
    title: ClassVar[str] = ""
    gate: ClassVar[float | None] = None

    def compute(self, ctx: Context) -> Metric | list[Metric]:
        """The result: one metric (or, for a family such as schema rules, several)."""
        raise NotImplementedError

    def chart(self, metric: Metric, result: AuditResult) -> str | None:
        """Optional HTML the report shows after the section's table (a plot as an inline image, a small table)."""
        return None

    def result(self, score: float | None, raw: float | None, meaning: str, **kw: Any) -> Metric:
        """A :class:`Metric` of this unit's name and section."""
        return Metric(self.name, self.section, score, raw, meaning, **kw)


#: Every registered metric unit by name, in registration order (the order of the report).
METRICS: dict[str, MetricUnit] = {}
#: The modules of :mod:`audit` that hold built-in metrics (a metric elsewhere registers when its module is imported).
BUILT_IN = ("fidelity", "utility", "privacy", "rules", "related")


def register(cls: type[MetricUnit]) -> type[MetricUnit]:
    """Class decorator: make the metric ``cls.name`` part of every audit."""
    if cls.section not in SECTIONS:
        raise ValueError(f"metric {cls.name!r}: section {cls.section!r} is not one of {', '.join(SECTIONS)}")
    unknown = [n for n in (*cls.needs, *cls.uses) if n not in INPUTS]
    if unknown:
        raise ValueError(f"metric {cls.name!r}: needs unknown input {unknown[0]!r}; inputs: {', '.join(INPUTS)}")
    if cls.name in METRICS:
        raise ValueError(f"metric {cls.name!r} is registered twice")
    METRICS[cls.name] = cls()
    return cls


def units(section: str | None = None) -> list[MetricUnit]:
    """The registered units (of one section), section by section in registration order, built-ins included.

    >>> [u.name for u in units("utility")]
    ['tstr', 'feature_importance', 'qscore']
    """
    for module in BUILT_IN:
        importlib.import_module(f"audit.{module}")  # importing a module registers its metrics
    return [u for s in SECTIONS if section in (None, s) for u in METRICS.values() if u.section == s]
