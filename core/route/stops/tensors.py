"""The route's first stops: why deep learning needs data, and tensors as views over a storage."""

from __future__ import annotations

from core.engine.learning.data import IMAGE_SIZE, TRAIN_SIZE
from core.route import solve
from core.route.questions import Question, Stop

# The Tensors page's x = points, shown as itself: each stop shows the view that answers its
# question (x[1], x.t(), float64) only once the learner has answered. Each names its tab, so
# a stop opened from another one's tab still lands where its words point.
_POINTS = {"fill": "values", "values": solve.POINTS_TEXT, "expr": "x", "dtype": "float32"}
_POINTS_PAGE = {"tab": "Views over storage", **_POINTS}


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
        "storage, row after row: the strip under the cards. Once you answer, the page shows "
        "`x[1]`, the second point, with its own card.",
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
        _POINTS_PAGE,
        reveal={"expr": "x[1]"},
        hides=("tensor_lines",),  # the chapter's lines print second.storage_offset()
    ),
    Stop(
        "stride",
        "Transposing changes the stride, not the storage",
        "tensors",
        "`x.t()` swaps the two dimensions. `x`'s card shows its stride: how many storage "
        "places one step along each dimension moves. Once you answer, the page shows "
        "`x.t()`'s card: the same storage, a new stride.",
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
        reveal={"expr": "x.t()"},
    ),
    Stop(
        "view",
        "View or copy",
        "tensors",
        "Every card says whether its tensor still reads `x`'s storage. Once you answer, the "
        "page shows `x.t()`'s card; then try `x.t().contiguous()` in the box: that one has "
        "to copy.",
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
        reveal={"expr": "x.t()"},
    ),
    Stop(
        "dtype",
        "dtypes: how many bytes a number takes",
        "tensors",
        "The dtypes tab's table lists each dtype's size per element. Once you answer, the "
        "page switches `x` to float64: watch the bytes on `x`'s card change while the size, "
        "stride and offset stay.",
        Question(
            "`points.to(torch.float64)`: how many bytes is its storage "
            "(`.untyped_storage().nbytes()`)?",
            solve.float64_bytes,
            lambda n: f"{n} bytes: six numbers of 8 bytes each. float32 would take half.",
            "A float64 takes 8 bytes; count the numbers.",
            placeholder="a whole number",
        ),
        {"tab": "dtypes", **_POINTS},
        reveal={"dtype": "float64"},
        hides=("dtype_memory",),  # the dtype table's "memory of x" column
    ),
)
