"""Reports: a self-contained HTML page (plots inline, opens offline) and a console summary.

Real rows are never printed: the page shows aggregates only (scores, histograms, correlation matrices).
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


def _png(fig) -> str:  # type: ignore[no-untyped-def]
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def _fmt(x: object) -> str:
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
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

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
    return [_png(fig)]


def _heatmaps(result: "AuditResult") -> str | None:
    import matplotlib.pyplot as plt

    t = result.tables
    cols = t.numeric[:20]
    if len(cols) < 2:
        return None
    real = t.real[cols].corr().to_numpy()
    syn = t.synthetic[cols].corr().to_numpy()
    fig, axes = plt.subplots(1, 3, figsize=(13, 4.2))
    for ax, matrix, title in zip(axes, (real, syn, syn - real), ("real", "synthetic", "synthetic - real")):
        im = ax.imshow(np.nan_to_num(matrix), vmin=-1, vmax=1, cmap="RdBu_r")
        ax.set_title(f"Pearson correlation: {title}", fontsize=9)
        ax.set_xticks(range(len(cols)), [c[:10] for c in cols], rotation=60, fontsize=7, ha="right")
        ax.set_yticks(range(len(cols)), [c[:14] for c in cols], fontsize=7)
    fig.colorbar(im, ax=axes, shrink=0.8)
    return _png(fig)


def _dcr_plot(result: "AuditResult") -> str | None:
    import matplotlib.pyplot as plt

    metric = next((m for m in result.metrics if m.name == "closest_record"), None)
    hist = metric.details.get("histogram") if metric else None
    if not hist:
        return None
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
    return _png(fig)


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
                  "per_column", "columns"}


def _privacy_tests(result: "AuditResult") -> str:
    """Each privacy test's verdict, effect size and evidence (counts and distances, never rows)."""
    verdict = result.privacy_verdict
    rows = [f"<p><b>Privacy verdict: {html.escape(verdict)}.</b> Each test estimates the share of synthetic rows that are "
            "memorised, comparing their closeness to training rows with their closeness to unseen (holdout) rows; it fails when "
            f"that share is significantly above its tolerance (Holm-corrected, family-wise error {result.policy.alpha:g}).</p>",
            "<table><tr><th>test</th><th>verdict</th><th>memorised share</th><th>95% interval</th><th>tolerance</th><th>p-value</th>"
            "<th>what was found</th></tr>"]
    for m in result.metrics:
        if m.section != "privacy" or m.skipped is not None:
            continue
        d = m.details
        evidence = "; ".join(f"{k.replace('_', ' ')}: {_fmt(v) if not isinstance(v, dict) else ', '.join(f'{q}: {_fmt(x)}' for q, x in v.items())}"
                             for k, v in d.items() if k not in _EVIDENCE_SKIP)
        cls = {"fail": "bad", "pass": "good"}.get(d["verdict"], "na")
        tolerance = "reported only" if d["verdict"] == "reported" else f"{100 * d['tolerance']:.1f}%"
        rows.append(f"<tr><td>{html.escape(m.name)}</td><td><span class='badge {cls}'>{d['verdict']}</span></td>"
                    f"<td>{100 * d['memorised_share']:.2f}%</td><td>{100 * m.ci[0]:.2f}% – {100 * m.ci[1]:.2f}%</td>"
                    f"<td>{tolerance}</td><td>{d['p_value']:.2g}</td>"
                    f"<td>{html.escape(d['sentence'])}<br><small>{evidence}</small></td></tr>")
    rows.append("</table>")
    return "\n".join(rows)


