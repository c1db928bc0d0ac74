"""What the browser tests do to the app, each step waiting for the state it needs: never a
fixed sleep, never a retry.

Two things used to let a step land in the middle of the one before, and both are waited for:

- A widget change does not mark the app as running at once: Streamlit's frontend sends the
  new widget state on its next tick and shows `data-test-script-state='running'` only once the
  server says the run has started (a page watching that attribute for 'running' even missed
  some short runs under load). Right after an action the app still reads 'notRunning' from the
  run before, so waiting for 'notRunning' alone can return before the rerun has begun. So
  every page counts the script runs the server reports finished, off its websocket
  (`SCRIPT_RUNS_JS`, an init script added by the `page` fixture), and `rerun` waits for one
  more than before the action.
- When a run has ended, its charts, tables and components can still be skeletons while their
  code loads in the browser (seconds on a busy machine): the first chart drawn need not be the
  first on the page, and the page moves as they appear (the optimizers test clicked the loss
  chart, drawn before the contour plot above it). So `wait_for_app` waits for 'notRunning'
  with no skeleton left.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

# The script is not running, and no element is still a skeleton: Streamlit draws a placeholder
# (stSkeleton) while the code of a chart, table or component loads in the browser, which can
# take seconds after the run has ended; charts that appear then move the page under the mouse.
SETTLED = (
    "[data-testid='stApp'][data-test-script-state='notRunning']"
    ":not(:has([data-testid='stSkeleton']))"
)
ACT_MS = 30_000  # how long an action or an assertion waits for the state it needs
SCREEN_PX = 1000  # the `page` fixture's viewport height
RUN_MS = 60_000  # one script run on the shared test machine: slow, but it does end

# The status of the `script_finished` field (6, a varint) of one ForwardMsg, or null: a reader
# of the message's top-level protobuf fields, shared with benchmarks/class_load.py.
FINISHED_STATUS_JS = """
    const finishedStatus = (bytes) => {  // the top-level fields of one ForwardMsg
        let i = 0;
        const varint = () => {
            let value = 0, scale = 1, byte;
            do {
                byte = bytes[i++];
                value += (byte & 0x7f) * scale;
                scale *= 128;
            } while (byte & 0x80 && i < bytes.length);
            return value;
        };
        while (i < bytes.length) {
            const tag = varint(), field = Math.floor(tag / 8), wire = tag % 8;
            if (wire === 0) {
                const value = varint();
                if (field === 6) return value;  // script_finished
            } else if (wire === 2) {
                const length = varint();  // not `i += varint()`: that adds to the old i
                i += length;
            } else if (wire === 1) i += 8;
            else if (wire === 5) i += 4;
            else return null;
        }
        return null;
    };
"""

# Counts the script runs (whole or fragment) that the server reports finished, off the app's
# websocket (each message is one ForwardMsg); FINISHED_EARLY_FOR_RERUN (2) is a run cut short
# by the next one, not counted.
SCRIPT_RUNS_JS = (
    """
(() => {
    if (window.__scriptRunsFinished !== undefined) return;
    window.__scriptRunsFinished = 0;
    const FINISHED_EARLY_FOR_RERUN = 2;
"""
    + FINISHED_STATUS_JS
    + """    const Native = window.WebSocket;
    window.WebSocket = class extends Native {
        constructor(...args) {
            super(...args);
            this.addEventListener('message', (event) => {
                if (!(event.data instanceof ArrayBuffer)) return;
                const status = finishedStatus(new Uint8Array(event.data));
                if (status !== null && status !== FINISHED_EARLY_FOR_RERUN) {
                    window.__scriptRunsFinished += 1;
                }
            });
        }
    };
})();
"""
)


def track_script_runs(context: BrowserContext) -> None:
    """Count the finished script runs in every page of `context` (needed by `rerun`)."""
    context.add_init_script(SCRIPT_RUNS_JS)


@contextmanager
def browser_window(browser: Browser, width: int = 1400, height: int = 1000) -> Iterator[Page]:
    """A page in a browser context of its own (another person, or a smaller screen), set up
    as the `page` fixture's: script runs counted, actions as patient. Closed after the block."""
    context = browser.new_context(viewport={"width": width, "height": height})
    track_script_runs(context)  # helpers.rerun waits on the runs this counts
    try:
        page = context.new_page()
        page.set_default_timeout(ACT_MS)
        yield page
    finally:
        context.close()


def wait_for_app(page: Page, timeout: float = RUN_MS) -> None:
    """Wait until the script is not running and every element is drawn. After a fresh load
    this is the first run's end (the state reads 'initial' until then); after an action use
    `rerun` instead."""
    page.wait_for_selector(SETTLED, timeout=timeout)


def script_runs_finished(page: Page) -> int:
    return page.evaluate("window.__scriptRunsFinished")


@contextmanager
def rerun(page: Page, timeout: float = RUN_MS) -> Iterator[None]:
    """Around an action that makes the server run the script (or a fragment) again: act on an
    idle app, then wait for one more finished run than before, and for the app to be idle.
    On a page whose fragment polls, that run may be a poll: wait on what it shows as well."""
    wait_for_app(page, timeout)
    before = script_runs_finished(page)
    yield
    page.wait_for_function(
        "before => window.__scriptRunsFinished > before", arg=before, timeout=timeout
    )
    wait_for_app(page, timeout)


