"""The report reader's word lists: findings, devices, anatomy, history, negation, hedges.

Words are lower-case, as ``ssa.location_words.WORD_RE`` cuts them: "ground-glass" is "ground" +
"glass", "s/p" is "s" + "p", "Port-A-Cath" is "port" + "a" + "cath". Location words (sides,
zones, lobes) live in ``ssa.location_words.LEXICON``, not here. The lists follow common chest X-ray
and CT reporting language (the Fleischner Society glossary's finding terms, the usual
device and line names); they are meant to be read and extended.
"""

from __future__ import annotations


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# A lesion or another positive finding with a place in the lung or pleura. A sentence must
# state one (outside negation and history) for its location words to count, unless it is a
# bare location phrase ("upper left lung").
FINDINGS = _words("""
    opacity opacities opacification opacified opaque consolidation consolidations consolidative
    consolidated infiltrate infiltrates infiltration infiltrative glass ggo ggos ggn atelectasis
    atelectases atelectatic collapse collapsed nodule nodules nodular nodularity micronodule
    micronodules mass masses lesion lesions effusion effusions fluid hydrothorax hemothorax
    haemothorax pneumonia pneumonias pneumonic bronchopneumonia pneumonitis infection infections
    infected infectious airspace haziness hazy haze density densities scarring scar scars
    fibrosis fibrotic thickening bronchiectasis bronchiolectasis cavity cavities cavitation
    cavitary cavitating abscess abscesses tumor tumour tumors neoplasm malignancy carcinoma cancer
    granuloma granulomas granulomatous pneumothorax pneumothoraces hydropneumothorax empyema
    edema oedema emphysema emphysematous bulla bullae bullous bleb blebs paving bud honeycombing
    reticulation reticular reticulonodular interstitial aspiration contusion hemorrhage
    haemorrhage infarct infarction embolus emboli embolism metastasis metastases metastatic
    calcification calcifications calcified blunting blunted obscured obscuring obscures
    obscuration silhouetting silhouetted effacement effaced loss lymphadenopathy adenopathy
    fullness plugging plug plugs impaction cuffing process abnormality abnormalities disease
    involvement changes streaks streaky cyst cysts cystic pneumatocele tuberculosis tb covid
    bronchiolitis bronchitis ards septal kerley lucency lucencies node nodes shadowing shadows
    shadow patchiness bronchograms trapping hyperlucency hyperlucent inflammatory inflammation
    plaque plaques streak masslike bronchiectatic attenuation
""")

# Devices, lines and tubes: a side or zone in their phrase ("left-sided PICC", "chest tube in
# the right hemithorax") is where the device is, not a lesion.
DEVICES = _words("""
    picc piccs catheter catheters cath line lines tube tubes ett ngt ogt ng og endotracheal
    nasogastric orogastric enteric feeding dobhoff tracheostomy trach pacemaker pacer icd aicd
    defibrillator lead leads wire wires electrode electrodes clip clips staple staples suture
    sutures stent stents port portacath drain drains pigtail pleurx cannula ecmo impella iabp
    balloon pump prosthesis prosthetic coil coils filter marker markers device devices hardware
    screw screws rod rods sheath swan ganz generator reservoir implant implants
    expander monitor monitoring telemetry tip tips dialysis hemodialysis arthroplasty cvc cvl
    recorder ports
""")
# "pleural line" (a pneumothorax's edge), "Kerley B lines", "septal lines" are findings.
NOT_DEVICE_BEFORE_LINE = _words("pleural kerley b septal")

# Where a line enters or a device sits: skipped when looking for the device a side belongs
# to ("right internal jugular dialysis catheter"); the anatomy ones make the side anatomy
# when no device follows ("left chest", "right IJ").
SITE_ANATOMY = _words("""
    chest wall ij jugular subclavian arm basilic brachial cephalic femoral axillary extremity
    forearm groin
""")
SITES = SITE_ANATOMY | _words("internal external approach central venous dialysis access")
SIDED = _words("sided")  # "left-sided": skipped between a side and its noun

# Anatomy used as a landmark, not a lesion: "left hemidiaphragm", "right heart border",
# "right atrium", "left axilla", "mediastinal shift to the right".
ANATOMY = SITE_ANATOMY | _words("""
    hemidiaphragm hemidiaphragms diaphragm diaphragms diaphragmatic heart cardiac atrium atria
    atrial ventricle ventricles ventricular border borders margin costophrenic cardiophrenic
    angle angles sulcus recess mediastinum mediastinal aorta aortic knob arch trachea tracheal
    carina mainstem svc ivc vena cava cavoatrial brachiocephalic innominate axilla breast breasts
    shoulder shoulders humerus humeral clavicle clavicles scapula rib ribs spine vertebra
    vertebral vertebrae neck abdomen abdominal quadrant stomach gastric bowel colon liver hepatic
    spleen splenic kidney renal thyroid goiter esophagus esophageal paratracheal stripe thymus
    thymic artery arteries vein veins hand fissure azygos vessels vasculature silhouette contour
    soft tissue tissues skin nipple sternum sternal scapular clavicular pectoral pectoralis
""")
# Landmarks that fix a lung zone: a finding that has no location of its own but is described
# by the landmark takes its side and zone ("blunting of the left costophrenic angle" -> left
# lower, "opacity obscuring the right heart border" -> right middle, the silhouette sign).
LANDMARK_ZONES = {
    "hemidiaphragm": "lower", "hemidiaphragms": "lower", "diaphragm": "lower",
    "diaphragms": "lower", "diaphragmatic": "lower", "costophrenic": "lower",
    "cardiophrenic": "lower",
}
# A pleural device's side is its pleural finding's: "right chest tube with small residual
# pneumothorax" (the tube drains that pleural space).
PLEURAL_DEVICES = _words("drain drains pigtail pleurx thoracostomy")
PLEURAL_FINDINGS = _words("""
    pneumothorax pneumothoraces hydropneumothorax effusion effusions empyema fluid hydrothorax
    hemothorax haemothorax
""")
HEART_WORDS = _words("heart cardiac")  # "heart border" -> middle zone (right middle lobe, lingula)
BORDER_WORDS = _words("border borders margin")

