"""Train an SSA model: ``python train.py --preset demo --dataset synthetic --out runs/demo``.

See ``python train.py --help`` and :mod:`ssa.training`. For several processes:
``torchrun --nproc_per_node 2 train.py ...``.
"""

import sys

from ssa.checkpoint import CheckpointError
from ssa.data.readers import DatasetError
from ssa.training import main

if __name__ == "__main__":
    try:
        main()
    except (CheckpointError, DatasetError) as err:  # a bad file or folder: its name and the problem
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)
