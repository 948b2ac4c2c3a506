"""``synth finetune ...``: the command-line shell over :mod:`synth.finetune`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, List, Optional

import typer
from rich.console import Console
from rich.table import Table

from ..errors import SynthError

if TYPE_CHECKING:  # the modules themselves are imported by the commands that use them (`synth --help` stays light)
    from ..finetune.validate import Report
    from ..llm import LLMClient

finetune_app = typer.Typer(
    help="Prepare and check JSONL fine-tuning data (prompt/completion or chat format), and score predictions.",
    no_args_is_help=True, rich_markup_mode=None,
)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)
FormatOpt = typer.Option(None, "--format", help="completion or chat (default: detected from the keys).")
ModelOpt = typer.Option("gpt-4o-mini", "--model", help="Model to fine-tune: picks the tokenizer and the cost estimate.")
MaxTokOpt = typer.Option(4096, "--max-tokens", min=1, help="Examples with more tokens are reported (validate) or dropped (prepare).")


def _check_format(fmt: Optional[str]) -> Optional[str]:
    if fmt not in (None, "completion", "chat"):
        raise SynthError(f"--format must be completion or chat, not {fmt!r}")
    return fmt


@finetune_app.command("validate")
def validate_command(
    file: Path = typer.Argument(..., help="The JSONL file.", show_default=False),
    fmt: Optional[str] = FormatOpt,
    max_tokens: int = MaxTokOpt,
    model: str = ModelOpt,
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Check every line and the file as a whole; exit 0 clean, 1 problems found, 2 unreadable.

    Per line: JSON, keys, types, empty values; chat roles, content, an assistant reply, role order.
    Completion format: one common separator ending every prompt and nowhere else; completions starting
    with one space and ending with one common stop sequence. Duplicates, over-long examples (real BPE
    token counts, offline), token totals and a cost estimate; class balance when it looks like
    classification.
    """
    from ..finetune.validate import validate_file  # here, not at the top: `synth --help` stays light

    report = validate_file(file, fmt=_check_format(fmt), max_tokens=max_tokens, model=model)
    if as_json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        _print_report(report)
    raise typer.Exit(0 if report.ok else 1)


def _print_report(report: Report) -> None:
    data = report.to_dict()
    out.print(f"{data['file']}: {data['format']} format, {data['lines']:,} lines, {data['valid_examples']:,} valid examples", markup=False)
    if report.problems:
        table = Table("problem", "severity", "count", "first lines", "what")
        for p in report.problems.values():
            table.add_row(p.code, p.severity, f"{p.count:,}", ", ".join(map(str, p.lines[:8])) + (" ..." if p.count > 8 else ""), p.message)
        out.print(table)
    tokens = data["tokens"]
    cost = f", about ${data['cost_per_epoch_usd']:.2f} per epoch on {data['model']}" if data["cost_per_epoch_usd"] is not None else ""
    out.print(f"tokens ({tokens['encoding']}): {tokens['total']:,} in all, {tokens['mean_per_example']} per example, "
              f"{tokens['max_per_example']:,} at most{cost}", markup=False)
    if data["classes"]:
        total = sum(data["classes"].values())
        balance = ", ".join(f"{k!r} {v / total:.0%}" for k, v in list(data["classes"].items())[:10])
        out.print(f"looks like classification ({len(data['classes'])} classes): {balance}", markup=False)
    out.print("ok: no problems" if report.ok else "problems found: run `synth finetune prepare` to fix what can be fixed", markup=False)


