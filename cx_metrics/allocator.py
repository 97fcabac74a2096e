"""Which allocator Arrow's buffers come from: the C library's (``malloc``), not the wheel's default mimalloc.

Every import step allocates and frees hundreds of MB of Arrow buffers (parsed cells, cleaned cells, the
normalised rows, their hand-over to DuckDB). mimalloc gives freed pages back to the operating system shortly after
they are freed, so the next step's buffers of the same size are faulted in again, page by page. Measured on this
project's benchmark machine (bench/RESULTS.md, Import; 2 cores, load 1.3), one import of the 1M-row files, same
code, only the pool changed:

* Kaggle layout (447 MB, long multi-line texts): mimalloc 12.3 s wall / 18.2 s CPU; jemalloc 9.2 / 14.2;
  malloc 8.6 / 13.1 (the parse alone 3.1 -> 2.0 s, cutting the normalised rows into whole row groups 1.7 -> 0.2 s).
* Generator's Zendesk file (199 MB): mimalloc 4.8 s wall / 7.8 s CPU; malloc 3.2 / 5.1.

Peak memory is the same within 5%. A pool chosen by the user (``ARROW_DEFAULT_MEMORY_POOL``) is left alone.
"""

from __future__ import annotations

import os

import pyarrow as pa

#: the environment variable with which Arrow lets a user choose its pool (honoured as it is)
POOL_VARIABLE = "ARROW_DEFAULT_MEMORY_POOL"


def use_malloc() -> None:
    """Make the C library's allocator Arrow's default pool for this process, unless the user chose one."""
    if os.environ.get(POOL_VARIABLE):
        return
    pa.set_memory_pool(pa.system_memory_pool())
