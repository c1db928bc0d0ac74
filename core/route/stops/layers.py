"""The route's stops on layers and activations: fully connected, convolution, transposed
convolution, recurrent, dropout, why non-linearity matters, vanishing gradients."""

from __future__ import annotations

from core.route import solve
from core.route.answers import shown
from core.route.questions import Question, Stop

STOPS: tuple[Stop, ...] = (
    Stop(
        "linear",
        "Fully connected layers",
        "layers",
        "A fully connected (`nn.Linear`) layer joins every input to every output with one "
        "weight, plus one bias per output. The page counts the parameters of a layer with 32 "
        "outputs; once you answer, it switches to 10.",
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
        {"tab": "Fully connected", "units": "32"},
        reveal={"units": "10"},
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
        "up, as the mask on the page shows. What `model.eval()` does to it, the page shows "
        "once you answer.",
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
        hides=("dropout_eval",),  # the eval-mode panel, metric and sentence
    ),
    Stop(
        "nonlinear",
        "Why non-linearity matters",
        "activations",
        "Stack `nn.Linear` layers with nothing between them. The Functions tab shows the "
        "bends an activation puts in; once you answer, the page opens *Why non-linearity*, "
        "where a grid goes through the stack with and without them.",
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
        {"tab": "Functions"},
        reveal={"tab": "Why non-linearity"},
    ),
    Stop(
        "vanishing",
        "Gradients through depth",
        "activations",
        "Backprop multiplies one slope per layer. The Functions tab draws each activation's "
        "slope f′(x); once you answer, the page opens *Vanishing gradients*, which plots the "
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
        {"tab": "Functions"},
        reveal={"tab": "Vanishing gradients"},
    ),
)
