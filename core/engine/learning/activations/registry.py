"""The activation registry: each function as torch computes it, with the facts a learner needs.

Values always come from `torch` / `torch.nn.functional` (never a re-typed formula), and
derivatives from autograd (see `core.activations.curves`), so what the page draws is what a
model trained with PyTorch really uses - including the derivative torch picks at a kink.
"""

from __future__ import annotations

from torch import nn

from core.engine.learning.activations import functions as af
from core.engine.learning.activations.spec import INF, ActivationSpec, Kink, Param, kink_at_zero
from core.errors import ConfigError

SELU_ALPHA = 1.6732632423543772  # the constants F.selu uses (Klambauer et al., 2017)
SELU_SCALE = 1.0507009873554805


_SPECS = (
    ActivationSpec(
        key="sigmoid",
        name="Sigmoid",
        fn=af.sigmoid,
        module_factory=nn.Sigmoid,
        formula=r"\sigma(x) = \frac{1}{1 + e^{-x}}",
        output_range=r"(0, 1)",
        bounds=lambda: (0.0, 1.0),
        monotonic=True,
        zero_centred=False,
        about="Squashes any number into a probability-like (0, 1). Its slope is at most 0.25, "
        "so deep stacks of sigmoids shrink gradients; today it is mostly used for gates and "
        "binary outputs.",
        differentiability="Smooth everywhere.",
    ),
    ActivationSpec(
        key="tanh",
        name="Tanh",
        fn=af.tanh,
        module_factory=nn.Tanh,
        formula=r"\tanh(x) = \frac{e^{x} - e^{-x}}{e^{x} + e^{-x}} = 2\sigma(2x) - 1",
        output_range=r"(-1, 1)",
        bounds=lambda: (-1.0, 1.0),
        monotonic=True,
        zero_centred=True,
        about="A rescaled sigmoid centred on 0, with slope 1 at the origin; still saturates "
        "for large |x|. Used in RNNs and small networks.",
        differentiability="Smooth everywhere.",
    ),
    ActivationSpec(
        key="relu",
        name="ReLU",
        fn=af.relu,
        module_factory=nn.ReLU,
        formula=r"\mathrm{ReLU}(x) = \max(0, x)",
        output_range=r"[0, \infty)",
        bounds=lambda: (0.0, INF),
        monotonic=True,
        zero_centred=False,
        about="The default of modern deep nets: cheap, and its slope is exactly 1 for every "
        "positive input, so gradients do not shrink. A unit whose input stays negative "
        "gets no gradient at all (a dead ReLU).",
        differentiability=r"Kink at $x = 0$; torch uses $\mathrm{ReLU}'(0) = 0$.",
        kinks=lambda: (Kink(0.0, 0.0, "left"),),
    ),
    ActivationSpec(
        key="leaky_relu",
        name="Leaky ReLU",
        fn=af.leaky_relu,
        module_factory=lambda negative_slope: nn.LeakyReLU(negative_slope),
        formula=r"f(x) = \begin{cases} x & x > 0 \\ k\,x & x \le 0 \end{cases}",
        params=(Param("negative_slope", "k", 0.0, 1.0, 0.01),),
        output_range=r"(-\infty, \infty) \text{ for } k > 0",
        bounds=lambda negative_slope: (-INF if negative_slope > 0 else 0.0, INF),
        monotonic=True,
        zero_centred=False,
        about="ReLU with a small slope k for negative inputs, so no unit is ever fully dead. "
        "k = 0 is ReLU, k = 1 is the identity (no non-linearity left).",
        differentiability=r"Kink at $x = 0$ (unless $k = 1$); torch uses $f'(0) = k$.",
        kinks=kink_at_zero("negative_slope"),
    ),
    ActivationSpec(
        key="elu",
        name="ELU",
        fn=af.elu,
        module_factory=lambda alpha: nn.ELU(alpha),
        formula=r"f(x) = \begin{cases} x & x > 0 \\ \alpha\,(e^{x} - 1) & x \le 0 \end{cases}",
        params=(Param("alpha", r"\alpha", 0.1, 3.0, 1.0),),
        output_range=r"(-\alpha, \infty)",
        bounds=lambda alpha: (-alpha, INF),
        monotonic=True,
        zero_centred=False,
        about="Smooth for negative inputs and bounded below by -α, which pulls the mean "
        "output towards 0 (but not all the way: about 0.16 for α = 1).",
        differentiability=r"Smooth for $\alpha = 1$; otherwise a kink at $x = 0$ where torch "
        r"uses $f'(0) = \alpha$.",
        kinks=kink_at_zero("alpha"),
    ),
    ActivationSpec(
        key="selu",
        name="SELU",
        fn=af.selu,
        module_factory=nn.SELU,
        formula=r"f(x) = \lambda \begin{cases} x & x > 0 \\ \alpha\,(e^{x} - 1) & x \le 0 "
        r"\end{cases},\ \lambda \approx 1.0507,\ \alpha \approx 1.6733",
        output_range=r"(-\lambda\alpha, \infty) \approx (-1.758, \infty)",
        bounds=lambda: (-SELU_SCALE * SELU_ALPHA, INF),
        monotonic=True,
        zero_centred=True,
        about="A scaled ELU whose two constants are chosen so that inputs with mean 0 and "
        "variance 1 come out with mean 0 and variance 1: deep stacks keep their scale.",
        differentiability=r"Kink at $x = 0$; torch uses $f'(0) = \lambda\alpha \approx 1.758$.",
        kinks=lambda: (Kink(0.0, SELU_SCALE * SELU_ALPHA, "left"),),
    ),
    ActivationSpec(
        key="gelu",
        name="GELU (exact)",
        fn=af.gelu,
        module_factory=nn.GELU,
        formula=r"\mathrm{GELU}(x) = x\,\Phi(x) = \frac{x}{2}\left(1 + "
        r"\mathrm{erf}\frac{x}{\sqrt{2}}\right)",
        output_range=r"[\approx -0.170, \infty)",
        bounds=lambda: (-0.16997120747941, INF),
        monotonic=False,
        zero_centred=False,
        about="x weighted by the probability Φ(x) that a standard normal is below it. The "
        "activation of BERT and GPT; dips slightly below 0 near x ≈ -0.75.",
        differentiability="Smooth everywhere.",
    ),
    ActivationSpec(
        key="gelu_tanh",
        name="GELU (tanh approximation)",
        fn=af.gelu_tanh,
        module_factory=lambda: nn.GELU(approximate="tanh"),
        formula=r"\frac{x}{2}\left(1 + \tanh\left[\sqrt{2/\pi}\,(x + 0.044715\,x^3)\right]\right)",
        output_range=r"[\approx -0.170, \infty)",
        bounds=lambda: (-0.17004075057082, INF),
        monotonic=False,
        zero_centred=False,
        about="The original GPT-2 formula: GELU without erf. Overlay it on the exact GELU: "
        "the two curves differ by less than 0.001.",
        differentiability="Smooth everywhere.",
    ),
    ActivationSpec(
        key="swish",
        name="SiLU / Swish",
        fn=af.swish,
        module_factory=lambda beta: nn.SiLU() if beta == 1.0 else af.Swish(beta),
        formula=r"\mathrm{Swish}_\beta(x) = x\,\sigma(\beta x) = \frac{x}{1 + e^{-\beta x}}",
        params=(Param("beta", r"\beta", 0.1, 10.0, 1.0),),
        output_range=r"[\approx -0.278/\beta, \infty)",
        bounds=lambda beta: (-0.27846454275883 / beta, INF),
        monotonic=False,
        zero_centred=False,
        about="β = 1 is SiLU (nn.SiLU). Small β makes it nearly linear (x/2); large β "
        "makes it nearly ReLU. Used in EfficientNet and many LLMs.",
        differentiability="Smooth everywhere.",
    ),
    ActivationSpec(
        key="softplus",
        name="Softplus",
        fn=af.softplus,
        module_factory=lambda beta: nn.Softplus(beta=beta),
        formula=r"\mathrm{Softplus}_\beta(x) = \frac{1}{\beta}\log\left(1 + e^{\beta x}\right)",
        params=(Param("beta", r"\beta", 0.1, 10.0, 1.0),),
        output_range=r"(0, \infty)",
        bounds=lambda beta: (0.0, INF),
        monotonic=True,
        zero_centred=False,
        about="A smooth ReLU whose derivative is exactly the sigmoid σ(βx). Larger β hugs "
        "ReLU more tightly. Used where an output must stay positive (a variance, a rate).",
        differentiability=r"Smooth everywhere. (For $\beta x > 20$ torch returns $x$ "
        "itself, to avoid overflowing exp.)",
    ),
    ActivationSpec(
        key="mish",
        name="Mish",
        fn=af.mish,
        module_factory=nn.Mish,
        formula=r"\mathrm{Mish}(x) = x \tanh\left(\mathrm{Softplus}(x)\right)",
        output_range=r"[\approx -0.309, \infty)",
        bounds=lambda: (-0.30884341301705, INF),
        monotonic=False,
        zero_centred=False,
        about="Another smooth, slightly non-monotonic ReLU (used in YOLOv4); very close to "
        "Swish - overlay the two.",
        differentiability="Smooth everywhere.",
    ),
    ActivationSpec(
        key="hardtanh",
        name="Hardtanh",
        fn=af.hardtanh,
        module_factory=lambda min_val, max_val: nn.Hardtanh(min_val, max_val),
        formula=r"f(x) = \begin{cases} a & x < a \\ x & a \le x \le b \\ b & x > b "
        r"\end{cases}",
        params=(
            Param("min_val", "a", -3.0, -0.1, -1.0),
            Param("max_val", "b", 0.1, 3.0, 1.0),
        ),
        output_range=r"[a, b]",
        bounds=lambda min_val, max_val: (min_val, max_val),
        monotonic=True,
        zero_centred=True,
        about="tanh made of three straight pieces: cheap, and exactly flat (zero gradient) "
        "outside [a, b].",
        differentiability=r"Kinks at $x = a$ and $x = b$; torch uses $f' = 0$ at both.",
        kinks=lambda min_val, max_val: (Kink(min_val, 0.0, "left"), Kink(max_val, 0.0, "right")),
    ),
    ActivationSpec(
        key="hardswish",
        name="Hardswish",
        fn=af.hardswish,
        module_factory=nn.Hardswish,
        formula=r"f(x) = x\,\frac{\mathrm{ReLU6}(x + 3)}{6}",
        output_range=r"[-0.375, \infty)",
        bounds=lambda: (-0.375, INF),
        monotonic=False,
        zero_centred=False,
        about="Swish made of a parabola and straight pieces, so phones can compute it "
        "without exp (MobileNetV3).",
        differentiability=r"Kinks at $x = -3$ (torch uses $f' = 0$) and $x = 3$ "
        r"(torch uses $f' = 1$).",
        kinks=lambda: (Kink(-3.0, 0.0, "left"), Kink(3.0, 1.0, "right")),
    ),
    ActivationSpec(
        key="relu6",
        name="ReLU6",
        fn=af.relu6,
        module_factory=nn.ReLU6,
        formula=r"\mathrm{ReLU6}(x) = \min(\max(0, x), 6)",
        output_range=r"[0, 6]",
        bounds=lambda: (0.0, 6.0),
        monotonic=True,
        zero_centred=False,
        about="ReLU capped at 6, so activations fit low-precision number formats (MobileNet).",
        differentiability=r"Kinks at $x = 0$ and $x = 6$; torch uses $f' = 0$ at both.",
        kinks=lambda: (Kink(0.0, 0.0, "left"), Kink(6.0, 0.0, "right")),
    ),
    ActivationSpec(
        key="prelu",
        name="PReLU",
        fn=af.prelu,
        module_factory=lambda a: nn.PReLU(init=a),
        formula=r"f(x) = \begin{cases} x & x > 0 \\ a\,x & x \le 0 \end{cases},\ "
        r"a \text{ learned}",
        params=(Param("a", "a", 0.0, 1.0, 0.25),),
        output_range=r"(-\infty, \infty) \text{ for } a > 0",
        bounds=lambda a: (-INF if a > 0 else 0.0, INF),
        monotonic=True,
        zero_centred=False,
        about="Leaky ReLU whose slope a is a weight: nn.PReLU holds it as a parameter and "
        "training moves it like any other weight (starting from 0.25).",
        differentiability=r"Kink at $x = 0$ (unless $a = 1$); torch uses $f'(0) = a$.",
        kinks=kink_at_zero("a"),
    ),
    ActivationSpec(
        key="softsign",
        name="Softsign",
        fn=af.softsign,
        module_factory=nn.Softsign,
        formula=r"\mathrm{softsign}(x) = \frac{x}{1 + |x|}",
        output_range=r"(-1, 1)",
        bounds=lambda: (-1.0, 1.0),
        monotonic=True,
        zero_centred=True,
        about="Shaped like tanh but approaches ±1 polynomially, not exponentially, so it "
        "saturates more slowly - compare the two derivatives.",
        differentiability=r"Differentiable everywhere ($f'(x) = 1/(1+|x|)^2$; at 0 the "
        r"$|x|$ inside has no derivative, but the quotient does, and torch returns 1).",
    ),
    ActivationSpec(
        key="step",
        name="Step (Heaviside)",
        fn=af.step,
        module_factory=af.Step,
        formula=r"H(x) = \begin{cases} 1 & x > 0 \\ 0 & x \le 0 \end{cases}",
        output_range=r"\{0, 1\}",
        bounds=lambda: (0.0, 1.0),
        monotonic=True,
        zero_centred=False,
        about="The original perceptron's activation, shown for contrast: its slope is 0 "
        "everywhere it exists, so gradient descent gets no signal through it.",
        differentiability=r"Jumps at $x = 0$ (no derivative there). Elsewhere $H'(x) = 0$; "
        "torch's autograd refuses to differentiate `torch.heaviside` at all.",
        has_gradient=False,
    ),
    ActivationSpec(
        key="softmax",
        name="Softmax",
        fn=af.softmax,
        module_factory=lambda: nn.Softmax(dim=-1),
        formula=r"\mathrm{softmax}(z)_i = \frac{e^{z_i}}{\sum_j e^{z_j}}",
        output_range=r"(0, 1) \text{ each, summing to } 1",
        bounds=lambda: (0.0, 1.0),
        monotonic=True,
        zero_centred=False,
        about="Maps a whole vector of scores (logits) to probabilities; it is not applied "
        "number by number. See the Softmax tab.",
        differentiability="Smooth everywhere; its derivative is a matrix (each output "
        "depends on every input).",
        elementwise=False,
    ),
)

