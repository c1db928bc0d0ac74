"""What the browser tests do to the app, each step waiting for the state it needs: never a
fixed sleep, never a retry.

A widget change does not mark the app as running at once: Streamlit's frontend sends the new
widget state on its next tick and shows `data-test-script-state='running'` only when the
server says the run has started. Right after an action the app still reads 'notRunning' from
the run before, so waiting for 'notRunning' alone can return before the rerun has begun, and
the next step then lands in the middle of it (a selectbox list closed under the mouse, a chart
redrawn under a click). So the page counts the runs it has seen start (`RUN_COUNTER_JS`, an
init script added by the `page` fixture) and `rerun` waits for one that began after the action,
then for the app to be idle again.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from playwright.sync_api import BrowserContext, Locator, Page, expect

SETTLED = "[data-testid='stApp'][data-test-script-state='notRunning']"
RUN_MS = 60_000  # one script run on the shared test machine: slow, but it does end

# Counts the app's script runs as they start: every change of stApp's script state into
# 'running', rebuilt from each batch of attribute records (the value after a record is the next
# record's old value, or the current one after the last record).
RUN_COUNTER_JS = """
(() => {
    if (window.__scriptRunsStarted !== undefined) return;
    window.__scriptRunsStarted = 0;
    const ATTR = 'data-test-script-state';
    new MutationObserver((records) => {
        records.forEach((record, i) => {
            const next = i + 1 < records.length
                ? records[i + 1].oldValue
                : record.target.getAttribute(ATTR);
            if (next === 'running' && record.oldValue !== 'running') {
                window.__scriptRunsStarted += 1;
            }
        });
    }).observe(document, {
        subtree: true, attributes: true, attributeFilter: [ATTR], attributeOldValue: true,
    });
})();
"""


def track_script_runs(context: BrowserContext) -> None:
    """Count the script runs in every page of `context` (needed by `rerun`)."""
    context.add_init_script(RUN_COUNTER_JS)


def wait_for_app(page: Page, timeout: float = RUN_MS) -> None:
    """Wait until the script is not running. After a fresh load this is the first run's end
    (the state reads 'initial' until then); after an action use `rerun` instead."""
    page.wait_for_selector(SETTLED, timeout=timeout)


def script_runs_started(page: Page) -> int:
    return page.evaluate("window.__scriptRunsStarted")


@contextmanager
def rerun(page: Page, timeout: float = RUN_MS) -> Iterator[None]:
    """Around an action that makes the server run the script again: act on an idle app, then
    wait for a run that started after the action, and for the app to be idle again."""
    wait_for_app(page, timeout)
    before = script_runs_started(page)
    yield
    page.wait_for_function(
        "before => window.__scriptRunsStarted > before", arg=before, timeout=timeout
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
    """Pick `option` in the selectbox labelled `label` and wait for the run. The list opens
    on an idle app, so no rerun can close it under the mouse."""
    with rerun(page, timeout):
        page.get_by_label(label, exact=True).click()
        page.get_by_role("option", name=option, exact=True).click()


def page_title(page: Page) -> Locator:
    """The page's title (its first h1)."""
    return page.locator("h1").first


def expect_no_exception(page: Page) -> None:
    """No traceback anywhere on the page."""
    expect(page.get_by_test_id("stException")).to_have_count(0)
