"""AWS calls per operation: what each route, S3 event and job made (botocore hooks), beside its minimum."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from bench.minimums import MINIMUMS, Minimum
from bench.scenarios import LOCAL_ONLY, Observation


@dataclass
class Row:
    key: str
    scenario: str
    status: Any
    calls: list[str]  # in order, local-only ones left out
    local_only: int
    presigned: int
    minimum: Minimum | None

    @property
    def actual(self) -> Counter[str]:
        return Counter(self.calls)

    @property
    def least(self) -> Counter[str]:
        return Counter(self.minimum.calls) if self.minimum else Counter()

    @property
    def delta(self) -> int:
        """Calls made beyond the minimum (negative: fewer than the minimum, which would then be wrong)."""
        return len(self.calls) - len(self.minimum.calls) if self.minimum else 0

    @property
    def excess(self) -> Counter[str]:
        """The calls made that the minimum does not have."""
        return self.actual - self.least

    @property
    def instead(self) -> Counter[str]:
        """The minimum's calls the app makes in another form (two GetItem for one BatchGetItem...)."""
        return self.least - self.actual

    @property
    def explained(self) -> bool:
        if self.minimum is None or self.delta < 0:
            return False
        return (self.delta == 0 and not self.excess) or bool(self.minimum.excess)


def compare(observations: list[Observation]) -> list[Row]:
    rows = []
    for o in observations:
        sent = o.window.sent
        calls = [c.label for c in sent if c.resource not in LOCAL_ONLY]
        rows.append(Row(o.key, o.scenario, o.status, calls, len(sent) - len(calls), len(o.window.presigned),
                        MINIMUMS.get((o.key, o.scenario))))
    return rows


def uncovered(rows: list[Row]) -> list[str]:
    """Routes of ``app.app.routes`` no scenario drove."""
    import app

    driven = {r.key for r in rows}
    return sorted(f"{method} {path}" for path, methods in app.app.routes.items() for method in methods
                  if f"{method} {path}" not in driven)


def compact(labels: list[str]) -> str:
    """``16× Query accounts/due, GetItem accounts`` in order of first appearance."""
    counts = Counter(labels)
    return ", ".join(f"{counts[label]}× {label}" if counts[label] > 1 else label for label in dict.fromkeys(labels))
