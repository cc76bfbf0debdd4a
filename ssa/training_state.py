"""What a training checkpoint holds besides the weights, and the one place that reads it.

A run's ``checkpoints/step-N/`` holds the release files (``config.json`` +
``model.safetensors``, :mod:`ssa.checkpoint`) and ``training_state.pt``: the step, the
optimiser and scheduler state, torch's RNG and the early-stopping record. The data order needs
no state of its own: ``StepSampler`` derives every batch from (seed, step).
"""

from __future__ import annotations

import io
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import torch

from ssa.checkpoint import CheckpointError
from ssa.files import atomic_write_bytes

STATE_NAME = "training_state.pt"


@dataclass
class TrainingState:
    """The resumable state of a run after ``step`` optimiser steps."""

    step: int
    best_dice: float  # best validation Dice so far (-1 before the first evaluation)
    stale: int  # evaluations since the last better one (``--patience`` counts these)
    optimizer: dict[str, Any]
    scheduler: dict[str, Any]
    torch_rng: torch.Tensor

    @classmethod
    def capture(cls, step: int, best_dice: float, stale: int, optimizer: torch.optim.Optimizer,
                scheduler: torch.optim.lr_scheduler.LRScheduler) -> TrainingState:
        """The state of a live run (the optimiser and scheduler are read, not copied)."""
        return cls(step=step, best_dice=best_dice, stale=stale, optimizer=optimizer.state_dict(),
                   scheduler=scheduler.state_dict(), torch_rng=torch.get_rng_state())

    def restore(self, optimizer: torch.optim.Optimizer, scheduler: torch.optim.lr_scheduler.LRScheduler) -> None:
        """Put the optimiser, the scheduler and torch's RNG back where they were."""
        optimizer.load_state_dict(self.optimizer)
        scheduler.load_state_dict(self.scheduler)
        torch.set_rng_state(self.torch_rng)

    def save(self, directory: Path) -> Path:
        """Write ``directory/training_state.pt`` atomically; returns its path."""
        buf = io.BytesIO()
        torch.save(asdict(self), buf)
        return atomic_write_bytes(Path(directory) / STATE_NAME, buf.getvalue())

    @classmethod
    def load(cls, directory: Path) -> TrainingState:
        """Read ``directory/training_state.pt``.

        ``weights_only=True``: tensors and plain containers only, never arbitrary pickled code.
        A missing, truncated or foreign file is a :class:`CheckpointError` naming it.
        """
        file = Path(directory) / STATE_NAME
        try:
            data = torch.load(file, map_location="cpu", weights_only=True)
        except FileNotFoundError as err:
            raise CheckpointError(f"{file}: missing") from err
        except Exception as err:  # torch raises RuntimeError, UnpicklingError, EOFError, ... by damage
            raise CheckpointError(f"{file}: not a readable training state ({type(err).__name__}: {err})") from err
        need = {f.name for f in fields(cls)}
        if not isinstance(data, dict) or not need <= set(data):
            missing = sorted(need - set(data)) if isinstance(data, dict) else sorted(need)
            raise CheckpointError(f"{file}: not a training state (missing {', '.join(missing)})")
        return cls(step=int(data["step"]), best_dice=float(data["best_dice"]), stale=int(data["stale"]),
                   optimizer=data["optimizer"], scheduler=data["scheduler"], torch_rng=data["torch_rng"])
