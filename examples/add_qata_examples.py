"""Copy six real QaTa-COV19 test X-rays into the demo's examples, with their ground truth.

    python examples/add_qata_examples.py --data-root /path/to/SGSeg/data/QaTa [--out examples]

Reads the SGSeg repository's 224-px copy of QaTa-COV19 (``images/test/images/<name>.png``,
``images/test/masks/mask_<name>.png``, ``prompts/annotation.json``). The data set itself is
never part of this repository; only the six chosen images and masks are copied.

**Sides.** The LViT captions name sides as the *viewer* sees them (for 97 % of the one-side
captions the mask lies on the image half named); the demo model reads the *patient's* sides
(radiological convention: the patient's left is the image's right half). Every text here is
the caption with its sides swapped (:func:`ssa.spatial.swap_sides`), first letter capitalised.

**Which cases** (deterministic: annotation rows sorted by key, the first that qualifies wins):

* every case: lesion area 4-20 % of the image (clearly visible, not a white-out), and one
  patient (``sub-sNNNNN``) per example, so the six are six different people;
* unilateral report (one for the patient's left, one for the right): the caption names one
  side and >= 98 % of the mask lies on that side of the patient;
* bilateral report (two): the caption names both sides and each side holds >= 30 % of the mask;
* referring (one naming the left, one the right), built from a bilateral X-ray whose caption
  names the lower zone only, on both sides ("lower right lung and lower left lung"), with
  >= 35 % of the mask on each side and no lesion pixel in the central band (40-60 % of the
  width), so the split at the centre column cuts no lesion. Text: "Unilateral pulmonary
  infection, one infected area, lower <side> lung."; mask: the ground truth on that side of
  the patient only; Compare prompts: lower left vs lower right.

Entries are written first in ``examples.json`` (replacing earlier ``qata_*`` entries; the
other entries are kept after them, in their order) with ``source`` and ``credit``;
``CREDITS.md`` is rewritten to match, keeping the sections other scripts own there (between
``<!-- begin NAME -->`` and ``<!-- end NAME -->`` lines, e.g. ``examples/add_more_examples.py``'s)
as they are, before the synthetic CT section.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from ssa.spatial import parse_locations, side_columns, swap_sides  # noqa: E402

CONVENTION = "radiological"  # the demo model's; texts and masks are checked in it
AREA = (0.04, 0.20)  # lesion share of the image
CENTRAL_BAND = (0.40, 0.60)  # of the width: must be lesion-free for a referring split
MAX_BYTES = 60_000
PREFIX = "qata_"
CREDIT = (
    "QaTa-COV19 (Degerli et al., \"COVID-19 infection map generation and detection from chest "
    "X-ray images\", Health Inf Sci Syst 9:15, 2021; Qatar University and Tampere University; "
    "Kaggle aysendegerli/qatacov19-dataset); caption from LViT (Li et al., IEEE TMI 2023); "
    "224-px copy from the SGSeg repository (MIT); sides converted to the patient's."
)
TITLE = "Real X-ray (QaTa-COV19 test)"


@dataclass
class Case:
    """One annotated test X-ray: key (file stem), caption as published, and its mask."""

    key: str
    caption: str
    infection: int  # 1 unilateral, 2 bilateral (the annotation's pulmonary_infection)
    image_path: Path
    mask: np.ndarray  # bool [224, 224]

    @property
    def subject(self) -> str:
        return self.key.split("_")[0]

    @property
    def areas(self) -> str:
        """"six areas" from "..., six infected areas, ..." (the caption's second clause)."""
        return self.caption.split(",")[1].strip().replace("infected ", "")

    @property
    def text(self) -> str:
        """The caption in the patient's sides, first letter capitalised."""
        text = swap_sides(self.caption)
        return text[:1].upper() + text[1:]

    def zones(self) -> dict[str, frozenset[str]]:
        """Patient side -> zones named on it."""
        return {r.side: r.zones for r in parse_locations(self.text)}

    def share(self, side: str) -> float:
        """Share of the lesion pixels on the patient's ``side``."""
        total = int(self.mask.sum())
        return int(self.mask[:, side_columns(side, self.mask.shape[1], CONVENTION)].sum()) / max(total, 1)


def _find(folder: Path, name: str) -> Path:
    """``folder / name``, else the file whose name matches it ignoring case (the published
    copy has upper- and lower-case twins; the annotation names the lower-case one)."""
    exact = folder / name
    if exact.is_file():
        return exact
    for p in folder.iterdir():
        if p.name.lower() == name.lower():
            return p
    raise FileNotFoundError(f"{exact}: not found (nor a case variant)")


def load_cases(data_root: Path) -> list[Case]:
    """The test split's rows with a lesion area in ``AREA``, sorted by key."""
    rows = json.loads((data_root / "prompts" / "annotation.json").read_text())["test"]
    images, masks = data_root / "images" / "test" / "images", data_root / "images" / "test" / "masks"
    cases = []
    for row in sorted(rows, key=lambda r: r["image_path"]):
        mask_name = row["image_path"]
        mask = cv2.imread(str(_find(masks, mask_name)), cv2.IMREAD_GRAYSCALE) > 127
        if not AREA[0] <= mask.mean() <= AREA[1]:
            continue
        key = mask_name.removeprefix("mask_").removesuffix(".png")
        cases.append(Case(key, row["caption"], int(row["pulmonary_infection"]),
                          _find(images, f"{key}.png"), mask))
    return cases


# -- the rules -----------------------------------------------------------------------------------


def unilateral(side: str) -> Callable[[Case], bool]:
    def rule(c: Case) -> bool:
        return c.infection == 1 and set(c.zones()) == {side} and c.share(side) >= 0.98
    return rule


def bilateral_report(c: Case) -> bool:
    return (c.infection == 2 and set(c.zones()) == {"left", "right"}
            and min(c.share("left"), c.share("right")) >= 0.30)


def referring_source(c: Case) -> bool:
    w = c.mask.shape[1]
    band = c.mask[:, round(CENTRAL_BAND[0] * w):round(CENTRAL_BAND[1] * w)]
    lower_only = c.zones() == {"left": frozenset({"lower"}), "right": frozenset({"lower"})}
    return (c.infection == 2 and lower_only and not band.any()
            and min(c.share("left"), c.share("right")) >= 0.35)


def lower_prompt(side: str) -> str:
    return f"Unilateral pulmonary infection, one infected area, lower {side} lung."


def side_only(mask: np.ndarray, side: str) -> np.ndarray:
    """bool [H, W] ``mask`` with only the patient's ``side`` kept (radiological columns)."""
    out = np.zeros_like(mask)
    cols = side_columns(side, mask.shape[1], CONVENTION)
    out[:, cols] = mask[:, cols]
    return out


@dataclass
class Recipe:
    stem: str
    title: str  # after "Real X-ray (QaTa-COV19 test) · "; "{areas}": the caption's count
    rule: Callable[[Case], bool]
    side: str | None = None  # referring: the side the text names


RECIPES = [
    Recipe("referring_left", "referring: patient's left", referring_source, "left"),
    Recipe("referring_right", "referring: patient's right", referring_source, "right"),
    Recipe("unilateral_left", "one side: patient's left", unilateral("left")),
    Recipe("unilateral_right", "one side: patient's right", unilateral("right")),
    Recipe("bilateral_1", "bilateral report, {areas}", bilateral_report),
    Recipe("bilateral_2", "bilateral report, {areas}", bilateral_report),
]


def choose(cases: list[Case]) -> list[tuple[Recipe, Case]]:
    """Each recipe's first qualifying case, in recipe order, one patient per example."""
    used: set[str] = set()
    chosen = []
    for recipe in RECIPES:
        case = next((c for c in cases if c.subject not in used and recipe.rule(c)), None)
        if case is None:
            raise RuntimeError(f"no test case satisfies the rule for {recipe.stem}")
        used.add(case.subject)
        chosen.append((recipe, case))
    return chosen


# -- writing ---------------------------------------------------------------------------------------


def write_png(path: Path, image: np.ndarray) -> None:
    if not cv2.imwrite(str(path), image, [cv2.IMWRITE_PNG_COMPRESSION, 9]):
        raise OSError(f"{path}: could not write")
    if path.stat().st_size > MAX_BYTES:
        raise ValueError(f"{path}: {path.stat().st_size} bytes, over {MAX_BYTES}")


def entry(recipe: Recipe, case: Case) -> tuple[dict, np.ndarray]:
    """The examples.json entry and the mask (bool [H, W]) for one chosen case."""
    name = f"{PREFIX}{recipe.stem}.png"
    source = f"QaTa-COV19 test split, {case.key}.png; LViT caption: \"{case.caption}\" (viewer's sides)"
    if recipe.side is None:
        text, compare, mask = case.text, [], case.mask
    else:
        text, mask = lower_prompt(recipe.side), side_only(case.mask, recipe.side)
        compare = [lower_prompt("left"), lower_prompt("right")]
        source += f"; text names one side, mask = the ground truth on the patient's {recipe.side} only"
    return {"image": name, "text": text, "modality": "xray", "title": f"{TITLE} · {recipe.title.format(areas=case.areas)}",
            "compare": compare, "mask": f"masks/{name}", "source": source, "credit": CREDIT}, mask


FOREIGN_SECTION = re.compile(r"^<!-- begin (\S+) -->\n.*?^<!-- end \1 -->$", re.M | re.S)


def credits_markdown(entries: list[dict], previous: str = "") -> str:
    """examples/CREDITS.md: where each example file comes from. The sections of ``previous``
    (the file as it was) that other scripts own, between ``<!-- begin NAME -->`` and
    ``<!-- end NAME -->`` lines, are kept as they are, before the synthetic CT section."""
    lines = ["# Credits for the example images", "",
             "## Real chest X-rays (`qata_*.png`, `masks/qata_*.png`)", "",
             f"{CREDIT}", "",
             "These images and masks are a few files of the QaTa-COV19 test split, copied by "
             "`examples/add_qata_examples.py` as demo examples only. **The QaTa-COV19 dataset's own "
             "terms of use apply to them** (see its Kaggle page); they are not covered by this "
             "repository's licence. Texts name the patient's sides (the published captions name the "
             "viewer's); in the referring cases the text names one side and the mask is the ground "
             "truth on that side of the patient only.", "",
             "| File | Source | Credit |", "|---|---|---|"]
    for e in entries:
        if e["image"].startswith(PREFIX):
            source = e["source"].replace("|", "\\|")
            lines.append(f"| `{e['image']}`, `{e['mask']}` | {source} | {e['credit']} |")
    for kept in FOREIGN_SECTION.finditer(previous):
        lines += ["", kept.group(0)]
    lines += ["", "## Synthetic CT slices (`ct_*.png`, `masks/ct_*.png`)", "",
              "Rendered by `examples/make_examples.py` from this repository's synthetic generator; "
              "no patient data.", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Copy six real QaTa-COV19 test X-rays into the examples.")
    p.add_argument("--data-root", type=Path, required=True, help="SGSeg's data/QaTa folder")
    p.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    args = p.parse_args(argv)
    (args.out / "masks").mkdir(parents=True, exist_ok=True)
    new = []
    for recipe, case in choose(load_cases(args.data_root)):
        e, mask = entry(recipe, case)
        gray = cv2.imread(str(case.image_path), cv2.IMREAD_GRAYSCALE)
        write_png(args.out / e["image"], gray)
        write_png(args.out / e["mask"], np.where(mask, 255, 0).astype(np.uint8))
        new.append(e)
        print(f"{e['image']}  {case.key}  {e['text']}")
    index = args.out / "examples.json"
    old = json.loads(index.read_text()) if index.is_file() else []
    entries = new + [e for e in old if not str(e.get("image", "")).startswith(PREFIX)]
    index.write_text(json.dumps(entries, indent=2, ensure_ascii=False) + "\n")
    credits = args.out / "CREDITS.md"
    credits.write_text(credits_markdown(entries, credits.read_text() if credits.is_file() else ""))
    print(f"wrote {len(new)} real examples first in {index} ({len(entries)} in all) and CREDITS.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