def render_html(result: "AuditResult") -> str:
    data = result.to_dict()
    summary = data["summary"]
    verdict = "PASSED" if result.passed else "FAILED"
    reasons = "".join(f"<li>{html.escape(f)}</li>" for f in result.failures)
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>synth audit report</title><style>{CSS}</style></head><body>",
             "<h1>Synthetic data audit</h1>",
             f"<small>report format {data['version']} · {data['inputs']['real_rows']:,} real rows, {data['inputs']['synthetic_rows']:,} synthetic rows"
             + (f", {data['inputs']['holdout_rows']:,} holdout rows" if data['inputs']['holdout_rows'] else ", no holdout")
             + f" · {data['seconds']} s · scores are 0 to 1, higher is better</small>",
             f"<div class='verdict {'pass' if result.passed else 'fail'}'>{verdict}" + (f"<ul style='font-size:1rem'>{reasons}</ul>" if reasons else "") + "</div>",
             "<div class='cards'>"]
    for section in ("fidelity", "utility", "privacy"):
        value = summary[section]
        minimum = result.policy.minimums.get(section)
        label = (f"verdict: {result.privacy_verdict}" if section == "privacy"
                 else ('minimum ' + str(minimum) if minimum is not None else 'no section minimum'))
        parts.append(f"<div class='card'><div>{section.title()}</div><div class='v'>{_fmt(value)}</div>"
                     f"<small>{html.escape(label)}</small></div>")
    parts.append("</div>")
    for note in data["notes"]:
        parts.append(f"<div class='note'>{html.escape(note)}</div>")
    sections = ("fidelity", "utility", "privacy") + (("rules",) if any(m.section == "rules" for m in result.metrics) else ())
    for section in sections:
        parts.append(f"<h2>{'Schema rules' if section == 'rules' else section.title()}</h2><table><tr><th>metric</th><th>score</th><th>raw value</th><th>95% interval</th><th>what it means</th></tr>")
        for m in result.metrics:
            if m.section != section:
                continue
            ci = f"{m.ci[0]:.3f} – {m.ci[1]:.3f}" if m.ci else "–"
            meaning = html.escape(m.meaning) + (f"<br><b>Not run:</b> {html.escape(m.skipped)}" if m.skipped else "")
            parts.append(f"<tr><td>{html.escape(m.name)}</td><td>{_badge(m.score)}</td><td>{_fmt(m.raw)}</td><td>{ci}</td><td>{meaning}</td></tr>")
        parts.append("</table>")
        if section == "utility":
            tstr = next((m for m in result.metrics if m.name == "tstr"), None)
            if tstr is not None:
                real, syn = tstr.details["train_on_real_test_on_real"], tstr.details["train_on_synthetic_test_on_real"]
                parts.append(f"<p>Downstream model ({tstr.details['task']}, target <b>{html.escape(tstr.details['target'])}</b>), tested on real rows:</p>"
                             "<table><tr><th>trained on</th>" + "".join(f"<th>{k}</th>" for k in real) + "</tr>"
                             + "".join(f"<tr><td>{label}</td>" + "".join(f"<td>{_fmt(v)}</td>" for v in row.values()) + "</tr>"
                                       for label, row in (("real", real), ("synthetic", syn))) + "</table>")
        if section == "privacy":
            parts.append(_privacy_tests(result))
            image = _dcr_plot(result)
            if image:
                parts.append(f"<img src='{image}' alt='distance to closest record'>")
    parts.append("<h2>Columns</h2><table><tr><th>column</th><th>kind</th><th>shape score</th><th>mean real / synthetic</th>"
                 "<th>std real / synthetic</th><th>distinct real / synthetic</th><th>missing real / synthetic</th></tr>")
    shapes = result.metric("column_shapes").details.get("per_column", {})
    for col, stats in data["column_statistics"].items():
        r, s = stats["real"], stats["synthetic"]
        parts.append(f"<tr><td>{html.escape(col)}</td><td>{result.tables.kinds[col]}</td><td>{_badge(shapes.get(col))}</td>"
                     f"<td>{_fmt(r.get('mean'))} / {_fmt(s.get('mean'))}</td><td>{_fmt(r.get('std'))} / {_fmt(s.get('std'))}</td>"
                     f"<td>{_fmt(r.get('distinct'))} / {_fmt(s.get('distinct'))}</td><td>{_fmt(r.get('missing_share'))} / {_fmt(s.get('missing_share'))}</td></tr>")
    parts.append("</table><h2>Distributions, real vs synthetic</h2><div class='grid'>")
    parts += [f"<img src='{img}' alt='histograms, real vs synthetic' style='max-width:100%'>" for img in _histograms(result)]
    parts.append("</div>")
    heat = _heatmaps(result)
    if heat:
        parts.append(f"<h2>Correlations</h2><img src='{heat}' alt='correlation heatmaps' style='max-width:100%'>")
    parts.append("</body></html>")
    return "\n".join(parts)


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
