"""Shared test set-up: the data root points at the real datasets developers and CI have.

Tests that read the real dataset files say so, and are skipped (with the folder they looked
in) where the files are missing, instead of erroring:

- `@pytest.mark.needs_data` on a test or a module (`needs_data("FashionMNIST")` for another
  dataset, `pytest.param(..., marks=...)` for one case of a parametrized test);
- the `needs_data` fixture, for fixtures that load the data (a module fixture requests it).

Tests of what happens when the data is missing build their own empty folder and still run.

Tiers: tests that start processes (training workers, Ray, Jupyter kernels, a live server) or
train on the real data are marked `slow` (every e2e test is); `make test-fast` runs the rest,
`make test` runs both, the fast tier first. No process a test starts outlives its module: each
module ends by checking that no training worker, kernel, Ray or Streamlit process it started
is still alive, and the session checks again at its end.
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path

import psutil
import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"

# Idle OpenMP threads otherwise spin and steal the other core from the live test server.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

if not os.environ.get("TORCHLAB_DATA") and SHARED_DATA.exists():
    os.environ["TORCHLAB_DATA"] = str(SHARED_DATA)


# Tests in tests/app that load the real data, named here because the pages' test files are
# kept by others; a name that no longer exists just marks nothing.
APP_TESTS_NEEDING_DATA = {
    "test_backprop_page.py": {
        "test_page_runs_alone_and_every_gradient_agrees",
        "test_batch_and_model_controls_change_the_cost",
        "test_a_sure_models_tiny_costs_still_show_sum_is_mean_times_b",
    },
    "test_experiments_page.py": {
        "test_a_tiny_data_size_set_runs_and_says_what_the_numbers_show",
        "test_stopping_the_experiment_stops_all_its_runs",
        "test_a_tiny_lr_sweep_marks_the_diverged_runs",
        "test_the_pipeline_tab_measures_all_three",
        "test_the_test_set_browser_filters_and_explains_one_image",
    },
    "test_layers_page.py": {
        "test_the_page_opens_on_a_test_digit",
        "test_every_tab_runs_without_a_message",
        "test_only_the_open_tab_runs",
        "test_the_digit_drawn_on_the_canvas_is_offered_and_used",
        "test_random_digit_picks_another_test_digit",
        "test_bad_settings_are_messages",
        "test_classic_filters_replace_the_kernel_size",
        "test_a_data_dependent_if_cannot_be_captured",
        "test_nn_and_functional_agree_on_the_page",
    },
    "test_training_page.py": {
        "test_configure_start_see_progress_and_the_curve_then_stop",
        "test_fair_comparison_and_a_finished_run_to_inspect",
        "test_a_refresh_reattaches_to_the_run_through_the_url",
        "test_a_finished_run_can_be_downloaded_and_deleted",
        "test_a_nan_run_fails_with_its_message_and_the_labels_do_not_go_stale",
        "test_compare_picks_and_chart_settings_survive_a_visit_to_another_page",
    },
}

_missing: dict[str, str | None] = {}


def missing_data_reason(dataset: str = "MNIST") -> str | None:
    """Why a test that needs `dataset` cannot run here, or None when its files are present."""
    if dataset not in _missing:
        from core.engine.learning.data import data_root, missing_files

        root = data_root()
        _missing[dataset] = (
            f"{dataset} not found under {root}: set TORCHLAB_DATA to a folder that has it"
            if missing_files(dataset, root)
            else None
        )
    return _missing[dataset]


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "needs_data(*datasets): reads the real dataset files (MNIST unless named); "
        "skipped, with the reason, where they are missing",
    )
    config.addinivalue_line(
        "markers",
        "slow: starts processes (training workers, Ray, kernels, a server) or trains on the "
        "real data; `make test-fast` leaves these out",
    )


# What a test may start but must end: a training worker, a Jupyter kernel, Ray, a server.
LEAK_MARKS = ("core.engine.runs.backends.local", "ipykernel", "ray", "streamlit")
LEAK_GRACE_S = 15  # a worker whose pipe closed, or Ray's helpers, take a moment to exit


def started_processes() -> list[str]:
    """The processes of LEAK_MARKS' kinds that this test process started and that still run."""
    found = []
    for child in psutil.Process().children(recursive=True):
        try:
            command = " ".join(child.cmdline())
            if child.status() == psutil.STATUS_ZOMBIE:
                continue
        except psutil.Error:
            continue
        if any(mark in command for mark in LEAK_MARKS):
            found.append(f"{child.pid}: {command[:160]}")
    return found


def leftover_processes(grace: float = LEAK_GRACE_S) -> list[str]:
    """The started processes still alive once the spare training workers were ended and a
    moment passed (for a process that is already on its way out)."""
    from core.engine.runs.backends.local import release_spare_workers

    release_spare_workers()
    deadline = time.monotonic() + grace
    while (left := started_processes()) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


def end_processes(described: list[str]) -> None:
    for line in described:
        with contextlib.suppress(psutil.Error):
            psutil.Process(int(line.split(":", 1)[0])).kill()


@pytest.fixture(scope="module", autouse=True)
def _no_process_outlives_its_module(request):
    yield
    left = leftover_processes()
    if left:
        end_processes(left)  # so the next module is judged by what it starts itself
        pytest.fail(f"{request.module.__name__} left processes running: {left}", pytrace=False)


def pytest_sessionfinish(session, exitstatus):
    left = leftover_processes()
    if left:
        print(f"\nprocesses started by the tests are still running: {left}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


# Fixtures that start processes: a test that uses one is slow without saying so itself.
SLOW_FIXTURES = {"runner", "ray_cluster", "app_url"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.path.parent.name == "e2e" or SLOW_FIXTURES & set(item.fixturenames):
            item.add_marker(pytest.mark.slow)
        datasets = [d for m in item.iter_markers("needs_data") for d in (m.args or ("MNIST",))]
        app_tests = (
            APP_TESTS_NEEDING_DATA.get(item.path.name, ()) if item.path.parent.name == "app" else ()
        )
        if getattr(item, "originalname", item.name) in app_tests:
            datasets.append("MNIST")
        reasons = [r for d in dict.fromkeys(datasets) if (r := missing_data_reason(d))]
        if reasons:
            item.add_marker(pytest.mark.skip(reason=reasons[0]))


@pytest.fixture(scope="session")
def needs_data() -> None:
    """Request this from a fixture that loads MNIST: its tests skip when the files are missing."""
    reason = missing_data_reason("MNIST")
    if reason:
        pytest.skip(reason)


@pytest.fixture
def runs_dir(tmp_path, monkeypatch) -> Path:
    """A private runs folder, so tests never touch ./runs."""
    path = tmp_path / "runs"
    monkeypatch.setenv("TORCHLAB_RUNS", str(path))
    return path


@pytest.fixture
def runner(runs_dir):
    """A Runner on worker processes (one run at a time), shut down after the test; its idle
    worker goes to the pool the next test's Runner takes it from (the module's end ends it)."""
    from core.engine.runs.runner import Runner

    r = Runner(runs_root=runs_dir, max_concurrent=1)
    yield r
    r.shutdown()


@pytest.fixture
def inline_runner(runs_dir):
    """A Runner that trains in a thread of this process (tests/inline_backend.py): for tests
    that patch the training code."""
    from core.engine.runs.runner import Runner
    from tests.inline_backend import InlineBackend

    r = Runner(runs_root=runs_dir, backend=InlineBackend())
    yield r
    r.shutdown()
