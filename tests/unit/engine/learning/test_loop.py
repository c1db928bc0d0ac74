"""The training loop against plain PyTorch: same batches, same updates, same numbers."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from core.engine.learning.config import RunConfig
from core.engine.learning.loop import NonFiniteLossError, evaluate, predict_proba, train_one_epoch
from core.engine.learning.models import ConvSpec, ModelSpec, build_model, classic_spec
from core.engine.learning.setup import (
    initial_state,
    load_run_data,
    make_optimizer,
    make_scheduler,
    state_hash,
)
from core.errors import ConfigError

# No dropout, so two passes over the same batches must give the same weights.
TINY = ModelSpec(convs=[ConvSpec(4, 3, 2, 0, "max")], hidden=[16])
# LeakyReLU never goes quiet, so a huge step blows the activations up to inf - inf = NaN.
LEAKY = ModelSpec(convs=[ConvSpec(4, 3, 2, 0, "max")], hidden=[16], activation="LeakyReLU")


@pytest.fixture(scope="module")
def mnist_subset(needs_data):
    X, y, X_test, y_test = load_run_data(RunConfig(train_subset=300, test_subset=250), "cpu")
    return X, y, X_test, y_test


def test_one_step_lowers_the_loss_on_a_fixed_batch(mnist_subset):
    X, y = mnist_subset[0][:64], mnist_subset[1][:64]
    torch.manual_seed(0)
    model = build_model(classic_spec())
    before, _ = evaluate(model, X, y)
    optimizer = make_optimizer(RunConfig(optimizer="SGD", lr=0.05), model.parameters())
    result = train_one_epoch(
        model, X, y, optimizer, batch_size=64, generator=torch.Generator(), device="cpu"
    )
    after, _ = evaluate(model, X, y)
    assert result.steps == 1 and result.samples == 64
    assert after < before


def test_an_epoch_equals_the_plain_pytorch_loop_over_the_same_permutation(mnist_subset):
    X, y = mnist_subset[0][:100], mnist_subset[1][:100]
    config = RunConfig(model=TINY, optimizer="SGD", lr=0.1, optimizer_params={"momentum": 0.9})
    torch.manual_seed(1)
    model = build_model(TINY)
    reference = build_model(TINY)
    reference.load_state_dict(model.state_dict())

    result = train_one_epoch(
        model,
        X,
        y,
        make_optimizer(config, model.parameters()),
        batch_size=32,
        generator=torch.Generator().manual_seed(5),
        device="cpu",
    )

    # The reference: torch.optim.SGD by hand over the same seeded permutation.
    perm = torch.randperm(100, generator=torch.Generator().manual_seed(5))
    opt = torch.optim.SGD(reference.parameters(), lr=0.1, momentum=0.9)
    losses = []
    for start in range(0, 100, 32):
        idx = perm[start : start + 32]
        opt.zero_grad()
        loss = F.nll_loss(reference(X[idx]), y[idx])
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert result.steps == 4 and result.samples == 100  # the last batch holds 4 images
    assert result.loss == pytest.approx(sum(losses) / len(losses), rel=1e-5)
    for (name, p), q in zip(
        model.state_dict().items(), reference.state_dict().values(), strict=True
    ):
        torch.testing.assert_close(p, q, msg=name)


def test_evaluate_and_predict_proba_match_torch(mnist_subset):
    _, _, X, y = mnist_subset
    torch.manual_seed(2)
    model = build_model(TINY).double()
    X = X.double()
    loss, accuracy = evaluate(model, X, y, batch_size=64)  # 250 is not a multiple of 64
    with torch.no_grad():
        log_p = model(X)
    torch.testing.assert_close(loss, F.nll_loss(log_p, y).item())
    assert accuracy == pytest.approx((log_p.argmax(1) == y).double().mean().item())
    proba = predict_proba(model, X, batch_size=64)
    torch.testing.assert_close(proba, log_p.exp())
    torch.testing.assert_close(proba.sum(1), torch.ones(250, dtype=torch.float64))


def test_should_stop_ends_the_epoch_within_one_batch(mnist_subset):
    X, y = mnist_subset[0], mnist_subset[1]
    model = build_model(TINY)
    stop_after = 3
    seen = []
    result = train_one_epoch(
        model,
        X,
        y,
        make_optimizer(RunConfig(model=TINY), model.parameters()),
        batch_size=10,
        generator=torch.Generator(),
        device="cpu",
        on_batch_end=lambda batch, n, loss: seen.append(batch),
        should_stop=lambda: len(seen) >= stop_after,
    )
    assert result.stopped and result.steps == stop_after and seen == [1, 2, 3]


def test_a_huge_learning_rate_is_caught_as_a_non_finite_loss(mnist_subset):
    X, y = mnist_subset[0], mnist_subset[1]
    torch.manual_seed(0)
    model = build_model(LEAKY)
    optimizer = make_optimizer(RunConfig(optimizer="SGD", lr=100.0), model.parameters())
    with pytest.raises(NonFiniteLossError, match=r"at step \d+; try a lower learning rate") as e:
        for epoch in range(5):
            train_one_epoch(
                model,
                X,
                y,
                optimizer,
                batch_size=10,
                generator=torch.Generator(),
                device="cpu",
                step_offset=30 * epoch,
            )
    assert e.value.step >= 2 and not math.isfinite(e.value.value)


@pytest.mark.parametrize(
    "name, params, expected",
    [
        ("SGD", {"momentum": 0.9, "nesterov": True}, {"momentum": 0.9, "nesterov": True}),
        ("Adadelta", {"rho": 0.95}, {"rho": 0.95, "eps": 1e-6}),
        ("Adam", {"beta1": 0.8}, {"betas": (0.8, 0.999)}),
        ("AdamW", {}, {"weight_decay": 0.01, "betas": (0.9, 0.999)}),
        ("RMSprop", {"alpha": 0.9, "momentum": 0.5}, {"alpha": 0.9, "momentum": 0.5}),
        ("Adagrad", {"lr_decay": 0.01}, {"lr_decay": 0.01}),
    ],
)
def test_each_optimizer_gets_its_own_hyper_parameters(name, params, expected):
    config = RunConfig(optimizer=name, lr=0.01, optimizer_params=params)
    optimizer = make_optimizer(config, build_model(TINY).parameters())
    assert type(optimizer) is getattr(torch.optim, name)
    group = optimizer.param_groups[0]
    assert group["lr"] == 0.01
    assert {k: group[k] for k in expected} == expected


@pytest.mark.parametrize(
    "name, params, message",
    [
        ("Adam", {"momentum": 0.9}, "Adam has no setting momentum"),
        ("SGD", {"momentum": 1.5}, r"momentum μ must be in \[0, 0.999\]"),
        ("SGD", {"nesterov": True}, "Nesterov momentum needs a momentum"),
        ("SGD", {"nesterov": "yes"}, "true or false"),
        ("Adadelta", {"rho": float("nan")}, r"ρ \(rho\) must be in"),
    ],
)
def test_bad_optimizer_settings_are_refused(name, params, message):
    with pytest.raises(ConfigError, match=message):
        RunConfig.from_dict(RunConfig(optimizer=name, optimizer_params=params).to_dict())


def test_step_lr_cuts_the_rate_once_per_epoch_and_one_cycle_peaks_at_lr():
    model = build_model(TINY)
    config = RunConfig(
        optimizer="SGD", lr=0.1, schedule="StepLR", schedule_params={"gamma": 0.5}, epochs=3
    )
    optimizer = make_optimizer(config, model.parameters())
    scheduler = make_scheduler(config, optimizer, steps_per_epoch=4)
    rates = []
    for _ in range(12):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    assert rates == pytest.approx([0.1] * 4 + [0.05] * 4 + [0.025] * 4)

    config = RunConfig(optimizer="Adam", lr=0.01, schedule="OneCycle", epochs=2)
    optimizer = make_optimizer(config, model.parameters())
    scheduler = make_scheduler(config, optimizer, steps_per_epoch=10)
    rates = []
    for _ in range(20):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    assert max(rates) == pytest.approx(0.01)
    assert rates[0] == pytest.approx(0.01 / 25)
    assert rates[-1] < rates[0]


def test_one_cycle_does_not_add_momentum_to_plain_sgd():
    config = RunConfig(optimizer="SGD", lr=0.1, schedule="OneCycle")
    optimizer = make_optimizer(config, build_model(TINY).parameters())
    make_scheduler(config, optimizer, steps_per_epoch=5)
    assert optimizer.param_groups[0]["momentum"] == 0


def test_initial_weights_follow_the_init_seed_and_the_hash_tells_them_apart():
    a = initial_state(RunConfig(model=TINY, seed=0))
    b = initial_state(RunConfig(model=TINY, seed=7, init_seed=0))
    c = initial_state(RunConfig(model=TINY, seed=1))
    assert state_hash(a) == state_hash(b) != state_hash(c)
    for key in a:
        torch.testing.assert_close(a[key], b[key])


# Heavy dropout in both places a spec can put it, so train-mode outputs differ from eval-mode.
DROPPY = ModelSpec(convs=[ConvSpec(4, 3, 2, 0, "max")], hidden=[32], dropout=0.5, conv_dropout=0.5)


@pytest.mark.parametrize("start_in_training_mode", [True, False])
def test_evaluate_runs_in_eval_mode_and_puts_the_mode_back(start_in_training_mode):
    torch.manual_seed(3)
    model = build_model(DROPPY).double()
    X = torch.randn(130, 1, 28, 28, dtype=torch.float64)  # 130: the last batch of 64 holds 2
    y = torch.randint(0, 10, (130,))
    model.eval()
    with torch.no_grad():
        log_p = model(X)  # the reference: eval mode by hand, dropout off
    model.train()
    with torch.no_grad():
        assert not torch.allclose(model(X), log_p)  # dropout really changes the outputs
    model.train(start_in_training_mode)

    loss, accuracy = evaluate(model, X, y, batch_size=64)
    assert model.training is start_in_training_mode
    assert all(m.training is start_in_training_mode for m in model.modules())
    torch.testing.assert_close(loss, F.nll_loss(log_p, y).item())
    assert accuracy == (log_p.argmax(1) == y).sum().item() / 130

    proba = predict_proba(model, X, batch_size=64)
    assert model.training is start_in_training_mode
    torch.testing.assert_close(proba, log_p.exp())