ACTIVATIONS: dict[str, ActivationSpec] = {spec.key: spec for spec in _SPECS}
ELEMENTWISE = tuple(k for k, spec in ACTIVATIONS.items() if spec.elementwise)
DIFFERENTIABLE = tuple(k for k in ELEMENTWISE if ACTIVATIONS[k].has_gradient)  # can train


def _model_activations() -> dict[str, ActivationSpec]:
    """The entries a model can train with, by torch.nn class name.

    Only entries whose default layer is exactly `nn.<Name>()` qualify, so a run's config, the
    layer table and the exported script name them the way PyTorch does (the step has no
    gradient, softmax is not elementwise, and GELU's tanh form would shadow the exact one).
    """
    found: dict[str, ActivationSpec] = {}
    for spec in ACTIVATIONS.values():
        if not (spec.elementwise and spec.has_gradient):
            continue
        layer = spec.module()
        name = type(layer).__name__
        plain = getattr(nn, name, None)
        if name not in found and plain is not None and repr(layer) == repr(plain()):
            found[name] = spec
    return {"ReLU": found.pop("ReLU"), **found}  # ReLU first: the default, the chapter's choice


MODEL_ACTIVATIONS = _model_activations()


def get_activation(key: str) -> ActivationSpec:
    try:
        return ACTIVATIONS[key]
    except KeyError:
        raise ConfigError(
            f"Unknown activation {key!r}. Choose one of: {', '.join(ACTIVATIONS)}."
        ) from None
