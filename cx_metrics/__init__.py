"""CX analytics library: ingest, store and measure customer experience data.

This package never imports streamlit; the dashboard in ``dashboard.py``/``views/`` and the ``cx`` CLI are
thin layers over the functions here.
"""

__version__ = "0.1.0"
