"""Why a request was not planned (or not proven): a sentence for people, the rule and numbers for pipelines."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class Cents(int):
    """An amount of money among a reason's numbers, in whole cents (written in the currency, like every amount)."""


@dataclass(frozen=True)
class Reason:
    """One reason: ``text`` is the sentence of ``reasons``; ``rule`` names the SPEC rule; ``numbers`` what it quotes."""

    rule: str
    text: str
    numbers: dict[str, Any] = field(default_factory=dict, compare=False)

    def __str__(self) -> str:
        return self.text
