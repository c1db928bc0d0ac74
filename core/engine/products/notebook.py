"""Export a run as a Jupyter notebook: the script's code (core.engine.products.export) in
cells, with a short text before each that says what it does in the chapter's terms.

The notebook runs top to bottom in plain PyTorch (torch and torchvision, no Torchlab) and
trains exactly like the run: the code is the very code of the exported script, not a copy.
It ends as the chapter does, predicting one test image.
"""

from __future__ import annotations

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from core.engine.learning.config import RunConfig
from core.engine.learning.data import dataset_info
from core.engine.products.export import (
    IMPORTS,
    TEST_CODE,
    TRAIN_CODE,
    load_code,
    model_code,
    normalization_words,
    settings_code,
    setup_code,
    title,
)

MIME = "application/x-ipynb+json"
KERNEL = {"name": "python3", "display_name": "Python 3", "language": "python"}


def write_notebook(cells: list[tuple[str, str]]) -> str:
    """("markdown" | "code", source) pairs as the text of a valid .ipynb file (nbformat 4).

    Cell ids are numbered, not random, so the same cells give the same file every time."""
    made = [
        (new_markdown_cell if kind == "markdown" else new_code_cell)(source.strip("\n"))
        for kind, source in cells
    ]
    for number, cell in enumerate(made, 1):
        cell["id"] = f"cell-{number}"
    notebook = new_notebook(
        cells=made, metadata={"kernelspec": KERNEL, "language_info": {"name": "python"}}
    )
    nbformat.validate(notebook)
    return nbformat.writes(notebook)


def _predict_code(config: RunConfig) -> str:
    """One test image through the trained model: its predicted class and its true label."""
    info = dataset_info(config.dataset)
    digits = info.classes == tuple(str(d) for d in range(10))
    if digits:
        named, what = "", "digit"
        answer = "predicted, label.item()"
    else:
        named, what = f"CLASSES = {info.classes!r}\n", "class"
        answer = "CLASSES[predicted], CLASSES[label.item()]"
    return f"""{named}model.eval()  # dropout off: the network as it is used
image, label = X_test[0], y_test[0]  # one test image (1, 28, 28) and its true label
with torch.no_grad():
    log_probs = model(image.unsqueeze(0))  # a batch of one image: (1, classes)
predicted = log_probs.argmax(1).item()  # the class with the largest log-probability
probability = log_probs.exp()[0, predicted].item()
shown, truth = {answer}
print(f"predicted {what}: {{shown}} (probability {{probability:.1%}}), true label: {{truth}}")
"""


def run_notebook(config: RunConfig) -> str:
    """The run as the text of a notebook (the page offers it as a download)."""
    info = dataset_info(config.dataset)
    notebook_settings = (
        f"{settings_code(config)}"
        'DATA = os.environ.get("TORCHLAB_DATA", "./data")  # the folder that holds the dataset\n'
        "DOWNLOAD = False  # True fetches the dataset into DATA if it is missing\n"
        f'DEVICE = "{config.device}"\n'
        "MAX_BATCHES = 0  # stop each epoch after this many batches, for a quick try (0 = all)\n"
    )
    data = (
        f"{load_code(config)}\n\n"
        "device = torch.device(DEVICE)\n"
        "X, y = load(DATA, True, device, DOWNLOAD)\n"
        "X_test, y_test = load(DATA, False, device, DOWNLOAD)\n"
        'print("training images", tuple(X.shape), "test images", tuple(X_test.shape))\n'
    )
    cells = [
        (
            "markdown",
            f"""# {title(config)}

Exported by Torchlab: plain PyTorch, needing only `torch` and `torchvision`. Run the cells
from top to bottom. They train exactly like the run they come from: the same model, initial
weights, batch order, optimizer and schedule (on the CPU the same numbers come out).""",
        ),
        ("code", IMPORTS),
        (
            "markdown",
            """## The settings

The run's exact settings. Change one and run the cells below it again to see what it does.
`DATA` is the folder with the dataset (`DOWNLOAD = True` fetches it once); `MAX_BATCHES`
stops each epoch early.""",
        ),
        ("code", notebook_settings),
        (
            "markdown",
            f"""## The data

`load()` reads the whole {info.title} set at once: the pixels scaled to [0, 1], then
normalized with {normalization_words(config)}, into one tensor `X` of shape (N, 1, 28, 28)
and the labels `y` of shape (N,). A batch is a slice of `X` by index.""",
        ),
        ("code", data),
        (
            "markdown",
            """## The model

`Net` is an `nn.Module`: `__init__` makes the layers, `forward` says how a batch of images
flows through them. It returns log-probabilities (`log_softmax`), which the loss `nll_loss`
expects.""",
        ),
        ("code", model_code(config.model)),
        (
            "markdown",
            """## `train()`

One epoch: shuffle the order of the images (with the seeded generator), then for each batch
zero the gradients, run the model forward, compute the loss, `backward()` for the
gradients and one `optimizer.step()`. Every `LOG_INTERVAL` batches it prints the training
loss.""",
        ),
        ("code", TRAIN_CODE),
        (
            "markdown",
            """## `test()`

The model in evaluation mode (dropout off) and no gradients: the average loss and the
accuracy on images it never trained on.""",
        ),
        ("code", TEST_CODE),
        (
            "markdown",
            """## The model, the optimizer and the schedule

Seeded first: `INIT_SEED` gives the run's initial weights, `SEED` its batch order.""",
        ),
        ("code", setup_code(config, "EPOCHS") + "print(model)\n"),
        (
            "markdown",
            """## Training

Each epoch: `train()` on the training images, then `test()` on the test images.""",
        ),
        (
            "code",
            """for epoch in range(1, EPOCHS + 1):
    train(model, X, y, optimizer, scheduler, generator, epoch, MAX_BATCHES)
    test(model, X_test, y_test)
""",
        ),
        (
            "markdown",
            """## Predict one test image

As the chapter ends: one image the model never saw in training goes through the trained
model, and its prediction is the class with the largest log-probability (`argmax`). To keep
the trained weights: `torch.save(model.state_dict(), "model.pt")`.""",
        ),
        ("code", _predict_code(config)),
    ]
    return write_notebook(cells)
