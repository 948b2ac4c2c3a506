"""The verdict: minimum scores per section (and optionally per metric) that a release must meet.

    Policy.parse(["privacy=0.8", "fidelity=0.7", "dcr=0.9"])   # section or metric name = minimum score
    Policy.from_file("policy.yaml")                             # {fail_under: {privacy: 0.8, dcr: 0.9}}
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from synth.errors import SynthError

DEFAULTS = {"privacy": 0.7}


@dataclass
class Policy:
    minimums: dict[str, float] = field(default_factory=lambda: dict(DEFAULTS))

    @classmethod
    def parse(cls, items: list[str], base: "Policy | None" = None) -> "Policy":
        minimums = dict((base or cls()).minimums)
        for item in items:
            name, sep, value = item.partition("=")
            try:
                number = float(value)
            except ValueError:
                number = -1.0
            if not sep or not name.strip() or not 0 <= number <= 1:
                raise SynthError(f"--fail-under {item!r}: write NAME=SCORE with a score between 0 and 1, e.g. privacy=0.8")
            minimums[name.strip()] = number
        return cls(minimums)

    @classmethod
    def from_file(cls, path: str | Path) -> "Policy":
        from synth.yamlsafe import load_yaml_file

        data, _ = load_yaml_file(path)
        if not isinstance(data, dict) or not isinstance(data.get("fail_under"), dict):
            raise SynthError(f"{path}: a policy file is a mapping with 'fail_under: {{name: minimum score}}'")
        return cls.parse([f"{k}={v}" for k, v in data["fail_under"].items()], base=cls({}))

    def failures(self, sections: dict[str, float | None], metrics: dict[str, float | None]) -> list[str]:
        out = []
        for name, minimum in self.minimums.items():
            score = sections.get(name, metrics.get(name))
            if name not in sections and name not in metrics:
                out.append(f"{name}: no such section or metric")
            elif score is not None and score < minimum:
                out.append(f"{name} {score:.3f} < {minimum}")
        return out

    def to_dict(self) -> dict[str, Any]:
        return dict(self.minimums)
