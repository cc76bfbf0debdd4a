"""Add the demo's negative examples and real CT slices, each with a reference mask and credit.

    python examples/add_more_examples.py --normals-root N --ct-root C \
        [--qata-example qata_unilateral_left.png] [--out examples]

Three kinds of entries, written to ``examples.json`` after the real X-rays (``qata_*``) and
before the synthetic CT slices (``ct_*``), in this order; earlier entries with these prefixes
are replaced, every other entry is kept in its place:

* ``wrongside_<side>_lesion.png`` (``<side>``: where the lesion is; ``left`` for the default)
  -- **wrong-side prompt**: a copy of the real QaTa-COV19 X-ray ``--qata-example`` (already in
  ``--out``, with its ``examples.json`` entry: run ``examples/add_qata_examples.py`` first). Its text must name one side of the patient and >= 98 % of
  its mask lie there, and at most 2 % on the other side. The new text names the *other* side,
  lower zone: "Unilateral pulmonary infection, one infected area, lower <other> lung."; the
  reference mask is empty (nothing on the side named); Compare: that text vs the same text
  naming the side with the lesion. Source and credit: those of the QaTa example; the entry's
  ``derived_from`` names it.
* ``normal_adult.png`` -- **healthy X-ray**: from the held-out *test* split of the adult
  normals (:func:`ssa.data.normals.read_normal_xrays` on ``--normals-root``, sorted by path),
  the first image whose 8-bit grey mean is 110-140 (mid-range exposure) and whose standard
  deviation is >= 50 (normal contrast), stored as 8-bit grayscale. Text: a bilateral report
  naming every zone; reference mask: empty (there is nothing to find); Compare: a question
  and a one-side prompt.
* ``realct_unilateral.png``, ``realct_bilateral.png`` -- **real CT slices** from the held-out
  *test* split of the Inf-Net COVID-19 CT segmentation set
  (``read_ct_set("covid_semiseg", --ct-root, "test")``: radiological orientation, texts
  derived from the masks), in the reader's order (sorted by key), each resized so its longer
  side is <= 288 px (image ``INTER_AREA``, mask ``INTER_NEAREST``, kept 0/255; at 320 px a
  slice's PNG can pass 60 kB), and judged on the resized mask. Both: lesion area 2-20 % of the
  image. Unilateral: the first whose text names one side with >= 95 % of the mask on it;
  Compare: its text vs the same text with the sides swapped (:func:`ssa.spatial.swap_sides`).
  Bilateral: the first (another slice) whose text names both sides with >= 30 % of the mask
  on each.

Every PNG is checked to be <= 60 kB before anything is written; image and mask files of this
script's earlier entries that it no longer writes are removed.

Sides are the patient's, radiological convention (the patient's left is the image's right
half). ``CREDITS.md`` gets this script's own section, between ``<!-- begin
add_more_examples.py -->`` and ``<!-- end add_more_examples.py -->``: replaced where present,
else put before the synthetic CT section; ``add_qata_examples.py`` keeps such sections when it
rewrites the file.
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

from ssa.data.ct_sets import read_ct_set  # noqa: E402
from ssa.data.normals import read_normal_xrays  # noqa: E402
from ssa.data.samples import Sample  # noqa: E402
from ssa.findings import side_fractions  # noqa: E402
from ssa.spatial import parse_locations, swap_sides  # noqa: E402

CONVENTION = "radiological"
MAX_BYTES = 60_000
PREFIXES = ("wrongside_", "normal_", "realct_")  # this script's entries, in this order
QATA_PREFIX = "qata_"
OPPOSITE = {"left": "right", "right": "left"}

# wrong-side prompt
WRONGSIDE_NAME = "wrongside_{side}_lesion.png"  # {side}: where the lesion is
SOURCE_SHARE = 0.98  # of the source mask on the side its text names
NAMED_SIDE_MAX = 0.02  # of the source mask allowed on the side the new text names

# healthy X-ray
NORMAL_NAME = "normal_adult.png"
NORMAL_MEAN = (110.0, 140.0)
NORMAL_MIN_STD = 50.0
NORMAL_TEXT = ("Bilateral pulmonary infection, upper middle lower left lung and upper middle lower "
               "right lung.")
NORMAL_COMPARE = ["Is there any infection?",
                  "Unilateral pulmonary infection, one infected area, lower left lung."]
NORMAL_TITLE = "Healthy X-ray (COVID-19 Radiography Database, normal) · should find nothing"
NORMAL_CREDIT = (
    "COVID-19 Radiography Database (Chowdhury et al., \"Can AI help in screening Viral and COVID-19 "
    "pneumonia?\", IEEE Access 8:132665, 2020; Rahman et al., arXiv:2012.02238, 2020; Qatar "
    "University, University of Dhaka and collaborators); normal images from the RSNA Pneumonia "
    "Detection Challenge (NIH ChestX-ray14, NIH Clinical Center); 224-px copy from GitHub "
    "rtchanon/Machine-Learning-for-COVID-19-detection-from-chest-X-RAYS; licence not stated by the "
    "database (NIH released ChestX-ray14 without use restrictions)."
)

# real CT
CT_SET = "covid_semiseg"
CT_MAX_SIDE = 288
CT_AREA = (0.02, 0.20)
CT_ONE_SIDE_SHARE = 0.95
CT_TWO_SIDE_SHARE = 0.30
CT_TITLE = "Real CT (COVID-19 CT segmentation, Inf-Net test)"
CT_CREDIT = (
    "COVID-19 CT segmentation dataset (medicalsegmentation.com; Italian Society of Medical and "
    "Interventional Radiology), 100 axial slices with infection masks, as distributed in Inf-Net's "
    "repository (Fan et al., \"Inf-Net: Automatic COVID-19 Lung Infection Segmentation from CT "
    "Images\", IEEE TMI 2020; DengPingFan/Inf-Net); non-commercial use only; slices transposed into "
    "the radiological display orientation; texts derived from the masks."
)
NUMBER = re.compile(r"^\w+ pulmonary \w+, (\w+) \w+ areas?,")

SECTION = "add_more_examples.py"
BEGIN, END = f"<!-- begin {SECTION} -->", f"<!-- end {SECTION} -->"
SYNTHETIC_HEADING = "## Synthetic CT slices"


def named_sides(text: str) -> set[str]:
    return {r.side for r in parse_locations(text)}


def lower_prompt(side: str) -> str:
    return f"Unilateral pulmonary infection, one infected area, lower {side} lung."


def encode_png(name: str, image: np.ndarray) -> bytes:
    """``image`` as PNG bytes (compression 9); raises when over ``MAX_BYTES``."""
    ok, data = cv2.imencode(".png", image, [cv2.IMWRITE_PNG_COMPRESSION, 9])
    if not ok:
        raise OSError(f"{name}: could not encode")
    if len(data) > MAX_BYTES:
        raise ValueError(f"{name}: {len(data)} bytes, over {MAX_BYTES}")
    return data.tobytes()


def empty_mask(shape: tuple[int, ...]) -> np.ndarray:
    return np.zeros(shape[:2], np.uint8)


# -- wrong-side prompt ---------------------------------------------------------------------------


def wrongside_entry(out: Path, qata_name: str, entries: list[dict]) -> tuple[dict, Path, np.ndarray]:
    """The entry, the image to copy and the (empty) mask for the wrong-side prompt."""
    source = next((e for e in entries if e.get("image") == qata_name), None)
    if source is None:
        raise RuntimeError(f"{qata_name}: no such entry in {out / 'examples.json'} "
                           "(run examples/add_qata_examples.py first)")
    sides = named_sides(source["text"])
    if len(sides) != 1:
        raise RuntimeError(f"{qata_name}: its text names {sorted(sides)}, not one side")
    (side,) = sides
    other = OPPOSITE[side]
    image = out / qata_name
    gray = cv2.imread(str(image), cv2.IMREAD_UNCHANGED)
    mask = cv2.imread(str(out / source["mask"]), cv2.IMREAD_GRAYSCALE)
    if gray is None or mask is None or gray.ndim != 2:
        raise RuntimeError(f"{qata_name}: image or mask unreadable, or not grayscale")
    fractions = side_fractions(mask > 127, CONVENTION)
    if fractions[side] < SOURCE_SHARE or fractions[other] > NAMED_SIDE_MAX:
        raise RuntimeError(f"{qata_name}: mask shares {fractions}, need >= {SOURCE_SHARE} on the "
                           f"{side} and <= {NAMED_SIDE_MAX} on the {other}")
    name = WRONGSIDE_NAME.format(side=side)
    text = lower_prompt(other)
    entry = {
        "image": name, "text": text, "modality": source.get("modality", "xray"),
        "title": f"Real X-ray (QaTa-COV19 test) · wrong side: the text names the patient's {other}, "
                 f"the lesion is on the {side}",
        "compare": [text, swap_sides(text)], "mask": f"masks/{name}",
        "derived_from": qata_name,
        "source": f"a copy of {qata_name} ({source['source']}); the text names the patient's {other}, "
                  f"where the ground truth has no lesion (it lies on the patient's {side}): the "
                  "reference mask is empty",
        "credit": source["credit"],
    }
    return entry, image, empty_mask(gray.shape)


# -- healthy X-ray -------------------------------------------------------------------------------


def pick_normal(paths: list[Path]) -> tuple[Path, np.ndarray]:
    """The first image (in the given, sorted order) with a mid-range mean and normal contrast."""
    for path in paths:
        gray = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
        if gray is not None and NORMAL_MEAN[0] <= gray.mean() <= NORMAL_MEAN[1] and gray.std() >= NORMAL_MIN_STD:
            return path, gray
    raise RuntimeError(f"no normal test image has a mean of {NORMAL_MEAN} and a std >= {NORMAL_MIN_STD}")


def normal_entry(normals_root: Path) -> tuple[dict, np.ndarray, np.ndarray]:
    path, gray = pick_normal(sorted(read_normal_xrays(normals_root, "test")))
    rel = path.relative_to(Path(normals_root).expanduser().absolute())
    entry = {
        "image": NORMAL_NAME, "text": NORMAL_TEXT, "modality": "xray", "title": NORMAL_TITLE,
        "compare": list(NORMAL_COMPARE), "mask": f"masks/{NORMAL_NAME}",
        "source": f"COVID-19 Radiography Database, normal (adult; held-out test split of "
                  f"ssa.data.normals), {rel.as_posix()}, 8-bit grayscale; a healthy chest: the "
                  "reference mask is empty",
        "credit": NORMAL_CREDIT,
    }
    return entry, gray, empty_mask(gray.shape)


# -- real CT -------------------------------------------------------------------------------------


@dataclass
class Slice:
    sample: Sample
    image: np.ndarray  # uint8 [h, w], resized
    mask: np.ndarray  # bool [h, w], resized
    original: tuple[int, int]  # (w, h) before resizing

    @property
    def sides(self) -> set[str]:
        return named_sides(self.sample.text)

    @property
    def fractions(self) -> dict[str, float]:
        return side_fractions(self.mask, CONVENTION)


def load_slice(sample: Sample) -> Slice | None:
    image = cv2.imread(str(sample.image), cv2.IMREAD_GRAYSCALE)
    mask = cv2.imread(str(sample.mask), cv2.IMREAD_GRAYSCALE) if sample.mask else None
    if image is None or mask is None or image.shape != mask.shape:
        return None
    h, w = image.shape
    scale = min(1.0, CT_MAX_SIDE / max(h, w))
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    if scale < 1.0:
        image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        mask = cv2.resize(mask, size, interpolation=cv2.INTER_NEAREST)
    return Slice(sample, image, mask > 127, (w, h))


def _area_ok(s: Slice) -> bool:
    return CT_AREA[0] <= s.mask.mean() <= CT_AREA[1]


def ct_unilateral(s: Slice) -> bool:
    sides = s.sides
    return _area_ok(s) and len(sides) == 1 and s.fractions[next(iter(sides))] >= CT_ONE_SIDE_SHARE


def ct_bilateral(s: Slice) -> bool:
    return _area_ok(s) and s.sides == {"left", "right"} and min(s.fractions.values()) >= CT_TWO_SIDE_SHARE


@dataclass
class CTRecipe:
    stem: str
    rule: Callable[[Slice], bool]
    compare: bool  # Compare: its text vs the sides swapped


CT_RECIPES = [CTRecipe("unilateral", ct_unilateral, True), CTRecipe("bilateral", ct_bilateral, False)]


def ct_title(s: Slice) -> str:
    m = NUMBER.match(s.sample.text)
    areas = f", {m[1]} area{'' if m and m[1] == 'one' else 's'}" if m else ""
    if len(s.sides) == 1:
        return f"{CT_TITLE} · one side: patient's {next(iter(s.sides))}{areas}"
    return f"{CT_TITLE} · bilateral{areas}"


def ct_entries(ct_root: Path) -> list[tuple[dict, np.ndarray, np.ndarray]]:
    samples = sorted(read_ct_set(CT_SET, ct_root, "test"), key=lambda s: s.key)
    slices = [s for s in (load_slice(x) for x in samples) if s is not None]
    out, used = [], set()
    for recipe in CT_RECIPES:
        s = next((s for s in slices if s.sample.key not in used and recipe.rule(s)), None)
        if s is None:
            raise RuntimeError(f"no {CT_SET} test slice satisfies the rule for realct_{recipe.stem}")
        used.add(s.sample.key)
        name = f"realct_{recipe.stem}.png"
        text = s.sample.text
        stem = s.sample.key.removeprefix("semiseg_")
        h, w = s.image.shape
        entry = {
            "image": name, "text": text, "modality": "ct", "title": ct_title(s),
            "compare": [text, swap_sides(text)] if recipe.compare else [], "mask": f"masks/{name}",
            "source": f"COVID-19 CT segmentation dataset as in Inf-Net (COVID-SemiSeg), test split, "
                      f"TestingSet/LungInfection-Test Imgs/{stem}.jpg and GT/{stem}.png ({s.sample.key}); "
                      f"transposed into the radiological orientation; {s.original[0]}x{s.original[1]} px "
                      f"resized to {w}x{h}; text derived from the mask (QaTa-COV19 caption template), "
                      "not written by a reader",
            "credit": CT_CREDIT,
        }
        out.append((entry, s.image, s.mask.astype(np.uint8) * 255))
    return out


# -- examples.json and CREDITS.md ----------------------------------------------------------------


def merge_entries(old: list[dict], new: list[dict]) -> list[dict]:
    """The real X-rays, then ``new``, then every other old entry (ours replaced), order kept."""
    name = lambda e: str(e.get("image", ""))  # noqa: E731
    rest = [e for e in old if not name(e).startswith(PREFIXES)]
    qata = [e for e in rest if name(e).startswith(QATA_PREFIX)]
    return qata + new + [e for e in rest if not name(e).startswith(QATA_PREFIX)]


def _row(e: dict) -> str:
    source = e["source"].replace("|", "\\|")
    return f"| `{e['image']}`, `{e['mask']}` | {source} | {e['credit']} |"


def credits_section(entries: list[dict]) -> str:
    """This script's section of CREDITS.md, markers included, ending with a newline."""
    ours = [e for e in entries if str(e.get("image", "")).startswith(PREFIXES)]
    lines = [BEGIN,
             "## Negative examples and real CT slices (`wrongside_*.png`, `normal_*.png`, "
             "`realct_*.png`, with their `masks/`)", "",
             "Made by `examples/add_more_examples.py` as demo examples only; the data sets' own terms "
             "apply to them, not this repository's licence. The reference masks of `wrongside_*` and "
             "`normal_*` are empty: their text names a finding where the image has none.", "",
             "* **Wrong-side prompt** (`wrongside_*`): a copy of a real QaTa-COV19 X-ray above; its "
             "credit and terms are those of the QaTa-COV19 files.",
             f"* **Healthy X-ray** (`normal_*`): {NORMAL_CREDIT}",
             f"* **Real CT slices** (`realct_*`): {CT_CREDIT}", "",
             "| File | Source | Credit |", "|---|---|---|"]
    lines += [_row(e) for e in ours]
    lines += [END, ""]
    return "\n".join(lines)


