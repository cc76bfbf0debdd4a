"""The model builds for every preset, trains, and each ablation switch changes it."""

import pytest
import torch

import ssa
from ssa.checkpoint import build_model
from ssa.config import MINILM
from ssa.losses import ssa_loss

TEXTS = [
    "Unilateral pulmonary infection, one infected area, lower left lung.",
    "Bilateral pulmonary infection, two infected areas, upper left lung and lower right lung.",
]


def _batch(size: int, n: int = 2):
    g = torch.Generator().manual_seed(0)
    images = torch.rand(n, 1, size, size, generator=g)
    target = torch.zeros(n, 1, size, size)
    target[0, :, size // 2 :, size // 2 :] = 1  # lower image-right = lower patient-left
    target[1, :, : size // 3, size // 2 :] = 1
    return images, target


def test_tiny_forward_shapes(tiny_model):
    images, _ = _batch(64)
    out = tiny_model(images, TEXTS)
    assert out.logits.shape == (2, 1, 64, 64)
    assert out.guidance.shape == (2, 1, 16, 16)
    assert len(out.plans) == 2 and out.plans[0].shape[0] == 2
    for plan, (h, w) in zip(out.plans, out.plan_sizes):
        assert plan.shape[1] == h * w
        assert torch.isfinite(plan).all()


def test_stride_2_stage_refines_the_logits():
    # fine_dim > 0 adds C0 (stride 2) in front of C1..C4 and the decoder answers at stride 2:
    # a lesion a few pixels wide then spans several logits instead of one.
    model = ssa.create_model("tiny", fine_dim=8).eval()
    images, _ = _batch(64)
    features = model.encode_image(images)
    assert [f.shape[-1] for f in features] == [32, 16, 8, 4, 2]
    prompt = model.encode_prompts(TEXTS)
    raw, _ = model.decoder(features[1:], prompt.guidance, fine=features[0])
    assert raw.shape == (2, 1, 32, 32)
    assert model(images, TEXTS).logits.shape == (2, 1, 64, 64)
    # A config from before the stage (no fine_dim) still builds the stride-4 model.
    old = ssa.SSAConfig.from_dict({k: v for k, v in ssa.preset_config("tiny").to_dict().items() if k != "fine_dim"})
    assert old.fine_dim == 0 and build_model(old).fine_stem is None


def test_demo_forward_offline():
    model = ssa.create_model("demo").eval()
    assert model.config.image_size == 224
    with torch.no_grad():
        out = model(torch.rand(1, 1, 224, 224), TEXTS[:1], ["xray"])
    assert out.logits.shape == (1, 1, 224, 224)
    assert torch.isfinite(out.logits).all()


def test_paper_architecture_random_weights():
    # The paper preset's architecture (ConvNeXt-Tiny + 12-layer BERT) with random weights:
    # CXR-BERT's weights and vocabulary need the hub, so the MiniLM vocabulary stands in.
    model = ssa.create_model("paper", pretrained=False, text_weights=None, tokenizer=MINILM).eval()
    assert model.image_encoder.channels == (96, 192, 384, 768)
    with torch.no_grad():
        out = model(torch.rand(1, 3, 224, 224), TEXTS[1:], ["xray"])
    assert out.logits.shape == (1, 1, 224, 224)


def test_every_trainable_parameter_gets_a_finite_gradient():
    torch.manual_seed(0)
    model = ssa.create_model("tiny").train()
    images, target = _batch(64)
    loss = ssa_loss(model(images, TEXTS), target, model.config)["loss"]
    loss.backward()
    trainable = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    assert trainable
    for name, p in trainable:
        assert p.grad is not None, f"{name} received no gradient"
        assert torch.isfinite(p.grad).all(), f"{name} has a non-finite gradient"
    assert sum(int(p.grad.abs().sum() > 0) for _, p in trainable) == len(trainable)
    # The frozen text encoder is not trained.
    assert all(not p.requires_grad for p in model.text_encoder.parameters())


@pytest.mark.parametrize("switch", ["use_text", "use_ot", "use_guidance"])
def test_ablation_switch_changes_the_computation(switch):
    torch.manual_seed(0)
    full = ssa.create_model("tiny").eval()
    ablated = ssa.create_model("tiny", **{switch: False}).eval()
    # Same weights wherever the two share a parameter: differences come from the switch.
    shared = {k: v for k, v in full.state_dict().items() if k in ablated.state_dict()
              and ablated.state_dict()[k].shape == v.shape}
    ablated.load_state_dict(shared, strict=False)
    images, _ = _batch(64)
    with torch.no_grad():
        a = full(images, TEXTS).logits
        b = ablated(images, TEXTS).logits
    assert (a - b).abs().max() > 1e-4


@pytest.mark.parametrize("switch", [None, "use_text", "use_ot", "use_guidance"])
def test_model_trains_with_each_switch_off(switch):
    torch.manual_seed(0)
    overrides = {switch: False} if switch else {}
    model = ssa.create_model("tiny", **overrides).train()
    images, target = _batch(64)
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=3e-3)
    losses = []
    for _ in range(15):
        loss = ssa_loss(model(images, TEXTS), target, model.config)["loss"]
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert all(torch.isfinite(torch.tensor(losses)))
    assert losses[-1] < 0.8 * losses[0]


def test_empty_and_locationless_prompts_run(tiny_model):
    images, _ = _batch(64, 3)
    with torch.no_grad():
        out = tiny_model(images, ["", "pulmonary infection", "   "])
    assert torch.isfinite(out.logits).all()
    assert torch.all(out.guidance == 1)  # no location: no constraint


def test_guidance_follows_the_text(tiny_model):
    with torch.no_grad():
        prompt = tiny_model.encode_prompts(["lower left lung."], ["xray"])
    g = prompt.guidance[0, 0]
    # Radiological convention: the patient's left is the image's right half.
    assert g[:, g.shape[1] // 2 :].sum() > 50 * g[:, : g.shape[1] // 2].sum()


def test_bad_modality_is_refused(tiny_model):
    with pytest.raises(ValueError, match="modality"):
        tiny_model.encode_prompts(["x"], ["mri"])
