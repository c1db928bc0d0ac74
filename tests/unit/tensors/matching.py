"""What the tensor tests share: every number the page reports for a view, against torch."""

from __future__ import annotations

import torch

from core.tensors.base import storage_indices, storage_of, tensor_info


def check_matches(t: torch.Tensor, expected: torch.Tensor, x: torch.Tensor) -> None:
    """Every number the page reports for t equals torch's own answer for `expected`."""
    info = tensor_info(t, x)
    assert info.size == tuple(expected.size())
    assert info.stride == expected.stride()
    assert info.storage_offset == expected.storage_offset()
    assert info.is_contiguous == expected.is_contiguous()
    assert info.element_size == expected.element_size()
    assert info.nbytes == expected.numel() * expected.element_size()
    stored = expected.untyped_storage().nbytes()  # a view's storage is all of x's
    assert (info.storage_length, info.storage_nbytes) == (stored // expected.element_size(), stored)
    assert info.shares_storage == (
        expected.untyped_storage().data_ptr() == x.untyped_storage().data_ptr()
    )
    torch.testing.assert_close(t, expected, rtol=0, atol=0)
    # The storage index of each element, computed from offset and strides, reads the value.
    index = storage_indices(info.size, info.stride, info.storage_offset)
    torch.testing.assert_close(storage_of(t)[index], t, rtol=0, atol=0)
    if info.shares_storage and x.dtype == torch.int64:
        # x = arange, so reading through a view gives each element's storage index.
        torch.testing.assert_close(t, index, rtol=0, atol=0)
