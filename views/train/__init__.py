"""The Train page: page.py is the script; form, start, live, run_list and inspect its sections.

Every widget and session key of the page starts with KEY_PREFIX.
"""

KEY_PREFIX = "training_"

# The page's three parts, each a tab of which only the open one runs.
SECTIONS = ("Configure and train", "Compare runs", "Look inside a finished run")
SECTION_KEY = KEY_PREFIX + "section"
INSPECT_SECTION = SECTIONS[2]  # where links to a run's insides open the page
