"""Timing helpers: side-by-side A/B measurement, medians and ratios."""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar


def pin_to_one_core() -> int | None:
    """Run the in-process benchmarks on one core (the last one we may use): less migration noise, and "events per
    second on one core" means what it says. Returns the core, or None where affinity is not supported."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    core = max(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {core})
    return core


def timed(action: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


@dataclass
class Paired:
    """Timings of several sides measured in rotation (A, B, C, then B, C, A...), in seconds."""

    sides: dict[str, list[float]] = field(default_factory=dict)

    def add(self, side: str, seconds: float) -> None:
        self.sides.setdefault(side, []).append(seconds)

    def median(self, side: str) -> float:
        return statistics.median(self.sides[side])

    def ratio(self, a: str, b: str) -> float:
        """Median of A ÷ median of B."""
        return self.median(a) / self.median(b)

    def spread(self, a: str, b: str) -> tuple[float, float]:
        """The interquartile range of the per-round ratios A/B (how stable the ratio is)."""
        ratios = sorted(x / y for x, y in zip(self.sides[a], self.sides[b], strict=True))
        if len(ratios) < 4:
            return ratios[0], ratios[-1]
        q = statistics.quantiles(ratios, n=4)
        return q[0], q[2]


T = TypeVar("T")


def rotate(order: list[T], round_: int) -> list[T]:
    """The order of the sides in this round: every side goes first as often as the others."""
    shift = round_ % len(order)
    return order[shift:] + order[:shift]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f}" if seconds < 0.1 else f"{seconds * 1000:.0f}"