def merge_credits(text: str, section: str) -> str:
    """``text`` (CREDITS.md, may be empty) with this script's section replaced or added."""
    if BEGIN in text and END in text:
        start, stop = text.index(BEGIN), text.index(END) + len(END)
        rest = text[stop:].lstrip("\n")
        return text[:start] + section + ("\n" + rest if rest else "")
    if not text.strip():
        return "# Credits for the example images\n\n" + section
    at = text.find(SYNTHETIC_HEADING)
    if at >= 0:
        return text[:at] + section + "\n" + text[at:]
    return text.rstrip("\n") + "\n\n" + section


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Add negative examples and real CT slices to the examples.")
    p.add_argument("--normals-root", type=Path, required=True, help="normal chest X-rays (ssa.data.normals)")
    p.add_argument("--ct-root", type=Path, required=True, help="Inf-Net's COVID-SemiSeg data (holds Dataset/)")
    p.add_argument("--qata-example", default="qata_unilateral_left.png",
                   help="the real X-ray (in --out) whose text names one side, for the wrong-side prompt")
    p.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    args = p.parse_args(argv)
    out = args.out
    (out / "masks").mkdir(parents=True, exist_ok=True)
    index = out / "examples.json"
    old = json.loads(index.read_text()) if index.is_file() else []

    made = []  # (entry, image array or file to copy, mask uint8)
    wrong, image, mask = wrongside_entry(out, args.qata_example, old)
    made.append((wrong, image, mask))
    made.append(normal_entry(args.normals_root))
    made += ct_entries(args.ct_root)

    files = {}  # everything is encoded (and checked) before anything is written
    for entry, image, mask in made:
        files[entry["image"]] = image.read_bytes() if isinstance(image, Path) else encode_png(entry["image"], image)
        files[entry["mask"]] = encode_png(entry["mask"], mask)
    for stale in old:  # files of our earlier entries that this run does not write again
        for name in (str(stale.get("image", "")), str(stale.get("mask", ""))):
            if Path(name).name.startswith(PREFIXES) and name not in files and (out / name).is_file():
                (out / name).unlink()
    for name, data in files.items():
        (out / name).write_bytes(data)
    for entry, _, _ in made:
        print(f"{entry['image']}  {entry['text']}")
    entries = merge_entries(old, [e for e, _, _ in made])
    index.write_text(json.dumps(entries, indent=2, ensure_ascii=False) + "\n")
    credits = out / "CREDITS.md"
    credits.write_text(merge_credits(credits.read_text() if credits.is_file() else "", credits_section(entries)))
    print(f"wrote {len(made)} examples to {index} ({len(entries)} in all) and their section of {credits}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
