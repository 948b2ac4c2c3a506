"""Schema rules checked on real and synthetic tables: one spec both generates and audits.

Each rule a schema declares (ranges, categories, formats, uniqueness, derived columns such as
``amount = round(price * quantity, 2)``, fixed combinations, constraints such as ``end > start``) becomes
a metric whose raw value is the synthetic table's violation rate, next to the real table's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .metric import Metric, clamp01, wilson
from .registry import Context, MetricUnit, register

if TYPE_CHECKING:
    from synth.schema import Schema


def check_rules(schema: Schema, real: pd.DataFrame, synthetic: pd.DataFrame) -> list[Metric]:
    out = []
    for name, check in schema.rules():
        rates = {}
        skipped = None
        for label, frame in (("real", real), ("synthetic", synthetic)):
            try:
                broken = np.asarray(check(frame), dtype=bool)
                rates[label] = (float(broken.mean()) if len(broken) else 0.0, int(broken.sum()))
            except KeyError as exc:
                skipped = f"column {exc} is not in the {label} table"
                break
            except Exception as exc:  # a rule that cannot be evaluated on this data (e.g. text where a date was meant)
                skipped = f"could not be evaluated on the {label} table: {str(exc).splitlines()[0][:120]}"
                break
        if skipped:
            out.append(Metric(f"rule: {name}", "rules", None, None, "a rule the schema declares", skipped=skipped))
            continue
        rate, count = rates["synthetic"]
        out.append(Metric(f"rule: {name}", "rules", clamp01(1 - rate), rate,
                          "Share of synthetic rows breaking this rule of the schema (the real table's share is in details).",
                          ci=wilson(count, len(synthetic)),
                          details={"synthetic_violations": count, "real_violation_rate": rates["real"][0],
                                   "real_violations": rates["real"][1]}))
    return out


@register
class SchemaRules(MetricUnit):
    name, section, needs = "rules", "rules", ("schema",)
    title = "schema rules"
    raw = "one metric per rule the schema declares, named `rule: ...`: the share of synthetic rows breaking it (the real table's share in details)"
    scoring = "1 - raw"

    def compute(self, ctx: Context) -> list[Metric]:
        assert ctx.schema is not None and ctx.real is not None and ctx.synthetic is not None
        return check_rules(ctx.schema, ctx.real, ctx.synthetic)