# Surgery and treatment: they own a side before them ("left upper lobectomy") and make the
# clause surgical history ("wedge resection of the right lower lobe nodule").
HISTORY_HEADS = _words("""
    lobectomy lobectomies pneumonectomy postpneumonectomy segmentectomy wedge resection
    resections resected mastectomy lumpectomy thoracotomy thoracoscopy vats sternotomy cabg
    surgery surgeries surgical postsurgical postoperative operative postop excision excised
    transplant transplantation radiotherapy chemotherapy irradiation postradiation treated
""")
# Cues that open a history scope up to the end of the clause: "status post", "s/p",
# "history of", "h/o", "post-radiation".
HISTORY_PAIRS = frozenset({("status", "post"), ("s", "p"), ("history", "of"), ("h", "o")})
HISTORY_WORDS = _words("hx")
# "the prior study which showed a left lower lobe opacity": a past finding, not this study's.
SHOWED_WORDS = _words("showed demonstrated revealed")
COMPARISON_WORDS = _words("prior previous previously comparison compared earlier")
POST_WHAT = _words("""
    surgical surgery operative op radiation treatment biopsy procedure procedural therapy
    resection lobectomy pneumonectomy thoracotomy transplant
""")

# Negation. A PRE cue negates what follows it in its clause (and a list ending in "or"/"nor"
# over commas); what comes before it too, unless a finding comes before it ("right lower
# lobe consolidation without effusion" keeps the consolidation).
PRE_NEGATION = _words("no without negative absence lack neither sparing none")
PRE_NEGATION_OF = _words("free resolution clearing")  # only as "free of", "resolution of"
NOT_WORDS = _words("not")
# "no change in the right lower lobe consolidation": a statement that the finding is still there.
CHANGE_WORDS = _words("change changes changed")
# "not seen", "no longer visualized": the whole clause is negated.
SEEN_WORDS = _words("""
    seen identified visualized visualised visible appreciated present evident demonstrated
    detected noted found apparent
""")
# "not present on the prior study": a new finding, not a negated one.
BEFORE_WORDS = _words("prior previous previously before earlier last")
# "not excluded", "not ruled out": a hedge.
EXCLUDED_WORDS = _words("excluded ruled")
# A POST cue negates its clause up to it ("the left lung is clear", "opacity has resolved")
# and the location phrase right after it ("clear left lung", "resolved right effusion").
POST_NEGATION = _words("clear clears cleared normal unremarkable spared resolved absent sharp")
# These need "well" / "fully" / "re" before them: "well aerated", "re-expanded".
POST_NEGATION_AFTER_WELL = _words("aerated expanded inflated")
WELL_WORDS = _words("well fully re normally")
# "partially resolved", "not cleared", "incomplete resolution": the finding is still there.
PARTIAL_WORDS = _words("""
    partially partly partial incompletely incomplete nearly near almost not slowly slow
""")
OTHERWISE = _words("otherwise remainder rest elsewhere")

# Hedges keep a finding but mark it uncertain.
HEDGES = _words("""
    possible possibly probable probably likely may might could questionable question
    questioned suspicious suspected suspect suspicion concerning concern suggestive suggesting
    suggests suggest suggested equivocal versus vs differential consider considered presumed
    presumably indeterminate borderline cannot represent represents reflect reflects
""")

# Connectors where a new statement can start; a negation or history scope ends at one when a
# "restart" word follows ("no effusion and patchy opacity at the right base").
CONNECTORS = _words("with and plus but while whereas although though however yet also except apart &")
CONTRAST = _words("but while whereas although though however yet except apart")
RESTART = _words("""
    new newly there patchy persistent persists persisting increasing increased worsening
    worsened developing mild mildly moderate severe small large dense subtle minimal trace
    residual stable unchanged again is are was were has have seen noted present demonstrated
    likely possible probable suspected questionable now interval
""") | CONTRAST
LIST_STARTS = _words("or nor")

# Words that may sit between a side and its device or landmark ("right-sided chest tube").
RUN_GLUE = _words("and & or of the to sided")
# Prepositions and articles skipped when looking back from a location phrase for what it is
# the place of ("chest tube in the right hemithorax", "opacity projecting over the left base").
BACK_SKIP = _words("""
    the a an in at of on over along into to within from near toward towards through via
    overlying overlies projecting projects involving by under below above beneath behind across
    throughout adjacent medial lateral
""")

# A bare clause that opens with one of these after a clause with other words is that clause's
# place ("Azygos lobe, a normal variant, in the right upper lung"), not a phrase of its own.
PLACE_PREPOSITIONS = _words("in at on over within along near into throughout involving")

# A sentence of only these and location words is a bare location phrase: it counts without a
# finding word ("upper left lung", "two infected areas, lower right lung", "lower zone
# predominant"). Finding words count too.
PHRASE_WORDS = _words("""
    the a an of in at on and or & with plus to from both all entire whole lung lungs lobe lobes
    zone zones field fields area areas region regions part parts portion portions aspect side
    sides sided segment segments segmental subsegmental predominant predominantly predominance
    mainly mostly more most than greater only pulmonary peripheral central posterior anterior
    lateral medial dependent subpleural one two three four five six seven eight nine ten cm mm
    small large mild moderate severe patchy focal diffuse multifocal scattered extensive minimal
    subtle involving extending
""")
