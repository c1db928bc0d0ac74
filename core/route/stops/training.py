"""The route's stops on training: loss and cost, the chain rule, batches, the learning rate,
eager execution, the PyTorch modules, the chapter's ConvNet and its predictions."""

from __future__ import annotations

import math

from core.engine.learning.data import TRAIN_SIZE
from core.engine.looks.inside import one_in
from core.route import solve
from core.route.answers import shown
from core.route.questions import Question, Stop

STOPS: tuple[Stop, ...] = (
    Stop(
        "cost",
        "Loss and cost",
        "backprop",
        "The loss scores one example; the cost gathers a batch's losses, and that is what "
        "backprop differentiates. The chapter defines the cost as their **sum**; PyTorch's "
        "losses take their **mean** by default (`reduction='mean'`), B times smaller. Tab 1 "
        "shows both for a real batch.",
        Question(
            "A model that knows nothing outputs `torch.zeros(4, 10)` for a batch of 4 "
            "digits. What does `F.cross_entropy(logits, targets)` give (PyTorch's default, "
            "the mean)?",
            solve.untrained_cost,
            lambda c: (
                f"torch says {shown(c)}: every one of the 10 classes gets 1/10, and "
                "−ln(1/10) ≈ 2.3026 for every example, so the mean is the same. The chapter's "
                f"cost, the sum (`reduction='sum'`), is {shown(solve.untrained_cost('sum'))}: "
                "4 times as large. A fresh model's first loss is close to 2.3026."
            ),
            "Equal logits give every class the same probability; the loss is −ln(p).",
            placeholder="tensor(2.3026)",
        ),
        {"tab": "1 · Loss and cost"},
        hides=("fresh_loss",),  # the tab's "every loss ≈ log 10 ≈ 2.3" of a fresh model
    ),
    Stop(
        "chain",
        "The chain rule",
        "backprop",
        "Backprop applies the chain rule from the loss back to each weight: the Backward, node "
        "by node tab multiplies the local derivatives along the path, one step at a time.",
        Question(
            "`x = torch.tensor(2.0, requires_grad=True); y = (3 * x + 1) ** 2; y.backward()`. "
            "What is `x.grad`?",
            solve.chain_rule_grad,
            lambda g: f"torch says {shown(g)}: dy/dx = 2(3x + 1) · 3 = 2 · 7 · 3 at x = 2.",
            "Outer derivative times inner derivative: 2u · du/dx with u = 3x + 1.",
            placeholder="tensor(42.)",
        ),
        {"tab": "2 · Backward, node by node"},
    ),
    Stop(
        "batches",
        "SGD, mini-batch and batch gradient descent",
        "experiments",
        "One epoch shows every image once; the batch size decides how many optimizer "
        "steps that takes. This experiment trains the same model with each and plots the "
        "loss against the updates made.",
        Question(
            f"One epoch of {TRAIN_SIZE:,} images: which batch size updates the weights most often?",
            solve.most_updates,
            lambda label: (
                f"{label}: "
                + ", ".join(
                    f"batch {b:,} → {solve.updates_per_epoch(b):,}"
                    for b in solve.BATCH_SIZES.values()
                )
                + " steps per epoch (`len(DataLoader(...))`). More steps are noisier but learn "
                "sooner."
            ),
            "Steps per epoch = images / batch size, rounded up.",
            options=tuple(solve.BATCH_SIZES),
        ),
        {"tab": "SGD vs batch GD"},
        hides=("gd_counts",),  # the tab's "one update per epoch ... one per image"
    ),
    Stop(
        "lr",
        "The learning rate",
        "optimizers",
        "On the quadratic bowl, each step of plain SGD multiplies each coordinate by "
        "(1 − α·curvature): 1 along x, 10 along y. The page races SGD at a small rate; once "
        "you answer, it races it at the question's rate: watch where its path goes.",
        Question(
            f"Plain SGD with α = {solve.BOWL_LR:g} on L = ½(x² + 10 y²), from (−2.5, 2): does it "
            "settle or diverge?",
            solve.bowl_verdict,
            lambda a: (
                f"{a}: after 30 steps of `torch.optim.SGD` it is "
                f"{solve.sgd_on_bowl(solve.BOWL_LR):.3g} from the minimum, having started "
                f"{math.hypot(-2.5, 2.0):.3g} away. Along y the curvature is 10, and any α above "
                "2/10 overshoots by more than it corrects."
            ),
            "Look at the steep direction: y is multiplied by (1 − 10α) every step.",
            options=("It settles at the minimum", "It diverges"),
        ),
        {"surface": "Quadratic bowl", "kappa": "10", "opts": "SGD", "sgd.lr": "0.05"},
        reveal={"sgd.lr": repr(solve.BOWL_LR)},
    ),
    Stop(
        "eager",
        "Eager and deferred execution",
        "layers",
        "PyTorch runs each line as it comes (eager): the value exists at once and you can "
        "print it. A deferred framework first records a graph and runs it later; the "
        "Layers page's graph view records one with torch.fx.",
        Question(
            "`a = torch.tensor(2.0); b = torch.tensor(3.0); c = a * b + 1`. What does "
            "`print(c)` show right after that line?",
            solve.eager_value,
            lambda c: (
                f"{shown(c)}: the value is there at once, because every operation "
                "ran when its line did."
            ),
            "In eager mode each operation runs immediately.",
            placeholder="tensor(...)",
        ),
        {"tab": "Eager and deferred"},
    ),
    Stop(
        "api",
        "torch.nn, nn.functional, torch.optim, torch.utils.data",
        "layers",
        "`torch.nn` holds layers with weights, `nn.functional` the same operations as plain "
        "functions (this tab puts them side by side), and `torch.utils.data` the `Dataset` "
        "and `DataLoader` the chapter feeds its batches with. The Train page does not use "
        "them: it keeps the whole normalized set as one tensor and slices each batch out by "
        "index, which is faster for a dataset that fits "
        "in memory (Experiments → Data pipeline times both, the chapter's way in its code).",
        Question(
            "Which module holds `Adadelta`, the chapter's optimizer?",
            solve.home_of_adadelta,
            lambda m: (
                f"`{m}`, with every update rule: `torch.optim.Adadelta(model.parameters(), "
                "lr=0.5)` is the "
                "chapter's line. Layers live in torch.nn; the chapter's batches come from "
                "torch.utils.data's DataLoader."
            ),
            "It changes the weights after backward().",
            options=tuple(solve.MODULES),
        ),
        {"tab": "nn and functional"},
    ),
    Stop(
        "convnet",
        "The chapter's ConvNet",
        "training",
        "The classic preset is the chapter's network: two convolutions, max pooling, "
        "dropout and two fully connected layers, trained with Adadelta at lr 0.5. Its layer "
        "table counts each layer's parameters; once you answer, the page widens the hidden "
        "layer and the table counts again.",
        Question(
            "The classic ConvNet's hidden layer is `Linear({}, {})`. With {} units instead, "
            "how many parameters would the whole network have?".format(
                *solve.classic_hidden(), solve.WIDER_HIDDEN
            ),
            solve.convnet_params,
            solve.convnet_explained,
            "Only the two Linear layers change: in·out weights plus out biases each.",
            placeholder="a whole number",
        ),
        {"preset": "classic", "hidden": str(solve.classic_hidden()[1])},
        reveal={"hidden": str(solve.WIDER_HIDDEN)},
    ),
    Stop(
        "updates",
        "How big is one step? update:data",
        "training",
        "The *Inside the network* panel beside a run's curves measures every step against the "
        "weights it changes: update:data, the spread of a weight tensor's change over the "
        "spread of the weights, on a log10 scale. Karpathy's guide is about −3: a thousandth of "
        f"the weights per step. The page is set to the chapter's run on "
        f"{solve.INSIDE_RUN['train_subset']:,} images: press "
        "**Start** and read the update:data card once its first probe is in.",
        Question(
            "Adadelta at lr 0.5, the chapter's run: at its first step, whose weights move by "
            "closest to a thousandth (log10 −3)?",
            solve.healthiest_updates,
            lambda a: (
                f"{a}: at the run's first step (the panel's first probe: the same settings and "
                "seed give the same numbers on a CPU) torch measured "
                + ", ".join(f"{n} {one_in(u)} ({u:.2f})" for n, u in solve.first_updates().items())
                + ". Adadelta's first step moves every weight by about the same amount, and "
                "PyTorch starts a layer with few inputs per unit (conv1 has 9) with the largest "
                "weights (they scale as 1/√inputs): against them, the same step is the "
                "smallest. Every layer moves by more than the guide at first."
            ),
            "Adadelta's first step is about the same size for every weight. Which layer starts "
            "with the largest weights?",
            options=tuple(f"{n}'s" for n in solve.UPDATE_LAYERS),
        ),
        solve.inside_link(),
    ),
    Stop(
        "dead",
        "Dead units: a learning rate too high",
        "training",
        "The same run at lr 10, twenty times the chapter's. A ReLU unit that gives 0 for every "
        "image of a batch is *dead*: its gradient is 0 too, so it stops learning. The panel's "
        "activation cards count them at each probe. Press **Start** and watch them once a "
        "second probe is in (at step 51 or later).",
        Question(
            "Adadelta at lr 10: after its first 51 steps, which layer has lost the largest "
            "share of its units?",
            solve.most_dead,
            lambda a: (
                f"{a}: after the run's first 51 steps (the same settings and seed as yours) "
                "torch counted "
                + ", ".join(f"{n} {d:.0%}" for n, d in solve.dead_at(solve.HIGH_LR).items())
                + " dead, against "
                + ", ".join(f"{n} {d:.0%}" for n, d in solve.dead_at(None).items())
                + " at the chapter's lr 0.5. Steps that large push a unit's weights where it "
                "never fires again."
            ),
            "Train it and read the activation cards after step 51: each says what share of its "
            "layer's units never fired on the batch of that probe.",
            options=(*solve.DEAD_CHOICES.values(), solve.NONE_DEAD),
        ),
        solve.inside_link(solve.HIGH_LR),
    ),
    Stop(
        "kernel",
        "What a trained kernel looks for",
        "training",
        "The tab *Look inside a finished run → Layer by layer* opens the shipped model: its "
        "conv1 has 16 learned 5×5 kernels, red weights positive, blue negative. "
        f"Kernel {solve.KERNEL} is the fourth of the first row. A kernel answers most where "
        "the image under it looks like its red part and not like its blue part.",
        Question(
            f"Which edges does the shipped model's conv1 kernel {solve.KERNEL} answer most?",
            solve.kernel_answers,
            lambda a: (
                f"{a}: on images that are ink on one side of a line and dark on the other, "
                f"kernel {solve.KERNEL}'s output rises above its usual value by "
                + ", ".join(f"{v:.2f} for {k.lower()}" for k, v in solve.kernel_responses().items())
                + ". The layer-by-layer maps show it on a digit: its map is brightest along "
                "those strokes."
            ),
            "Compare the kernel's left and right columns, then its top and bottom rows.",
            options=solve.EDGES,
        ),
        {
            "section": "Look inside a finished run",
            "run": "digit_model",
            "itab": "Layer by layer",
            "kernel": str(solve.KERNEL),
        },
        hides=("insides_maps",),  # the maps show where the kernel answers on a digit
    ),
    Stop(
        "predict",
        "Testing and predicting",
        "canvas",
        "A trained model predicts in eval mode: dropout is off, so the same image always "
        "gets the same answer. Draw a digit and watch the probabilities.",
        Question(
            "A model with dropout, in `eval()` mode, sees the same image twice. Does it give "
            "the same output both times?",
            solve.eval_is_repeatable,
            lambda a: (
                f"{a}: torch.equal says the two outputs are identical in eval mode. "
                "In train mode dropout would zero different values each time."
            ),
            "What does eval() switch off?",
            options=("Yes: the same prediction", "No: it changes"),
        ),
    ),
)
