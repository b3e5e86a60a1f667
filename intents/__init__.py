"""Intent lists (YAML, edited by admins) and the matcher that reads them."""

import os
from pathlib import Path

# One BLAS thread unless the user says otherwise, set before numpy loads: the matcher's products are
# small, training spreads its own work over the cores, and OpenBLAS's idle workers spin-wait after
# every call (measured: training the shipped lists took 9.3 s wall and 17.8 s CPU with them, 7.1 s
# and 9.5 s without).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

LISTS_DIR = Path(__file__).parent / "lists"
