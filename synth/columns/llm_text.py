"""``llm_text``: free text written by an LLM from a prompt over other columns of the row.

For when Faker has no provider that fits: a product review given the product and rating, a support
ticket given its category. The LLM is asked once per distinct combination of the columns the prompt
uses, for ``variants`` different texts in one JSON answer; rows then pick among them. So a million rows
over 25 products x 5 ratings cost 125 requests, and every answer goes through the LLM layer's disk cache:
a re-run costs nothing, an interrupted run resumes, and the same cache gives the same output.

.. code-block:: yaml

    - name: review
      kind: llm_text
      prompt: "A one-sentence customer review of a {product} rated {rating} out of 5."
      variants: 8                  # distinct texts per combination
      model: gpt-4o-mini           # optional; default $SYNTH_MODEL

The endpoint comes from ``OPENAI_API_KEY`` / ``OPENAI_BASE_URL``; ``synth.write(..., max_requests=N)``
(``synth generate --max-requests N``) caps the requests.
"""

from __future__ import annotations

import re
import string
from typing import Any, ClassVar, Literal

from pydantic import Field, PrivateAttr, field_validator

from ..lazy import np, pa, pc
from .base import ChunkContext, Column, PlanContext, register

SYSTEM = ("You write realistic text values for a synthetic dataset. Answer with a JSON object "
          '{"texts": [...]} holding exactly the requested number of different texts, nothing else.')


@register
class LLMTextColumn(Column):
    """Text written by an LLM from a prompt template over other columns (cached, a few requests per combination)."""

    kind_name: ClassVar[str] = "llm_text"
    kind: Literal["llm_text"] = "llm_text"
    prompt: str = Field(min_length=1, description="Template; {column} is replaced by that column's value")
    variants: int = Field(default=5, ge=1, le=50)
    model: str | None = None
    temperature: float = Field(default=0.9, ge=0.0, le=2.0)

    _client: Any = PrivateAttr(default=None)
    _max_requests: int | None = PrivateAttr(default=None)
    _memo: dict[tuple[str, ...], list[str]] = PrivateAttr(default_factory=dict)

    @field_validator("prompt")
    @classmethod
    def _check(cls, text: str) -> str:
        try:
            fields = [f for _, f, _, _ in string.Formatter().parse(text) if f is not None]
        except ValueError as exc:
            raise ValueError(f"prompt template: {exc}") from None
        for f in fields:
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", f):
                raise ValueError(f"prompt placeholders are plain column names like {{product}}, not {{{f}}}")
        return text

    def _fields(self) -> list[str]:
        return list(dict.fromkeys(f for _, f, _, _ in string.Formatter().parse(self.prompt) if f))

    def dependencies(self) -> set[str]:
        return set(self._fields())

    def prepare(self, plan: PlanContext) -> None:
        self._client = None  # made on first use, in whichever process makes the chunk
        self._max_requests = plan.max_requests

    def usage(self) -> Any:
        """Requests and tokens spent in this process (None if the column never asked)."""
        return None if self._client is None else self._client.usage

    def _llm(self) -> Any:
        if self._client is None:
            from ..llm import LLMClient, LLMConfig

            self._client = LLMClient(LLMConfig.from_env(model=self.model, temperature=self.temperature,
                                                        max_requests=self._max_requests))
        return self._client

    def _messages(self, values: tuple[str, ...]) -> list[dict[str, str]]:
        prompt = self.prompt.format(**dict(zip(self._fields(), values)))
        return [{"role": "system", "content": SYSTEM},
                {"role": "user", "content": f"Write {self.variants} different texts for: {prompt}"}]

    def _fetch(self, combos: list[tuple[str, ...]]) -> None:
        """Ask for every combination not seen yet, several requests at a time (the layer bounds concurrency)."""
        from ..llm import parse_json_reply

        todo = [c for c in dict.fromkeys(combos) if c not in self._memo]
        if not todo:
            return
        schema = {"type": "object", "properties": {"texts": {"type": "array", "items": {"type": "string"}}}, "required": ["texts"]}
        fmt = {"type": "json_schema", "json_schema": {"name": "texts", "schema": schema, "strict": False}}
        replies = self._llm().map([self._messages(c) for c in todo], response_format=fmt)
        for combo, reply in zip(todo, replies):
            try:
                self._memo[combo] = self._texts_from(combo, parse_json_reply(reply))
            except ValueError as exc:
                from ..errors import SynthError

                raise SynthError(f"column {self.name!r}: the LLM's answer for {self._messages(combo)[1]['content']!r} "
                                 f"was not usable: {exc}") from None

    def _texts_from(self, values: tuple[str, ...], answer: Any) -> list[str]:
        from ..errors import SynthError

        prompt = self._messages(values)[1]["content"]
        texts = answer.get("texts") if isinstance(answer, dict) else answer
        texts = [str(t).strip() for t in (texts or []) if str(t).strip()]
        texts = list(dict.fromkeys(texts))  # deduplicated
        if not texts:
            raise SynthError(f"column {self.name!r}: the LLM returned no texts for {prompt!r}")
        return texts

    def sample(self, ctx: ChunkContext) -> pa.Array:
        fields = self._fields()
        columns = []
        for f in fields:
            v = ctx.values[f]
            v = v.dictionary_decode() if pa.types.is_dictionary(v.type) else v
            columns.append(pc.fill_null(pc.cast(v, pa.string()), "").to_numpy(zero_copy_only=False).astype(str))
        if not fields:
            keys = np.zeros(ctx.n, dtype=np.int64)
            combos = [()]
        else:
            joined = np.char.add(columns[0], "")
            for col in columns[1:]:
                joined = np.char.add(np.char.add(joined, "\x1f"), col)
            uniq, keys = np.unique(joined, return_inverse=True)
            combos = [tuple(u.split("\x1f")) if len(fields) > 1 else (u,) for u in uniq.tolist()]
        self._fetch(combos)  # one cached request per distinct combination
        pools = [self._memo[c] for c in combos]
        u = ctx.uniform(self.name)
        sizes = np.array([len(p) for p in pools])
        pick = np.minimum((u * sizes[keys]).astype(np.int64), sizes[keys] - 1)
        offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        # Different combinations may share a text: codes into the distinct texts.
        encoded = pa.array([t for p in pools for t in p], pa.string()).dictionary_encode()
        codes = encoded.indices.to_numpy(zero_copy_only=False)[offsets[keys] + pick]
        return pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int32)), encoded.dictionary)
