"""Home: what Torchlab teaches, and where to touch each idea."""

from __future__ import annotations

import streamlit as st

from core.devices import available_devices
from ui.route import route_overview_list_ui, route_start_ui, route_summary_ui

st.title("Torchlab")
st.markdown(
    "Learn the first ideas of deep learning with PyTorch by **touching them**: type a tensor "
    "view and see which memory it uses, drag an activation's slope, train a network and watch "
    "its loss fall, draw a digit and see what the network thinks it is."
)

with st.container(border=True, key="home_route"):
    st.subheader("Walk the chapter")
    st.markdown(
        "The route takes you through the chapter's ideas in its order. Each stop opens the "
        "page that shows the idea, already set up, says what to look at, and asks you to "
        "**predict** something before torch computes it. The route's card sits above each "
        "page; your progress stays through a refresh."
    )
    route_summary_ui()
    with st.expander("The stops"):
        route_overview_list_ui()
    route_start_ui()


def idea(title: str, text: str, page: str, label: str) -> None:
    with st.container(border=True):
        st.subheader(title)
        st.markdown(text)
        st.page_link(page, label=label, icon=":material/arrow_forward:")


st.header("Why deep learning took off")
st.markdown(
    "Neural networks are old; what changed is **compute** and **data**. GPUs made the huge "
    "number of multiply-adds in a network cheap, and the internet gave us millions of labelled "
    "examples. Traditional methods (a linear classifier on the pixels, say) stop improving "
    "early as data grows; deep networks keep improving. You can check the second here: "
    "train on 500 or on 60,000 images. "
    + (
        "For the first, switch the device in the sidebar between cpu and a GPU."
        if len(available_devices()) > 1
        else "For the first you need a GPU, and this machine has none: every page here "
        "runs on its CPU."
    )
)
c1, c2 = st.columns(2)
with c1:
    idea(
        "More data helps deep nets most",
        "Run the same ConvNet and a linear baseline on growing training sets and compare "
        "their test accuracy.",
        "views/experiments/page.py",
        "Experiments",
    )
with c2:
    idea(
        "Tensors: the data structure of it all",
        "A tensor is a *view* (size, storage offset, stride) over one flat block of memory. "
        "Transposing or slicing changes only those numbers, not the data.",
        "views/tensors.py",
        "Tensors and storage",
    )

st.header("The building blocks")
c1, c2, c3 = st.columns(3)
with c1:
    idea(
        "Layers",
        "Fully connected layers mix every input; convolutions slide a small filter over an "
        "image; pooling shrinks it; recurrent layers read a sequence; dropout switches units "
        "off while training. See each on a real digit.",
        "views/layers/page.py",
        "Layers lab",
    )
with c2:
    idea(
        "Activations",
        "Without a non-linear function between layers, any stack of linear layers is one "
        "linear layer. Compare sigmoid, tanh, ReLU and friends, and their derivatives.",
        "views/activations.py",
        "Activation functions",
    )
with c3:
    idea(
        "Loss and backpropagation",
        "A loss scores one prediction, the cost gathers a batch's losses into one number; the "
        "chain rule turns it into a gradient for every weight, and the learning rate scales "
        "the step.",
        "views/backprop.py",
        "Loss and backprop",
    )

st.header("Learning: optimization")
c1, c2 = st.columns(2)
with c1:
    idea(
        "Train a ConvNet on MNIST",
        "Pick layers, an optimizer (SGD, Adadelta, Adam...), batch size, learning rate and "
        "epochs; watch the loss and accuracy curves live; compare runs side by side.",
        "views/train/page.py",
        "Train",
    )
with c2:
    idea(
        "Optimizers on a map",
        "Race SGD, momentum, Adam and others down 2-D loss surfaces and see why a too-large "
        "learning rate diverges.",
        "views/optimizers.py",
        "Optimizers",
    )

st.header("Using a trained model")
idea(
    "Draw a digit",
    "Sketch a digit in the browser; it is cropped, scaled and centred like MNIST, and a "
    "trained network predicts it on the device you chose.",
    "views/canvas.py",
    "Canvas",
)

st.header("The PyTorch modules you will meet")
st.markdown(
    """
| module | what it holds | where you see it here |
| --- | --- | --- |
| `torch` | tensors and the maths on them, on cpu or a GPU | Tensors |
| `torch.nn` | layers as objects that own their weights (`nn.Conv2d`, `nn.Linear`...) | Layers, Train |
| `torch.nn.functional` | the same operations as plain functions (`F.relu`, `F.conv2d`...) | Layers, Activations |
| `torch.optim` | optimizers that update weights from their gradients | Optimizers, Train |
| `torch.utils.data` | `Dataset` and `DataLoader` for feeding batches | Experiments (data pipeline) |
| `torch.autograd` | records operations and computes gradients with `.backward()` | Loss and backprop |
"""
)
st.caption(
    "Pick the device in the sidebar: every page runs its tensors and models there. "
    "Turn on *Show the code* to open the PyTorch behind each plot."
)
