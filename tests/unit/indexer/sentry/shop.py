"""Application code the grouping tests raise from (in-app frames with module names)."""

from __future__ import annotations


def load_order(order: str) -> dict[str, str]:
    raise KeyError(f"order {order} not found")


def checkout(order: str) -> None:
    try:
        load_order(order)
    except KeyError as exc:
        raise ValueError(f"cannot check out order {order}") from exc