@finetune_app.command("prepare")
def prepare_command(
    file: Path = typer.Argument(..., help="The JSONL file.", show_default=False),
    fmt: Optional[str] = FormatOpt,
    out_dir: Optional[Path] = typer.Option(None, "--out-dir", help="Where to write the prepared files (default: beside FILE)."),
    valid_share: float = typer.Option(0.2, "--valid-share", min=0.0, max=0.9, help="Share of examples for the validation file."),
    seed: int = typer.Option(0, "--seed", help="Seed of the train/valid split."),
    separator: Optional[str] = typer.Option(None, "--separator", help="Prompt separator (default: the one in use, else \\n\\n###\\n\\n)."),
    stop: Optional[str] = typer.Option(None, "--stop", help="Completion stop sequence (default: the one in use, else \\n or ' END')."),
    remove_noise: bool = typer.Option(False, "--remove-noise", help="Strip links, code blocks and long ids from prompts."),
    label_map: bool = typer.Option(False, "--label-map", help="Classification: map labels to short single-token labels; writes NAME_label_map.json."),
    max_tokens: int = MaxTokOpt,
    model: str = ModelOpt,
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Fix, dedupe and split into NAME_prepared_train.jsonl and NAME_prepared_valid.jsonl (disjoint, seeded)."""
    from ..finetune.prepare import prepare_file

    result = prepare_file(file, out_dir=out_dir, fmt=_check_format(fmt), separator=separator, stop=stop,
                          valid_share=valid_share, seed=seed, remove_noise=remove_noise, label_map=label_map,
                          max_tokens=max_tokens, model=model)
    if as_json:
        print(json.dumps(result.to_dict(), indent=2))
        return
    for change, count in sorted(result.changes.items()):
        out.print(f"{change.replace('_', ' ')}: {count:,}", markup=False)
    if result.label_map:
        out.print(f"labels mapped ({result.label_map_path}): " + ", ".join(f"{k!r} -> {v!r}" for k, v in result.label_map.items()), markup=False)
    out.print(f"wrote {result.train:,} examples to {result.train_path} and {result.valid:,} to {result.valid_path}", markup=False)


@finetune_app.command("eval")
def eval_command(
    file: Path = typer.Argument(..., help="JSONL predictions: true label, predicted label, optional score.", show_default=False),
    label_key: str = typer.Option("label", "--label-key"),
    prediction_key: str = typer.Option("prediction", "--prediction-key"),
    score_key: str = typer.Option("score", "--score-key", help="Probability of the positive class, if present."),
    positive: Optional[str] = typer.Option(None, "--positive", help="The positive class (binary)."),
    threshold: float = typer.Option(0.5, "--threshold", min=0.0, max=1.0, help="Decision threshold on the score."),
    as_json: bool = typer.Option(False, "--json", help="Print the metrics as JSON."),
) -> None:
    """Accuracy, F1 (binary and macro), precision, recall, AUROC and AUPRC at 0.5 and at --threshold, with a confusion matrix."""
    from ..finetune.evaluate import evaluate, load_predictions  # scikit-learn: only this command needs it

    labels, predictions, scores = load_predictions(file, label_key, prediction_key, score_key)
    result = evaluate(labels, predictions, scores, positive=positive, threshold=threshold)
    if as_json:
        print(json.dumps(result, indent=2))
        return
    out.print(f"{result['examples']:,} examples, classes: {', '.join(result['classes'])}", markup=False)
    for key, row in result.items():
        if isinstance(row, dict) and "accuracy" in row:
            shown = {k: v for k, v in row.items() if k != "confusion_matrix"}
            out.print(f"{key}: " + ", ".join(f"{k} {v:.3f}" for k, v in shown.items()), markup=False)
            out.print(f"  confusion matrix (rows true, columns predicted; {row['confusion_matrix']['labels']}): "
                      f"{row['confusion_matrix']['matrix']}", markup=False)
    for key in ("auroc", "auprc"):
        if key in result:
            out.print(f"{key}: {result[key]:.3f}", markup=False)


def _client(model: Optional[str], max_requests: Optional[int], cache_dir: Optional[Path],
            llm_timeout: Optional[float]) -> LLMClient:
    from ..llm import LLMClient, LLMConfig

    return LLMClient(LLMConfig.from_env(model=model, max_requests=max_requests, cache_dir=cache_dir, time_limit=llm_timeout))


LLMModelOpt = typer.Option(None, "--model", help="Model (default: $SYNTH_MODEL or gpt-4o-mini).")
BudgetOpt = typer.Option(None, "--max-requests", min=1, help="Stop after this many requests; rerun to resume from the cache.")
CacheOpt = typer.Option(None, "--cache-dir", help="Answer cache (default: $SYNTH_CACHE_DIR or ~/.cache/synth/llm).")
LLMTimeoutOpt = typer.Option(None, "--llm-timeout", min=0.1, help="Seconds one LLM request may take, retries and their waits "
                             "included (default: $SYNTH_LLM_TIMEOUT or 300).")


@finetune_app.command("qa")
def qa_command(
    docs: List[Path] = typer.Argument(..., help="Text, Markdown or HTML documents.", show_default=False),
    out_path: Path = typer.Option(..., "--out", "-o", help="Where to write the pairs (.jsonl)."),
    questions: int = typer.Option(5, "--questions", min=1, max=50, help="Questions asked per chunk."),
    fmt: str = typer.Option("completion", "--format", help="completion or chat."),
    chunk_tokens: int = typer.Option(1500, "--chunk-tokens", min=100, help="Longest chunk of a document sent at once."),
    model: Optional[str] = LLMModelOpt, max_requests: Optional[int] = BudgetOpt, cache_dir: Optional[Path] = CacheOpt,
    llm_timeout: Optional[float] = LLMTimeoutOpt,
) -> None:
    """Question-answer pairs from documents: questions each chunk answers, answers from that chunk alone; unsupported answers dropped."""
    from ..sinks import write_text_atomic
    from ..finetune.llm_tasks import make_qa, qa_lines

    _check_format(fmt)
    client = _client(model, max_requests, cache_dir, llm_timeout)
    result = make_qa(docs, client, questions=questions, max_chunk_tokens=chunk_tokens)
    write_text_atomic(out_path, "".join(line + "\n" for line in qa_lines(result.pairs, fmt)))
    out.print(f"wrote {len(result.pairs):,} pairs from {result.chunks:,} chunks to {out_path}; dropped {result.dropped_unsupported:,} "
              f"answers not supported by their chunk; {client.usage.line()}", markup=False)


@finetune_app.command("label")
def label_command(
    examples: Path = typer.Argument(..., help="The examples to judge (.jsonl).", show_default=False),
    positive: Path = typer.Option(..., "--positive", help="Strong examples (.jsonl), shown to the model."),
    negative: Path = typer.Option(..., "--negative", help="Weak examples (.jsonl), shown to the model."),
    out_path: Path = typer.Option(..., "--out", "-o", help="Where to write the refined examples (.jsonl)."),
    negative_label: str = typer.Option(" nil", "--negative-label", help="Completion given to examples judged weak."),
    context_tokens: int = typer.Option(6000, "--context-tokens", min=500, help="Context limit the few-shot prompt is trimmed to."),
    model: Optional[str] = LLMModelOpt, max_requests: Optional[int] = BudgetOpt, cache_dir: Optional[Path] = CacheOpt,
    llm_timeout: Optional[float] = LLMTimeoutOpt,
) -> None:
    """Few-shot labelling of example strength; weak examples get the negative label. Resumable, budgeted."""
    from rich.progress import Progress

    from ..finetune.llm_tasks import label_examples
    from ..sinks import write_text_atomic

    client = _client(model, max_requests, cache_dir, llm_timeout)
    with Progress(console=err, transient=True, disable=not err.is_terminal) as bar:
        task = bar.add_task("judging", total=None)

        def advance(k: int) -> None:
            u = client.usage
            bar.update(task, advance=k, description=f"judging: {u.requests} requests, {u.cached} cached, "
                                                    f"{u.prompt_tokens + u.completion_tokens:,} tokens")
        refined, weak = label_examples(examples, positive, negative, client, negative_label, context_tokens, progress=advance)
    write_text_atomic(out_path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in refined))
    out.print(f"judged {len(refined):,} examples: {weak:,} weak (relabelled {negative_label!r}); wrote {out_path}; {client.usage.line()}", markup=False)
