"""``synth draft``: the command-line shell over :func:`synth.draft.draft_schema`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from ..errors import SynthError

out = Console(highlight=False, soft_wrap=True)


def draft_command(
    description: str = typer.Argument(..., help="The table in plain words: columns, ranges, rules.", show_default=False),
    out_path: Path = typer.Option(Path("draft.yaml"), "--out", "-o", help="Where to write the schema (.yaml)."),
    from_sample: Optional[Path] = typer.Option(None, "--from-sample", help="A CSV/Parquet/JSONL whose header and first rows guide the draft."),
    model: Optional[str] = typer.Option(None, "--model", help="Model name (default: $SYNTH_MODEL or gpt-4o-mini)."),
    max_requests: Optional[int] = typer.Option(None, "--max-requests", min=1, help="Stop after this many requests (cached answers are free)."),
    max_repairs: int = typer.Option(3, "--max-repairs", min=0, help="How often an invalid draft is sent back to be fixed."),
    cache_dir: Optional[Path] = typer.Option(None, "--cache-dir", help="Answer cache (default: $SYNTH_CACHE_DIR or ~/.cache/synth/llm)."),
    llm_timeout: Optional[float] = typer.Option(None, "--llm-timeout", min=0.1, help="Seconds one LLM request may take, retries "
                                                "and their waits included (default: $SYNTH_LLM_TIMEOUT or 300)."),
    preview: int = typer.Option(5, "--preview", min=0, help="Rows of the drafted table to show."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No preview and no usage line."),
    as_json: bool = typer.Option(False, "--json", help="Print a summary as JSON."),
) -> None:
    """Draft a schema with an LLM (any OpenAI-compatible endpoint: OPENAI_API_KEY, OPENAI_BASE_URL).

    The model writes a declarative schema, never code; it is validated like `synth validate` and repaired
    by the model until it is valid. Example:

      synth draft "coffee shop sales: id, date in 2022, time 6am-9pm, product, price, quantity 1-3, amount = price x quantity" --out mine.yaml
    """
    from .. import generate
    from ..draft import draft_schema
    from ..llm import LLMClient, LLMConfig
    from ..sinks import write_text_atomic
    from ..yamlsafe import dump_yaml

    if out_path.suffix.lower() not in (".yaml", ".yml"):
        raise SynthError(f"{out_path}: the schema is YAML; use a .yaml or .yml name")
    client = LLMClient(LLMConfig.from_env(model=model, max_requests=max_requests, cache_dir=cache_dir,
                                         time_limit=llm_timeout))
    log = None if quiet else (lambda m: sys.stderr.write(m + "\n"))
    schema, data = draft_schema(description, client, sample=from_sample, max_repairs=max_repairs, log=log)
    header = f"# Drafted by `synth draft` ({client.config.model}) from: {description.strip()[:200]}\n"
    write_text_atomic(out_path, header + dump_yaml(data))
    frame = generate(schema, rows=preview) if preview else None
    if as_json:
        print(json.dumps({"out": str(out_path), "columns": schema.output_columns, "requests": client.usage.requests,
                          "cached": client.usage.cached, "prompt_tokens": client.usage.prompt_tokens,
                          "completion_tokens": client.usage.completion_tokens}))
        return
    if not quiet:
        if frame is not None and len(frame):
            table = Table(*map(str, frame.columns))
            for row in frame.astype(str).itertuples(index=False):
                table.add_row(*row)
            out.print(table)
        out.print(f"wrote {out_path} ({len(schema.output_columns)} columns); {client.usage.line()}", markup=False)
