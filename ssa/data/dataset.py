"""Torch datasets over any source of cases: the real readers or the synthetic generator.

Items are dicts: ``image`` float32 ``[1, S, S]`` in [0, 1], ``mask`` float32 ``[1, S, S]``
in {0, 1}, ``text`` str, ``modality`` str. Keys are ``(index, seed)`` pairs (see
:class:`StepSampler`) so that augmentation is a pure function of the step: a resumed run
sees exactly the batches the uninterrupted run would have seen.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset, Sampler

from ssa.data.augment import AugmentConfig, augment
from ssa.data.readers import Sample, load_mask
from ssa.data.referring import restrict_mask
from ssa.imageio import read_image


@dataclass
class Case:
    image: np.ndarray  # float32 [H, W] in [0, 1]
    mask: np.ndarray  # bool [H, W]
    text: str
    modality: str
    key: str
    # Derived referring cases: where their mask was cut (fraction of the width), else None.
    midline: float | None = None


class SampleSource:
    """Cases from reader :class:`Sample` lists (files on disk)."""

    def __init__(self, samples: Sequence[Sample]) -> None:
        self.samples = list(samples)

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, i: int) -> Case:
        s = self.samples[i]
        image = read_image(s.image, modality=s.modality).pixels
        if s.mask is None:  # a negative case: nothing to find
            return Case(image, np.zeros(image.shape, bool), s.text, s.modality, s.key)
        mask = load_mask(s.mask)
        if s.keep_half is not None:  # a derived referring case (ssa.data.referring)
            mask = restrict_mask(mask, s.keep_half, s.midline if s.midline is not None else 0.5)
        if mask.shape != image.shape:
            mask = cv2.resize(mask.astype(np.uint8), image.shape[::-1], interpolation=cv2.INTER_NEAREST) > 0
        midline = (s.midline if s.midline is not None else 0.5) if s.keep_half is not None else None
        return Case(image, mask, s.text, s.modality, s.key, midline)


class SyntheticSource:
    """Cases from :class:`ssa.data.synthetic.SyntheticSet`."""

    def __init__(self, n: int, seed: int, modality: str, mode: str, size: int, convention: str) -> None:
        from ssa.data.synthetic import SyntheticSet

        self.set = SyntheticSet(n=n, seed=seed, modality=modality, mode=mode, size=size, convention=convention)

    def __len__(self) -> int:
        return len(self.set)

    def __getitem__(self, i: int) -> Case:
        c = self.set[i]
        return Case(c.image.astype(np.float32) / 255.0, c.mask.astype(bool), c.text, c.modality, f"synthetic-{i}")


class MixedSource:
    """Several sources in one index space, each with a fixed share of it.

    ``parts`` are ``(source, share)``; shares sum to 1 and ``length`` is the virtual size.
    Part k owns ``round(share_k * length)`` consecutive indices and serves them cyclically
    (index ``j`` of the part -> ``source[j % len(source)]``), so a seeded permutation of the
    whole index space gives each source its share of every epoch.
    """

    def __init__(self, parts: Sequence[tuple[object, float]], length: int) -> None:
        parts = [(src, float(share)) for src, share in parts if share > 0]
        if not parts or any(len(src) == 0 for src, _ in parts):
            raise ValueError("MixedSource needs non-empty sources with positive shares")
        total = sum(share for _, share in parts)
        self.sources = [src for src, _ in parts]
        self.bounds: list[int] = []  # exclusive end index of each part
        acc = 0.0
        for _, share in parts:
            acc += share / total
            self.bounds.append(round(acc * length))
        self.bounds[-1] = length

    def __len__(self) -> int:
        return self.bounds[-1]

    def __getitem__(self, i: int):
        if not 0 <= i < len(self):
            raise IndexError(i)
        start = 0
        for src, end in zip(self.sources, self.bounds):
            if i < end:
                return src[(i - start) % len(src)]
            start = end
        raise IndexError(i)


class SegmentationDataset(Dataset):
    """Resizes every case to ``size`` x ``size`` and optionally augments it."""

    def __init__(self, source, size: int, augment_cfg: AugmentConfig | None = None) -> None:
        self.source = source
        self.size = size
        self.augment_cfg = augment_cfg

    def __len__(self) -> int:
        return len(self.source)

    def __getitem__(self, key) -> dict:
        index, seed = key if isinstance(key, tuple) else (key, None)
        case = self.source[index]
        s = self.size
        image = case.image
        if image.shape != (s, s):
            image = cv2.resize(image, (s, s), interpolation=cv2.INTER_AREA)
        # Area-resize then threshold: thin lesions survive downscaling better than nearest.
        mask = case.mask
        if mask.shape != (s, s):
            mask = cv2.resize(mask.astype(np.float32), (s, s), interpolation=cv2.INTER_AREA) >= 0.5
        text, midline = case.text, case.midline
        if self.augment_cfg is not None and seed is not None:
            image, mask, text = augment(image, mask, text, np.random.default_rng(seed), self.augment_cfg)
            midline = None  # a flip or a shift moves it; only evaluation (never augmented) reads it
        return {
            "image": torch.from_numpy(np.ascontiguousarray(image, np.float32))[None],
            "mask": torch.from_numpy(np.ascontiguousarray(mask, np.float32))[None],
            "text": text,
            "modality": case.modality,
            "key": case.key,
            "midline": midline,
        }


def collate(items: list[dict]) -> dict:
    return {
        "image": torch.stack([it["image"] for it in items]),
        "mask": torch.stack([it["mask"] for it in items]),
        "text": [it["text"] for it in items],
        "modality": [it["modality"] for it in items],
        "key": [it["key"] for it in items],
        "midline": [it.get("midline") for it in items],
    }


class StepSampler(Sampler):
    """Yields ``(index, augmentation seed)`` for global steps ``start_step, start_step + 1, ...``.

    Sample position p = step * global_batch + rank * local_batch + j walks through one
    seeded permutation of the dataset per epoch. Everything is a function of (seed, p), so
    resuming at any step reproduces the same batches, on any number of workers.
    """

    def __init__(
        self, n: int, local_batch: int, seed: int, start_step: int = 0, total_steps: int | None = None,
        rank: int = 0, world: int = 1,
    ) -> None:
        if n <= 0:
            raise ValueError("the training set is empty")
        self.n, self.local_batch, self.seed = n, local_batch, seed
        self.start_step, self.total_steps, self.rank, self.world = start_step, total_steps, rank, world
        self._perms: dict[int, np.ndarray] = {}

    def _perm(self, epoch: int) -> np.ndarray:
        if epoch not in self._perms:
            self._perms = {epoch: np.random.default_rng([self.seed, epoch]).permutation(self.n)}
        return self._perms[epoch]

    def __iter__(self) -> Iterator[tuple[int, int]]:
        step = self.start_step
        global_batch = self.local_batch * self.world
        while self.total_steps is None or step < self.total_steps:
            for j in range(self.local_batch):
                p = step * global_batch + self.rank * self.local_batch + j
                epoch, offset = divmod(p, self.n)
                yield int(self._perm(epoch)[offset]), int(np.random.SeedSequence([self.seed, p]).generate_state(1)[0])
            step += 1

    def __len__(self) -> int:
        steps = (self.total_steps or 0) - self.start_step
        return max(0, steps) * self.local_batch
