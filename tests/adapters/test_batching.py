import pytest

from vendors.batching import batches


def test_batches_keep_the_order_and_only_the_last_is_shorter():
    assert batches(list(range(7)), 3) == [[0, 1, 2], [3, 4, 5], [6]]
    assert batches((1, 2), 5) == [[1, 2]]
    assert batches([], 100) == []


def test_a_batch_of_no_items_is_refused():
    with pytest.raises(ValueError):
        batches([1], 0)
