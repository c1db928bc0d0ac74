from __future__ import annotations

import pytest
import torch

from core.devices import available_devices, default_device, resolve_device
from core.errors import DeviceError


def test_cpu_is_always_listed():
    assert "cpu" in [d.name for d in available_devices()]


def test_default_is_an_available_device():
    assert default_device() in [d.name for d in available_devices()]


def test_resolve_cpu():
    assert resolve_device("cpu") == torch.device("cpu")


def test_absent_device_raises_clear_error():
    with pytest.raises(DeviceError, match=r"'cuda:99' is not available.*Available: cpu"):
        resolve_device("cuda:99")


@pytest.mark.parametrize("bad", ["", "gpu", "tpu:0", "cpu; rm -rf /"])
def test_nonsense_device_names_are_refused(bad):
    with pytest.raises(DeviceError):
        resolve_device(bad)
