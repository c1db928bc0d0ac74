"""Which devices this machine really has, and checking a requested one."""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch

from core.errors import DeviceError


@dataclass(frozen=True)
class DeviceInfo:
    name: str  # what torch.device() takes: "cpu", "cuda:0", "mps"
    label: str  # what the sidebar shows, e.g. "cuda:0 · NVIDIA H100 (79.1 GiB)"


def available_devices() -> list[DeviceInfo]:
    """cpu always; then each CUDA GPU with its name and memory; then Apple's mps."""
    devices = [DeviceInfo("cpu", "cpu")]
    if torch.cuda.is_available():
        for i in range(torch.cuda.device_count()):
            props = torch.cuda.get_device_properties(i)
            gib = props.total_memory / 2**30
            devices.append(DeviceInfo(f"cuda:{i}", f"cuda:{i} · {props.name} ({gib:.1f} GiB)"))
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        devices.append(DeviceInfo("mps", "mps · Apple GPU"))
    return devices


def default_device() -> str:
    """The best accelerator present (the first GPU, then mps), else cpu."""
    names = [d.name for d in available_devices()]
    for preferred in ("cuda:0", "mps"):
        if preferred in names:
            return preferred
    return "cpu"


def resolve_device(name: str) -> torch.device:
    """Turn a device name into a torch.device, refusing one this machine does not have."""
    names = [d.name for d in available_devices()]
    text = (name or "").strip().lower()
    if text == "cuda":
        text = "cuda:0"
    if text not in names:
        raise DeviceError(
            f"Device {name!r} is not available on this machine. Available: {', '.join(names)}."
        )
    return torch.device(text)


def synchronize(device: torch.device | str) -> None:
    """Wait for queued GPU work, so that timings measure the work and not just its launch."""
    dev = torch.device(device)
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)
    elif dev.type == "mps":
        torch.mps.synchronize()


BUSY_LOAD = 0.75  # runnable processes per core (1-minute average) above which timings suffer


def machine_load() -> float | None:
    """Processes waiting for or using a core, per core, over the last minute; None where the
    system does not say. Above BUSY_LOAD, whatever is timed now is timed against other work."""
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):
        return None
    return load / (os.cpu_count() or 1)
