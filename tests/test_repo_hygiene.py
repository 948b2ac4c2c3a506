"""The repository's own text files: no leftover merge-conflict markers (a README that shows them was shipped once)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEXT_SUFFIXES = {".py", ".md", ".yaml", ".yml", ".toml", ".txt", ".cfg", ".json"}
SKIP_DIRS = {".git", ".venv", "venv", "build", "dist", "__pycache__", ".pytest_cache"}
# Exactly what git writes: seven marker characters at the start of a line, then a space or the line's end.
MARKER = re.compile(r"^(<{7} |={7}$|>{7} )", re.MULTILINE)


def _text_files() -> list[Path]:
    return [p for p in ROOT.rglob("*") if p.is_file() and p.suffix in TEXT_SUFFIXES
            and not SKIP_DIRS.intersection(p.relative_to(ROOT).parts) and not p.name.endswith(".egg-info")]


def test_no_merge_conflict_markers() -> None:
    found = [f"{p.relative_to(ROOT)}:{text[:m.start()].count(chr(10)) + 1}"
             for p in _text_files() for text in [p.read_text(errors="replace")] for m in MARKER.finditer(text)]
    assert not found, f"merge-conflict markers left in: {', '.join(found)}"


def test_the_marker_pattern_finds_a_conflict() -> None:
    sample = "a\n<<<<<<< HEAD\nours\n=======\ntheirs\n>>>>>>> branch\nb\n"
    assert len(MARKER.findall(sample)) == 3
    assert not MARKER.findall("Heading\n========\ntext <<<<<<< inline\n")  # a setext underline is not a marker
