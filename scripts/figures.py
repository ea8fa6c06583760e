"""What every benchmark here reports: percentiles (nearest rank) of its timings."""
from __future__ import annotations


def pct(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank) of values; nan for none."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]
