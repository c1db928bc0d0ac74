"""The chapter's route: its ideas in the chapter's order, each a page set up by a link, a few
words on what to look at, and a question whose answer torch computes when it is asked."""

from __future__ import annotations

import math

from core.engine.learning.data import IMAGE_SIZE, TRAIN_SIZE
from core.route import solve
from core.route.answers import shown
from core.route.questions import Question, Stop

_POINTS_PAGE = {"fill": "values", "values": solve.POINTS_TEXT}  # the Tensors page's x = points


STOPS: tuple[Stop, ...] = (
    Stop(
        "data",
        "Why deep learning now",
        "experiments",
        "Deep learning got good when there was enough data and compute to feed it. The "
        "Experiments page trains the same ConvNet on more and less of MNIST: read its "
        "data-size experiment and how accuracy follows the number of images.",
        Question(
            f"MNIST has {TRAIN_SIZE:,} training images of {IMAGE_SIZE} × {IMAGE_SIZE} pixels. "
            "How many pixel values does one epoch feed the model?",
            solve.pixels,
            lambda n: (
                f"{n:,} numbers in every epoch, before a single weight is counted: "
                "this is why GPUs and big datasets made the difference."
            ),
            "Multiply the number of images by the pixels in one image.",
            placeholder="a whole number",
        ),
        {"tab": "Data size"},
    ),
    Stop(
        "offset",
        "A tensor is a view over storage",
        "tensors",
        "`x` is the chapter's `points`, a 3 × 2 tensor. Its six numbers sit in one flat "
        "storage, row after row: the strip under the cards. `x[1]` is the second point.",
        Question(
            f"`points = torch.tensor({solve.POINTS_TEXT})`. What is `points[1].storage_offset()`?",
            lambda: solve.points()[1].storage_offset(),
            lambda n: (
                f"torch says {n}: the second point starts at storage index {n}, after "
                "the first point's two numbers. No number was copied to make it."
            ),
            "Count how many numbers of the storage come before the second row.",
            placeholder="2",
        ),
        {**_POINTS_PAGE, "expr": "x[1]"},
    ),
    Stop(
        "stride",
        "Transposing changes the stride, not the storage",
        "tensors",
        "`x.t()` swaps the two dimensions. Its card shows the same storage with a new "
        "stride: how many storage places one step along each dimension moves.",
        Question(
            "What does `points.t().stride()` print?",
            lambda: solve.points().t().stride(),
            lambda s: (
                f"torch prints {s}: one step down a column of the transpose moves one "
                "place in storage, one step along a row moves two. It is a view of the same "
                "storage, no longer contiguous."
            ),
            "points has stride (2, 1); a transpose swaps size and stride together.",
            placeholder="(2, 1)",
        ),
        _POINTS_PAGE,
    ),
    Stop(
        "view",
        "View or copy",
        "tensors",
        "Every card says whether its tensor still reads `x`'s storage. Try "
        "`x.t().contiguous()` in the box after answering: that one has to copy.",
        Question(
            "`points.t()`: does it share points' storage, or get new storage?",
            solve.shares_storage,
            lambda a: (
                f"{a}: `points.t().untyped_storage().data_ptr()` equals "
                "`points.untyped_storage().data_ptr()`. Writing through the transpose changes "
                "points too."
            ),
            "Compare the two storages' data_ptr(): the card says which storage it reads.",
            options=("A view: the same storage", "A copy: new storage"),
        ),
        _POINTS_PAGE,
    ),
    Stop(
        "dtype",
        "dtypes: how many bytes a number takes",
        "tensors",
        "The dtype table lists each dtype's size per element. Switch the dtype picker and "
        "watch the storage's bytes change while the size, stride and offset stay.",
        Question(
            "`points.to(torch.float64)`: how many bytes is its storage "
            "(`.untyped_storage().nbytes()`)?",
            solve.float64_bytes,
            lambda n: f"{n} bytes: six numbers of 8 bytes each. float32 would take half.",
            "A float64 takes 8 bytes; count the numbers.",
            placeholder="a whole number",
        ),
        {**_POINTS_PAGE, "dtype": "float64", "expr": "x"},
    ),
    Stop(
        "linear",
        "Fully connected layers",
        "layers",
        "A fully connected (`nn.Linear`) layer joins every input to every output with one "
        "weight, plus one bias per output.",
        Question(
            "How many parameters does `nn.Linear(784, 10)` have (weights and biases)?",
            solve.linear_params,
            lambda n: (
                f"{n:,}: 784 × 10 weights and 10 biases, as "
                "`sum(p.numel() for p in layer.parameters())` counts them."
            ),
            "Every input meets every output once; then add a bias per output.",
            placeholder="a whole number",
        ),
        {"tab": "Fully connected"},
    ),
    Stop(
        "conv",
        "Convolution and pooling",
        "layers",
        "A convolution slides a small kernel over the image; without padding it loses a "
        "border; max pooling then keeps the largest value of each 2 × 2 patch.",
        Question(
            "`nn.Conv2d(1, 32, 3, 1)` then `nn.MaxPool2d(2)` on `torch.zeros(1, 1, 28, 28)`: "
            "what `.shape` comes out?",
            solve.conv_pool_shape,
            lambda s: (
                f"torch says {shown(s)}: a 3 × 3 kernel trims 28 to 26, 32 kernels "
                "give 32 channels, and pooling halves 26 to 13."
            ),
            "Output size = (input − kernel) / stride + 1, then pooling divides by 2.",
            placeholder="torch.Size([1, 32, 13, 13])",
        ),
        {"tab": "Convolution"},
    ),
    Stop(
        "deconv",
        "Transposed convolution",
        "layers",
        "A transposed convolution goes the other way: it grows the image, the way a "
        "decoder turns features back into pixels.",
        Question(
            "`nn.ConvTranspose2d(32, 1, 3, 1)` on `torch.zeros(1, 32, 26, 26)`: what "
            "`.shape` comes out?",
            solve.deconv_shape,
            lambda s: (
                f"torch says {shown(s)}: it adds back the border a 3 × 3 convolution "
                "took away, and 32 channels become 1."
            ),
            "It undoes a convolution's size: (input − 1) × stride + kernel.",
            placeholder="torch.Size([1, 1, 28, 28])",
        ),
        {"tab": "Transposed conv", "tr_s": "1"},
    ),
    Stop(
        "rnn",
        "Recurrent layers",
        "layers",
        "A recurrent layer reads a sequence one step at a time and carries a hidden state "
        "from step to step; `nn.RNN` takes (sequence, batch, features) by default.",
        Question(
            "`nn.RNN(10, 20)` on `torch.zeros(5, 3, 10)`: what is the output's `.shape`?",
            solve.rnn_shape,
            lambda s: (
                f"torch says {shown(s)}: one 20-number hidden state per step of the "
                "sequence (5) and per example of the batch (3)."
            ),
            "The output has the input's sequence and batch sizes, and hidden_size features.",
            placeholder="torch.Size([5, 3, 20])",
        ),
        {"tab": "Recurrent", "rnn": "RNN", "hidden": "20"},
    ),
    Stop(
        "dropout",
        "Dropout",
        "layers",
        "While training, dropout zeroes each value with probability p and scales the rest "
        "up; `model.eval()` turns it off so a test sees the whole network.",
        Question(
            "`nn.Dropout(0.5).eval()` on `torch.ones(1000)`: what fraction of the outputs is zero?",
            solve.dropout_eval_zeros,
            lambda f: (
                f"{f:g}: in eval mode dropout passes everything through unchanged. "
                "In train mode about half would be zero and the rest 2."
            ),
            "Think about what `.eval()` does to dropout.",
            placeholder="a number between 0 and 1",
        ),
        {"tab": "Dropout"},
    ),
    Stop(
        "nonlinear",
        "Why non-linearity matters",
        "activations",
        "Without an activation between them, layers only multiply matrices, and a product "
        "of matrices is one matrix. The page shows what a single bend adds.",
        Question(
            "Two `nn.Linear` layers with nothing between them: can they compute anything one "
            "`nn.Linear` cannot?",
            solve.stacked_linear,
            lambda a: (
                f"{a}: torch checks that `second(first(x))` equals one Linear with "
                "weight `W₂W₁` and bias `W₂b₁ + b₂`. An activation between them is what adds "
                "power."
            ),
            "Write second(first(x)) out: W₂(W₁x + b₁) + b₂.",
            options=("Yes: two layers can bend", "No: together they are one linear map"),
        ),
        {"tab": "Why non-linearity"},
    ),
    Stop(
        "vanishing",
        "Gradients through depth",
        "activations",
        "Backprop multiplies one slope per layer. The Vanishing gradients tab plots the "
        "gradient that reaches the first layer as the chain grows.",
        Question(
            "Through 20 layers `h = f(h)` from h = 0.5, which activation's gradient "
            "vanishes first?",
            solve.vanishes_first,
            lambda name: (
                f"{name}: autograd gives "
                + ", ".join(f"{n} {solve.chain_gradient(n):.2g}" for n in solve.CHAIN_ACTIVATIONS)
                + ". A sigmoid's slope is at most 0.25, so twenty of them multiply to almost "
                "nothing."
            ),
            "Compare the largest slope each activation can have.",
            options=tuple(solve.CHAIN_ACTIVATIONS),
        ),
        {"tab": "Vanishing gradients"},
    ),
    Stop(
        "cost",
        "Loss and cost",
        "backprop",
        "The loss scores one example; the cost averages the losses of a batch "
        "(`reduction='mean'`), and that is what backprop differentiates.",
        Question(
            "A model that knows nothing outputs `torch.zeros(4, 10)` for a batch of 4 "
            "digits. What does `F.cross_entropy(logits, targets)` give?",
            solve.untrained_cost,
            lambda c: (
                f"torch says {shown(c)}: every one of the 10 classes gets 1/10, and "
                "−ln(1/10) ≈ 2.3026 for every example, so the mean is the same. A fresh "
                "model's first loss is close to it."
            ),
            "Equal logits give every class the same probability; the loss is −ln(p).",
            placeholder="tensor(2.3026)",
        ),
        {"tab": "1 · Loss and cost"},
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
    ),
    Stop(
        "lr",
        "The learning rate",
        "optimizers",
        "On the quadratic bowl, each step of plain SGD multiplies each coordinate by "
        "(1 − α·curvature): 1 along x, 10 along y. The page races SGD at this rate: watch "
        "where its path goes, then lower α.",
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
        {"surface": "Quadratic bowl", "opts": "SGD", "sgd.lr": repr(solve.BOWL_LR)},
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
        "functions (this tab puts them side by side), `torch.optim` the update rules and "
        "`torch.utils.data` the datasets and loaders the Train page uses.",
        Question(
            "Which module holds `Adadelta`, the chapter's optimizer?",
            solve.home_of_adadelta,
            lambda m: (
                f"`{m}`: `torch.optim.Adadelta(model.parameters(), lr=0.5)` is the "
                "chapter's line. Layers live in torch.nn, batches come from torch.utils.data."
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
        "dropout and two fully connected layers, trained with Adadelta at lr 0.5.",
        Question(
            "How many parameters does the chapter's ConvNet have?",
            solve.convnet_params,
            solve.convnet_explained,
            "Open the layer table under the form and add the column up.",
            placeholder="a whole number",
        ),
        {"preset": "classic"},
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
