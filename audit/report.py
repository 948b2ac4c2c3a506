"""Reports: a self-contained HTML page (plots inline, opens offline) and a console summary.

Real rows are never printed: the page shows aggregates only (scores, histograms, correlation matrices).
Each section lists its metrics in the order they ran, then the charts their units declare
(:meth:`audit.registry.MetricUnit.chart`).
"""

from __future__ import annotations

import base64
import html
import io
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from . import AuditResult

MAX_HISTOGRAMS = 24


def pyplot():  # type: ignore[no-untyped-def]
    """matplotlib's pyplot, drawing off screen (no display needed), for charts."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def png(fig) -> str:  # type: ignore[no-untyped-def]
    """A matplotlib figure as an inline PNG (``data:`` URL), closed afterwards."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def fmt(x: object) -> str:
    """A value for a table cell: floats to 3 decimals, None as a dash, text escaped."""
    if x is None:
        return "–"
    if isinstance(x, float):
        return f"{x:.3f}"
    return html.escape(str(x))


def _badge(score: float | None) -> str:
    if score is None:
        return '<span class="badge na">n/a</span>'
    cls = "good" if score >= 0.8 else ("warn" if score >= 0.6 else "bad")
    return f'<span class="badge {cls}">{score:.2f}</span>'


def _histograms(result: "AuditResult") -> list[str]:
    """Real vs synthetic distribution of each column, drawn as small multiples in one figure (one PNG to encode)."""
    plt = pyplot()
    t = result.tables
    columns = [c for c in t.modelled if c not in t.numeric or t.real[c].notna().any()][:MAX_HISTOGRAMS]
    if not columns:
        return []
    per_row = 4
    rows = -(-len(columns) // per_row)
    fig, axes = plt.subplots(rows, per_row, figsize=(4.2 * per_row, 2.8 * rows), squeeze=False)
    for ax in axes.ravel()[len(columns):]:
        ax.set_visible(False)
    for ax, col in zip(axes.ravel(), columns):
        if col in t.numeric:
            r, s = t.real[col].dropna().to_numpy(), t.synthetic[col].dropna().to_numpy()
            lo, hi = np.quantile(np.r_[r, s] if len(s) else r, [0.005, 0.995])
            bins = np.linspace(lo, hi if hi > lo else lo + 1, 31)
            ax.hist(np.clip(r, lo, hi), bins=bins, alpha=0.55, density=True, label="real", color="#1f77b4")
            ax.hist(np.clip(s, lo, hi), bins=bins, alpha=0.55, density=True, label="synthetic", color="#ff7f0e")
        else:
            p = t.real[col].value_counts(normalize=True)
            q = t.synthetic[col].value_counts(normalize=True)
            top = p.index[:12]
            x = np.arange(len(top))
            ax.bar(x - 0.2, p.reindex(top).fillna(0), 0.4, label="real", color="#1f77b4")
            ax.bar(x + 0.2, q.reindex(top).fillna(0), 0.4, label="synthetic", color="#ff7f0e")
            ax.set_xticks(x, [str(v)[:12] for v in top], rotation=45, ha="right", fontsize=7)
        ax.set_title(col, fontsize=9)
        ax.tick_params(labelsize=7)
        ax.legend(fontsize=7)
    fig.tight_layout()
    return [png(fig)]


CSS = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2rem auto;max-width:1150px;color:#222;padding:0 1rem}
h1{margin-bottom:.2rem} h2{border-bottom:1px solid #ddd;padding-bottom:.3rem;margin-top:2rem}
.verdict{font-size:1.4rem;padding:.8rem 1rem;border-radius:6px;margin:1rem 0}
.pass{background:#e6f4ea;color:#137333}.fail{background:#fce8e6;color:#a50e0e}
.cards{display:flex;gap:1rem;flex-wrap:wrap}.card{flex:1;min-width:180px;border:1px solid #ddd;border-radius:6px;padding:.8rem 1rem}
.card .v{font-size:2rem;font-weight:600}
table{border-collapse:collapse;width:100%;font-size:.85rem;margin:.5rem 0}
th,td{border-bottom:1px solid #eee;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#fafafa}
.badge{display:inline-block;min-width:2.6rem;text-align:center;border-radius:4px;padding:.1rem .35rem;font-weight:600}
.good{background:#e6f4ea;color:#137333}.warn{background:#fef7e0;color:#8a5300}.bad{background:#fce8e6;color:#a50e0e}.na{background:#eee;color:#666}
.grid{display:flex;flex-wrap:wrap;gap:.5rem}.grid img{border:1px solid #eee}
.note{background:#f1f3f4;border-left:4px solid #888;padding:.6rem .8rem;margin:.5rem 0}
small{color:#666}
"""


_EVIDENCE_SKIP = {"memorised_share", "standard_error", "p_value", "tolerance", "verdict", "sentence", "holm_threshold", "histogram",
                  "per_column", "columns", "landing", "holm_z", "null_standard_error"}


def _privacy_tests(result: "AuditResult") -> str:
    """Each privacy test's verdict, effect size and evidence (counts and distances, never rows)."""
    verdict = result.privacy_verdict
    rows = [f"<p><b>Privacy verdict: {html.escape(verdict)}.</b> Each test estimates the share of synthetic rows that are "
            "memorised, from how much more often they land on a training row than unseen (holdout) rows do; it fails when "
            f"that share is significantly above its tolerance (Holm-corrected, family-wise error {result.policy.alpha:g}), and "
            "is undecided when these tables could not show a leak 4 points above it.</p>",
            "<table><tr><th>test</th><th>verdict</th><th>memorised share</th><th>95% interval</th><th>tolerance</th><th>p-value</th>"
            "<th>what was found</th></tr>"]
    for m in result.metrics:
        if m.section != "privacy" or m.skipped is not None:
            continue
        d = m.details
        evidence = "; ".join(f"{k.replace('_', ' ')}: {fmt(v) if not isinstance(v, dict) else ', '.join(f'{q}: {fmt(x)}' for q, x in v.items())}"
                             for k, v in d.items() if k not in _EVIDENCE_SKIP)
        cls = {"fail": "bad", "pass": "good"}.get(d["verdict"], "na")
        tolerance = "reported only" if d["verdict"] == "reported" else f"{100 * d['tolerance']:.1f}%"
        rows.append(f"<tr><td>{html.escape(m.name)}</td><td><span class='badge {cls}'>{d['verdict']}</span></td>"
                    f"<td>{100 * d['memorised_share']:.2f}%</td><td>{100 * m.ci[0]:.2f}% – {100 * m.ci[1]:.2f}%</td>"
                    f"<td>{tolerance}</td><td>{d['p_value']:.2g}</td>"
                    f"<td>{html.escape(d['sentence'])}<br><small>{evidence}</small></td></tr>")
    rows.append("</table>")
    return "\n".join(rows)


def _charts(result: "AuditResult", section: str) -> list[str]:
    """The charts the section's metrics declare, in the order the metrics ran (skipped metrics draw none)."""
    from .registry import METRICS

    out = []
    for m in result.metrics:
        unit = METRICS.get(m.name)
        if m.section == section and m.skipped is None and unit is not None:
            chart = unit.chart(m, result)
            if chart:
                out.append(chart)
    return out


def render_html(result: "AuditResult") -> str:
    return "\n".join([f"<!doctype html><html><head><meta charset='utf-8'><title>synth audit report</title><style>{CSS}</style></head><body>",
                      "<h1>Synthetic data audit</h1>", *html_body(result), "</body></html>"])


def html_body(result: "AuditResult") -> list[str]:
    """The report of one audit without the page around it (a multi-table report has one per table)."""
    data = result.to_dict()
    summary = data["summary"]
    verdict = "PASSED" if result.passed else "FAILED"
    reasons = "".join(f"<li>{html.escape(f)}</li>" for f in result.failures)
    parts = [f"<small>report format {data['version']} · {data['inputs']['real_rows']:,} real rows, {data['inputs']['synthetic_rows']:,} synthetic rows"
             + (f", {data['inputs']['holdout_rows']:,} holdout rows" if data['inputs']['holdout_rows'] else ", no holdout")
             + f" · {data['seconds']} s · scores are 0 to 1, higher is better</small>",
             f"<div class='verdict {'pass' if result.passed else 'fail'}'>{verdict}" + (f"<ul style='font-size:1rem'>{reasons}</ul>" if reasons else "") + "</div>",
             "<div class='cards'>"]
    for section in result.sections:
        if section.optional:
            continue  # a card for each section every audit has
        value = summary[section.name]
        minimum = result.policy.minimums.get(section.name)
        label = (f"verdict: {result.privacy_verdict}" if section.name == "privacy"
                 else ('minimum ' + str(minimum) if minimum is not None else 'no section minimum'))
        parts.append(f"<div class='card'><div>{section.title}</div><div class='v'>{fmt(value)}</div>"
                     f"<small>{html.escape(label)}</small></div>")
    parts.append("</div>")
    for note in data["notes"]:
        parts.append(f"<div class='note'>{html.escape(note)}</div>")
    for section in result.sections:
        parts.append(f"<h2>{section.title}</h2><table><tr><th>metric</th><th>score</th><th>raw value</th><th>95% interval</th><th>what it means</th></tr>")
        for m in result.metrics:
            if m.section != section.name:
                continue
            ci = f"{m.ci[0]:.3f} – {m.ci[1]:.3f}" if m.ci else "–"
            meaning = html.escape(m.meaning) + (f"<br><b>Not run:</b> {html.escape(m.skipped)}" if m.skipped else "")
            parts.append(f"<tr><td>{html.escape(m.name)}</td><td>{_badge(m.score)}</td><td>{fmt(m.raw)}</td><td>{ci}</td><td>{meaning}</td></tr>")
        parts.append("</table>")
        if section.name == "privacy":
            parts.append(_privacy_tests(result))
        parts += _charts(result, section.name)
    parts.append("<h2>Columns</h2><table><tr><th>column</th><th>kind</th><th>shape score</th><th>mean real / synthetic</th>"
                 "<th>std real / synthetic</th><th>distinct real / synthetic</th><th>missing real / synthetic</th></tr>")
    shapes = result.metric("column_shapes").details.get("per_column", {})
    for col, stats in data["column_statistics"].items():
        r, s = stats["real"], stats["synthetic"]
        parts.append(f"<tr><td>{html.escape(col)}</td><td>{result.tables.kinds[col]}</td><td>{_badge(shapes.get(col))}</td>"
                     f"<td>{fmt(r.get('mean'))} / {fmt(s.get('mean'))}</td><td>{fmt(r.get('std'))} / {fmt(s.get('std'))}</td>"
                     f"<td>{fmt(r.get('distinct'))} / {fmt(s.get('distinct'))}</td><td>{fmt(r.get('missing_share'))} / {fmt(s.get('missing_share'))}</td></tr>")
    parts.append("</table><h2>Distributions, real vs synthetic</h2><div class='grid'>")
    parts += [f"<img src='{img}' alt='histograms, real vs synthetic' style='max-width:100%'>" for img in _histograms(result)]
    parts.append("</div>")
    return parts


def console_summary(result: "AuditResult") -> "object":
    from rich.table import Table

    table = Table(title="synth audit", show_lines=False)
    table.add_column("section")
    table.add_column("metric")
    table.add_column("score", justify="right")
    table.add_column("raw", justify="right")
    table.add_column("95% interval", justify="right")
    for m in result.metrics:
        ci = f"{m.ci[0]:.3f}-{m.ci[1]:.3f}" if m.ci else ""
        table.add_row(m.section, m.name, "n/a" if m.score is None else f"{m.score:.3f}",
                      "" if m.raw is None else f"{m.raw:.3f}", ci if not m.skipped else f"not run: {m.skipped}"[:60])
    return table
