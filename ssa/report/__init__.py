"""Read a radiology report (or a caption, or a typed phrase) for where its findings are.

:func:`read_report` splits a text into sections and sentences and says, for every sentence,
whether its location words locate a finding ("used"), name a location that does not count
("set aside", with why) or name none. ``ssa.spatial.parse_locations`` is the regions of the
used sentences; the demo shows the reading so a clinician sees why a region was or was not
constrained. Linear time; never raises on a ``str``.

Rules, in the order they apply to a sentence:

1. Sections. HISTORY / CLINICAL HISTORY / INDICATION / REASON FOR EXAM / COMPARISON /
   TECHNIQUE / EXAM(INATION) sections give no regions (a side there is the patient's past or
   the request): every location in them is set aside as "history". FINDINGS, IMPRESSION,
   CONCLUSION, ... and text before any header (or with none) are read as findings.
2. Sentences end at ``. ; ! ?`` and line breaks (not at the periods of "i.e.", "e.g.",
   "vs."); clauses inside them at ``,`` and ``:``, a bare location before a colon being the
   topic of what follows ("Left lung: clear."). A topic is a phrase of its own, and a "clear"
   after the clause's own place negates that place, not the topic ("Right lung: upper zone
   clear, lower zone patchy opacity").
   A sentence made only of location and phrase words ("upper left lung and lower right
   lung") is a location phrase: every location in it counts.
3. Location phrases are runs of ``ssa.location_words`` location words. A phrase that modifies or
   follows (through a preposition) a device or line ("left-sided PICC", "right IJ catheter",
   "chest tube in the right hemithorax") is set aside as "device"; one that belongs to
   anatomy used as a landmark ("left hemidiaphragm", "right heart border", "right atrium",
   "mediastinal shift to the right") as "normal anatomy"; one that names a surgery ("left
   upper lobectomy", "prior right mastectomy") as "history".
4. Negation: "no", "without", "negative for", "free of", "absence of", "resolution of" negate
   the rest of their clause (and a comma list that ends in "or"/"nor": "no pneumothorax,
   effusion, or consolidation on the left"), and what comes before them in the clause when
   no finding does ("the left lung is without consolidation"; "consolidation without
   effusion" keeps the consolidation). "clear", "normal", "unremarkable", "resolved",
   "spared", "well aerated" negate their clause up to them and the phrase right after them
   ("clear left lung"), but not after "otherwise". "not seen", "no longer visualized" negate
   the clause. "no change in", "partially resolved", "not present on the prior study" are
   not negations. A scope ends at a connector that starts a new statement ("no effusion and
   patchy opacity at the right base") and at "but", "however", "although", "except".
5. History: "status post", "s/p", "history of", "post-surgical", "post-radiation" and "(the
   prior study) showed" open a history scope to the end of the clause; a surgery word makes
   its clause history ("post-surgical changes in the right upper lobe", "wedge resection of
   the RLL nodule").
6. A sentence's remaining location phrases count if it states a finding outside negation
   and history (opacity, consolidation, ground glass, atelectasis, nodule, mass, effusion,
   pneumonia, infection, lesion, pneumothorax, ...; see ``vocabulary.FINDINGS``). In a
   sentence with no finding word at all, a clause that is a bare location phrase still
   counts ("fever, cough, left base"), unless it opens with a preposition after a clause with
   other words: it is then that clause's place ("Azygos fissure, a normal variant, in the
   right upper lung"); the others are set aside as "no finding" ("patient
   rotated to the left", "the left lung is hyperexpanded"). Numbers, single letters (markup
   debris) and words in another script do not stop a phrase from being bare (the
   vocabulary is English).
7. A finding located only by a landmark takes the landmark's side and zone (the silhouette
   sign): "blunting of the left costophrenic angle" -> left lower, "opacity obscuring the
   right heart border" -> right middle; a pleural finding located only by a chest tube or
   pleural drain takes the drain's side ("right chest tube with small residual
   pneumothorax").
8. Hedges ("possible", "may represent", "cannot exclude", "not excluded", "versus") keep a
   finding and mark the sentence ``hedged``.

The phrases that count are bound to sides and zones by ``ssa.location_words``' rules, sideless zones
looking first at their own sentence, then at the used part of the whole text.
"""

from ssa.report.reading import (
    REASONS,
    STATUSES,
    ReportReading,
    ReportSentence,
    SetAside,
    read_report,
)

__all__ = ["REASONS", "STATUSES", "ReportReading", "ReportSentence", "SetAside", "read_report"]
