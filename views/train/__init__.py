"""The Train page: page.py is the script; form, start, live, run_list and inspect its sections.

Every widget and session key of the page starts with KEY_PREFIX.
"""

KEY_PREFIX = "training_"
