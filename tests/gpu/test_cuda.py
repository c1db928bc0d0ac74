"""The CUDA paths: the device picker, data, training runs, failures and the canvas predictor on
a real GPU. Skipped where torch sees no CUDA device (CI's machines); run on a GPU machine with

    TORCHLAB_DATA=/path/to/data python -m pytest tests/gpu
"""

from __future__ import annotations

import time

import pytest
import torch

from core.devices import available_devices, default_device, resolve_device
from core.engine.learning.config import RunConfig
from core.engine.learning.data import CLASSIC_MNIST_NORMALIZATION, load_tensors
from core.engine.learning.models import ConvSpec, ModelSpec
from core.engine.learning.presets import run_preset
from core.engine.products.predictor import PRETRAINED_DIR, load_predictor, predict
from core.engine.runs.checkpoint import load_model
from core.engine.runs.record import RunStatus
from core.engine.runs.runner import Runner
from tests.inline_backend import InlineBackend

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")

NO_DROPOUT = ModelSpec(convs=[ConvSpec(8, 3, 1, 0, "max")], hidden=[32], dropout=0.0)
LEAKY = ModelSpec(convs=[ConvSpec(4, 3, 2, 0, "max")], hidden=[16], activation="LeakyReLU")
QUICK = RunConfig(
    model=NO_DROPOUT, train_subset=2048, test_subset=500, batch_size=64, log_interval=4
)
TIMEOUT = 300


def _losses(runner: Runner, config: RunConfig) -> list[float]:
    snap = runner.wait(runner.submit(config), TIMEOUT)
    assert snap.status == RunStatus.DONE, snap.error
    return [row["loss"] for row in snap.train]


def test_the_gpu_is_listed_named_and_preferred():
    devices = {d.name: d.label for d in available_devices()}
    assert "cuda:0" in devices and default_device() == "cuda:0"
    assert torch.cuda.get_device_name(0) in devices["cuda:0"]
    assert resolve_device("cuda") == torch.device("cuda:0")


def test_data_on_the_gpu_are_the_cpu_data():
    X, y = load_tensors("MNIST", False, device="cuda", normalization=CLASSIC_MNIST_NORMALIZATION)
    Xc, yc = load_tensors("MNIST", False, device="cpu", normalization=CLASSIC_MNIST_NORMALIZATION)
    assert X.device.type == "cuda" and X.shape == (10_000, 1, 28, 28)
    torch.testing.assert_close(X.cpu(), Xc)
    assert torch.equal(y.cpu(), yc)


def test_a_gpu_run_follows_the_cpu_run(runner):
    # Without dropout nothing random happens on the device: same weights, same batch order,
    # so the two curves differ only by the rounding of other kernels (cuDNN convolutions use
    # TF32 by default, about 3 significant digits), which training then amplifies step by
    # step (seen: 0.1% at step 4, 9% at step 32).
    gpu = _losses(runner, QUICK.with_changes(device="cuda"))
    cpu = _losses(runner, QUICK.with_changes(device="cpu"))
    assert len(gpu) == len(cpu) == 8
    assert gpu[0] == pytest.approx(cpu[0], rel=1e-3)
    assert gpu[:4] == pytest.approx(cpu[:4], rel=5e-2)
    assert gpu[-1] < gpu[0] / 2 and cpu[-1] < cpu[0] / 2  # both learn


def test_the_same_seed_gives_the_same_gpu_curve_and_another_seed_does_not(runner):
    config = QUICK.with_changes(device="cuda", model=run_preset("classic").model)  # dropout on
    first, again = _losses(runner, config), _losses(runner, config)
    other = _losses(runner, config.with_changes(seed=1))
    # Same weights, batches and dropout masks, and cuDNN held to its deterministic kernels.
    assert again == first
    assert other != pytest.approx(first, rel=2e-2)


def test_a_classic_gpu_run_learns_saves_and_loads_on_the_cpu(runner):
    config = run_preset("classic").with_changes(
        device="cuda", epochs=1, train_subset=8192, test_subset=2000
    )
    snap = runner.wait(runner.submit(config), TIMEOUT)
    assert snap.status == RunStatus.DONE, snap.error
    assert snap.test[-1]["accuracy"] > 0.9
    model, _, meta = load_model(snap.run_dir, "cpu")
    assert meta["accuracy"] == snap.test[-1]["accuracy"]
    assert next(model.parameters()).device.type == "cpu"


def test_a_gpu_run_stops_within_a_batch(runner):
    job = runner.submit(run_preset("classic").with_changes(device="cuda", epochs=1))
    deadline = time.monotonic() + TIMEOUT
    while runner.snapshot(job).step < 5 and time.monotonic() < deadline:
        time.sleep(0.05)
    runner.stop(job)
    snap = runner.wait(job, TIMEOUT)
    assert snap.status == RunStatus.STOPPED and 5 <= snap.step < snap.total_steps


def test_a_nan_loss_on_the_gpu_fails_the_run_with_a_message(runner):
    snap = runner.wait(
        runner.submit(QUICK.with_changes(device="cuda", model=LEAKY, optimizer="SGD", lr=100.0)),
        TIMEOUT,
    )
    assert snap.status == RunStatus.FAILED and "lower learning rate" in snap.error


def test_running_out_of_gpu_memory_fails_the_run_and_the_queue_goes_on(runs_dir):
    # In a thread of this process, so the memory cap set here applies to the run.
    runner = Runner(runs_root=runs_dir, backend=InlineBackend())
    huge = ModelSpec(convs=[ConvSpec(256, 3, 1, 1, "none")] * 2, hidden=[16])
    torch.cuda.empty_cache()
    total = torch.cuda.get_device_properties(0).total_memory
    room = torch.cuda.memory_reserved(0) + 512 * 2**20  # the data fit, the activations do not
    torch.cuda.set_per_process_memory_fraction(room / total, 0)
    try:
        bad = runner.submit(
            QUICK.with_changes(device="cuda", model=huge, batch_size=2048, train_subset=4096)
        )
        snap = runner.wait(bad, TIMEOUT)
    finally:
        torch.cuda.set_per_process_memory_fraction(1.0, 0)
    assert snap.status == RunStatus.FAILED
    assert "ran out of memory" in snap.error and "smaller batch" in snap.error
    assert _losses(runner, QUICK.with_changes(device="cuda"))  # the next run trains
    runner.shutdown()


def test_the_canvas_predictor_gives_the_same_answer_on_the_gpu():
    X, _ = load_tensors("MNIST", False, normalization=CLASSIC_MNIST_NORMALIZATION)
    on_gpu = load_predictor(PRETRAINED_DIR, "cuda")
    on_cpu = load_predictor(PRETRAINED_DIR, "cpu")
    for i in range(5):
        gpu = predict(on_gpu.model, X[i : i + 1], "cuda:0")
        cpu = predict(on_cpu.model, X[i : i + 1])
        assert gpu.device == "cuda:0" and gpu.top == cpu.top
        assert gpu.probs == pytest.approx(cpu.probs, abs=1e-4)
