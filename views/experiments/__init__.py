"""The Experiments page: page.py is the script; sets (one tab per experiment), launch (queue
and watch a run set) and tools (test set, data pipelines) its sections."""
