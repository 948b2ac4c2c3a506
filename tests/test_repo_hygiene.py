"""The repository's own text files: no leftover merge-conflict markers (a README that shows them was shipped once)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEXT_SUFFIXES = {".py", ".md", ".yaml", ".yml", ".toml", ".txt", ".cfg", ".json"}
# Exactly what git writes: seven marker characters at the start of a line, then a space or the line's end.
MARKER = re.compile(r"^(<{7} |={7}$|>{7} )", re.MULTILINE)


def _text_files() -> list[Path]:
    """The project's own files: git's list when this is a checkout, else a walk that leaves out hidden folders and
    virtual environments (CI makes one inside the clone; installed packages' docs hold marker-like lines)."""
    listed = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z"], capture_output=True, text=True, check=False)
    if listed.returncode == 0 and listed.stdout:
        paths = [ROOT / name for name in listed.stdout.split("\0") if name]
    else:
        paths = [p for p in ROOT.rglob("*") if not any(part.startswith(".") or part in {"site-packages", "build"}
                                                       for part in p.relative_to(ROOT).parts)]
    return [p for p in paths if p.suffix in TEXT_SUFFIXES and p.is_file()]


def test_no_merge_conflict_markers() -> None:
    found = [f"{p.relative_to(ROOT)}:{text[:m.start()].count(chr(10)) + 1}"
             for p in _text_files() for text in [p.read_text(errors="replace")] for m in MARKER.finditer(text)]
    assert not found, f"merge-conflict markers left in: {', '.join(found)}"


def test_the_marker_pattern_finds_a_conflict() -> None:
    sample = "a\n<<<<<<< HEAD\nours\n=======\ntheirs\n>>>>>>> branch\nb\n"
    assert len(MARKER.findall(sample)) == 3
    assert not MARKER.findall("Heading\n========\ntext <<<<<<< inline\n")  # a setext underline is not a marker
