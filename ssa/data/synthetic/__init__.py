"""Synthetic chest X-rays and axial CT slices with lesions placed where a QaTa-style text says.

The demo checkpoint is trained only on these cases and judged on real anatomy, so the images
imitate what a CNN keys on in real data: intensity layout (dark lungs, white mediastinum,
spine and bones), textures (vessels, ribs, film / CT noise), lesion appearance (hazy
ground-glass, dense consolidation with air bronchograms), and many bright look-alikes that
are *not* lesions (ribs, clavicles, breast and nipple shadows, ECG leads, tubes, vessels), so
"bright blob = lesion" is never a shortcut. Lesions outside the text's region (referring
mode) make the text, not the image alone, decide the mask.

Modules: ``plan`` (vocabulary, locations, lesion plan), ``lesions`` (shapes, placement),
``xray`` + ``xray_structures`` and ``ct`` (the renderers), ``common`` (drawing helpers),
``cases`` (``make_case``, ``SyntheticSet``), ``preview`` (contact sheet, the CLI).

Geometry contract (checked by tests/test_synthetic.py):

* Sides in the text are the PATIENT's. ``convention="radiological"``: patient left = image
  right (columns >= W/2), heart, aortic knob and gastric bubble on that side too;
  ``"viewer"`` mirrors the whole case. Every lesion lies 100% in its side's image half.
* X-ray: the lung band (apex top to lowest lung point) spans rows ~10%-90% (+-5%); a lesion
  named "upper / middle / lower" lies inside that third of rows 10%-90% (its mask entirely,
  only the faint opacity tail crosses), and inside the lung.
* CT: the slice level is chosen first (upper: apices, clavicles, trachea; middle: heart, hila,
  bronchi; lower: liver / stomach domes); texts only use zone sets containing that level and
  lesions lie anywhere in the named side's lung (peripheral / subpleural preferred).
* The count word is the number of referred lesions, and lesions never touch (a 2-px gap),
  so it also equals the number of 8-connected components of ``mask``.
* ``report`` mode: the text names every lesion (``mask == all_lesions``). ``referring`` mode:
  lesions on both sides, the text names a subset (one side, or zones of one or both sides),
  ``mask`` = the named ones.

Rendering is vectorised numpy/OpenCV: smooth anatomy at 1/4 size, bones and vessels at 1/2,
lung edges, lesions and noise at full size. A 256 px case costs ~6-10 ms on one core of the
2-core CI machine (less at 224 px). OpenCV's own threads only add overhead at these sizes:
DataLoader workers should call ``cv2.setNumThreads(1)``.
"""

from ssa.data.synthetic.cases import SyntheticCase, SyntheticSet, make_case
from ssa.data.synthetic.lesions import place_lesions
from ssa.data.synthetic.plan import (
    BAND,
    COUNT_WORDS,
    MAX_REFERRED,
    MODES,
    ZONE_SETS,
    ZONES,
    make_text,
)
from ssa.data.synthetic.preview import main, render_preview
from ssa.data.synthetic.xray import procedural_lungs
from ssa.laterality import CONVENTIONS, MODALITIES

__all__ = [
    "BAND", "CONVENTIONS", "COUNT_WORDS", "MAX_REFERRED", "MODALITIES", "MODES", "ZONE_SETS", "ZONES",
    "SyntheticCase", "SyntheticSet", "main", "make_case", "make_text", "place_lesions", "procedural_lungs",
    "render_preview",
]
