"""Train an SSA model: ``python train.py --preset demo --dataset synthetic --out runs/demo``.

See ``python train.py --help`` and :mod:`ssa.training`. For several processes:
``torchrun --nproc_per_node 2 train.py ...``.
"""

from ssa.training import main

if __name__ == "__main__":
    main()
