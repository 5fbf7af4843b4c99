"""One way to cut a list into requests or queries of a bounded size (issue 13: the loop was written out
wherever a vendor maximum or a query size applied)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from vendors.base import CommandKind, VendorAdapter

T = TypeVar("T")


def batches(items: Sequence[T], size: int) -> list[list[T]]:
    """``items`` in order, in lists of ``size`` (the last may be shorter); none for no items."""
    if size < 1:
        raise ValueError(f"a batch holds at least one item, not {size}")
    return [list(items[start : start + size]) for start in range(0, len(items), size)]


def per_request(adapter: VendorAdapter, kind: CommandKind, items: Sequence[T]) -> list[list[T]]:
    """``items`` cut into the requests ``adapter`` takes for a command of ``kind``: at most its
    ``max_targets_per_request`` each (at least one)."""
    return batches(items, max(1, adapter.max_targets_per_request(kind)))
