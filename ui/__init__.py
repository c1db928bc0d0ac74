"""Streamlit helpers shared by the pages: small `*_ui()` functions that return plain values.

Imported before any page touches torch (app.py imports it first), so it also sets what the
web server's own torch needs before its thread pool starts: idle OpenMP threads that sleep
instead of spinning, as every training worker's do (core.engine.runs.backends.WORKER_ENV).
Spinning, they held a core the workers and the browser needed, and the step timing the run
estimates rely on (done here, in the server) came out 2-4 times slower than the same steps in
a worker.
"""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