def open_app(page: Page, url: str, path: str = "", timeout: float = RUN_MS) -> None:
    """Load the app (or one page of it by its URL path) and wait for its first run to end."""
    page.goto(f"{url}/{path}" if path else url)
    wait_for_app(page, timeout)


def reload(page: Page, timeout: float = RUN_MS) -> None:
    """Refresh the browser tab (a new session) and wait for its first run to end."""
    page.reload()
    wait_for_app(page, timeout)


def sidebar_link(page: Page, name: str) -> Locator:
    return page.get_by_test_id("stSidebarNav").get_by_role("link", name=name, exact=True)


def go_to(page: Page, link: str, timeout: float = RUN_MS) -> None:
    """Switch pages through the sidebar's link and wait for the new page's run to end."""
    click(page, sidebar_link(page, link), timeout)


def click(page: Page, target: Locator, timeout: float = RUN_MS) -> None:
    """Click something that reruns the script (a button, a checkbox, a tab with on_change,
    a chart with on_select) and wait for that run to end. Playwright clicks only once the
    target is attached, visible, stable and the one that would get the click."""
    with rerun(page, timeout):
        target.click()


def fill(page: Page, box: Locator, value: str, timeout: float = RUN_MS) -> None:
    """Type `value` into a text or number input, commit it with Enter and wait for the run."""
    with rerun(page, timeout):
        box.fill(value)
        box.press("Enter")


def choose(page: Page, label: str, option: str, timeout: float = RUN_MS) -> None:
    """Pick `option` in the selectbox labelled `label` and wait for the run, by keyboard as a
    person can: focus the box, type the option's name (the list opens filtered to it), Enter.
    A mouse click on the box can land while its expander or a chart above still moves it,
    and the list then never opens (seen in CI on the Experiments page)."""
    box = page.get_by_label(label, exact=True)
    with rerun(page, timeout):
        box.focus()
        box.press_sequentially(option)
        expect(page.get_by_role("option", name=option, exact=True)).to_be_visible()
        box.press("Enter")


def small_run_form(page: Page, url: str, epochs: int = 3) -> None:
    """Open the Train page and set it to a short run (4,000 training images, 500 test images,
    `epochs` epochs): what the server-restart tests train."""
    open_app(page, url)
    go_to(page, "Train")
    fill(page, page.get_by_role("spinbutton", name="Training images (0 = all 60,000)"), "4000")
    fill(page, page.get_by_role("spinbutton", name="Test images (0 = all 10,000)"), "500")
    page.get_by_role("tab", name="Optimizer and batches").click()
    fill(page, page.get_by_role("spinbutton", name="Epochs"), str(epochs))


def page_title(page: Page) -> Locator:
    """The page's title (its first h1)."""
    return page.locator("h1").first


def expect_no_exception(page: Page) -> None:
    """No traceback anywhere on the page."""
    expect(page.get_by_test_id("stException")).to_have_count(0)


def chart_state_js(key: str) -> str:
    """JS of a function that returns the live chart's state under the element keyed `key`,
    found through the component's shadow root (document.querySelector does not look inside
    one; Playwright's locators do)."""
    return (
        "() => { const walk = (n) => n && (n.torchlabChart ? n.torchlabChart : "
        "[...(n.children || []), ...(n.shadowRoot ? [n.shadowRoot] : [])].map(walk)"
        f".find(Boolean)); return walk(document.querySelector('.st-key-{key}')); }}"
    )


def main_height(page: Page) -> int:
    """How tall the page's main column is, in px (the part a person scrolls through)."""
    return page.get_by_test_id("stMainBlockContainer").evaluate(
        "el => Math.round(el.getBoundingClientRect().height)"
    )


def chips_not_whole(page: Page, label: str) -> list[str]:
    """The chips of the multiselect labelled `label` not shown whole: a label cut short (its
    text wider than the span that shows it, which ends it with "…"), or a chip outside the box
    that shows the chips (one row that scrolls sideways hides the last) or outside the main
    column's content."""
    main = page.get_by_test_id("stMainBlockContainer").evaluate(
        """el => { const r = el.getBoundingClientRect(), s = getComputedStyle(el);
        return {left: r.left + parseFloat(s.paddingLeft),
                right: r.right - parseFloat(s.paddingRight)}; }"""
    )
    picker = page.get_by_test_id("stMultiSelect").filter(has_text=label)
    shows = picker.get_by_test_id("stMultiSelectTagsContainer").bounding_box()
    left = max(main["left"], shows["x"]) - 0.5  # half a pixel of sub-pixel rounding
    right = min(main["right"], shows["x"] + shows["width"]) + 0.5
    bad = []
    for chip in picker.locator("[data-tag]").all():
        label = chip.locator("span[title]").evaluate(
            "el => ({text: el.title, needs: el.scrollWidth, shows: el.clientWidth})"
        )
        box = chip.bounding_box()
        inside = left <= box["x"] and box["x"] + box["width"] <= right
        if label["needs"] > label["shows"] or not inside:
            bad.append(
                f"{label['text']}: needs {label['needs']} px, shows {label['shows']} px; "
                f"chip at x {box['x']:.0f} to {box['x'] + box['width']:.0f}, "
                f"room from {left:.0f} to {right:.0f}"
            )
    return bad
