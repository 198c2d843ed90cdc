"""Metric samples a drain process sends to its parent: a registry flattened to plain tuples."""

from __future__ import annotations

from prometheus_client import CollectorRegistry

Labels = tuple[tuple[str, str], ...]
Sample = tuple[str, Labels, float]  #: sample name, labels, value


def snapshot(registry: CollectorRegistry) -> list[Sample]:
    """Every sample of a worker's registry, small enough to pickle several times a second."""
    samples: list[Sample] = []
    for family in registry.collect():
        for sample in family.samples:
            if sample.name.endswith("_created"):
                continue
            samples.append((sample.name, tuple(sorted(sample.labels.items())), float(sample.value)))
    return samples
