"""Train an SSA model: ``python train.py --preset demo --dataset synthetic --out runs/demo``.

See ``python train.py --help`` and :mod:`ssa.training` (also installed as ``ssa-train``). For
several processes: ``torchrun --nproc_per_node 2 train.py ...``.
"""

import sys

from ssa.training import cli

if __name__ == "__main__":
    sys.exit(cli())
