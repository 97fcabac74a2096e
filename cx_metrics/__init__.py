"""CX analytics library: ingest, store and measure customer experience data.

This package never imports streamlit; the dashboard in ``dashboard.py``/``views/`` and the ``cx`` CLI are
thin layers over the functions here.
"""

from cx_metrics.allocator import use_preferred_pool

__version__ = "0.1.0"

use_preferred_pool()  # Arrow's buffers not from mimalloc: every import step is faster (cx_metrics.allocator)
