/// The kinds of finding MedSynth draws, and which attributes each carries.
///
/// Sides are the patient's: images follow the radiological convention (the patient's right on the
/// image's left) for x-ray, CT and MRI; on histopathology slides "left" is the image's left.
public enum FindingType: String, CaseIterable, Sendable, Codable {
    case nodule
    case effusion
    case cardiomegaly
    case pneumothorax
    case tumour
    case haemorrhage
    case liverLesion = "liver lesion"
    case kidneyStone = "kidney stone"
    case atypicalCells = "atypical cells"

    /// The modality that shows this finding.
    public var modality: Modality {
        switch self {
        case .nodule, .effusion, .cardiomegaly, .pneumothorax: .chestXRay
        case .tumour, .haemorrhage: .brainMRI
        case .liverLesion, .kidneyStone: .abdominalCT
        case .atypicalCells: .histopathology
        }
    }

    /// The canonical name, the open-question ground truth ("What abnormality is seen?").
    public var name: String { rawValue }

    /// Whether the finding has a side (left/right). Cardiomegaly is central; the liver is always on
    /// the right, so its side is stated but never asked.
    public var hasSide: Bool { self != .cardiomegaly }

    /// Whether the side varies between images (and so is asked in questions).
    public var hasVaryingSide: Bool { hasSide && self != .liverLesion }

    /// Whether the finding has an upper/lower region (effusions lie at the base, so always lower).
    public var hasRegion: Bool { self != .cardiomegaly }

    /// Whether the region varies between images.
    public var hasVaryingRegion: Bool { hasRegion && self != .effusion }

    /// Whether the finding has a size class and a measured size.
    public var hasSize: Bool { self != .cardiomegaly }

    /// Whether several lesions of this type can appear (their number is the count).
    public var isCountable: Bool {
        switch self {
        case .nodule, .liverLesion, .kidneyStone, .tumour, .atypicalCells: true
        case .effusion, .cardiomegaly, .pneumothorax, .haemorrhage: false
        }
    }

    /// The singular noun for one lesion ("focus of atypical cells" for atypical cells).
    var singular: String { self == .atypicalCells ? "focus of atypical cells" : rawValue }

    /// The plural noun, for counts above one.
    var plural: String {
        switch self {
        case .nodule: "nodules"
        case .tumour: "tumours"
        case .liverLesion: "liver lesions"
        case .kidneyStone: "kidney stones"
        case .atypicalCells: "foci of atypical cells"
        default: rawValue
        }
    }

    /// Other names reports and questions use (the canonical name first).
    var synonyms: [String] {
        switch self {
        case .nodule: ["nodule", "pulmonary nodule", "nodular opacity", "rounded density"]
        case .effusion: ["effusion", "pleural effusion", "pleural fluid collection"]
        case .cardiomegaly: ["cardiomegaly", "enlarged heart", "enlarged cardiac silhouette"]
        case .pneumothorax: ["pneumothorax", "collapsed lung", "pleural air collection"]
        case .tumour: ["tumour", "tumor", "mass", "space-occupying lesion"]
        case .haemorrhage: ["haemorrhage", "hemorrhage", "bleed", "intracranial bleed"]
        case .liverLesion: ["liver lesion", "hepatic lesion", "hypodense liver lesion"]
        case .kidneyStone: ["kidney stone", "renal calculus", "renal stone"]
        case .atypicalCells: ["atypical cells", "cellular atypia", "atypical nuclei"]
        }
    }

    /// The organ the finding lies in, as a report names it.
    var organ: String {
        switch self {
        case .nodule, .pneumothorax: "lung"
        case .effusion: "pleural space"
        case .cardiomegaly: "heart"
        case .tumour, .haemorrhage: "hemisphere"
        case .liverLesion: "liver"
        case .kidneyStone: "kidney"
        case .atypicalCells: "field"
        }
    }

    /// The inclusive size ranges (small, large) in the modality's unit; the gap between them keeps the
    /// classes apart in the image.
    var sizeRanges: (small: ClosedRange<Int>, large: ClosedRange<Int>) {
        switch self {
        case .nodule: (8...14, 28...40)
        case .effusion: (20...35, 60...90)
        case .pneumothorax: (15...25, 45...70)
        case .tumour: (8...12, 22...32)
        case .haemorrhage: (8...12, 20...30)
        case .liverLesion: (10...16, 28...40)
        case .kidneyStone: (6...9, 14...20)
        case .atypicalCells: (60...90, 150...200)
        case .cardiomegaly: (0...0, 0...0)
        }
    }

    /// What a clinician adds when explaining the finding (used by the extended answers).
    var explanation: String {
        switch self {
        case .nodule: "a nodule is a small rounded opacity in the lung; its size and number guide whether follow-up imaging or biopsy is needed"
        case .effusion: "a pleural effusion is fluid collecting between the lung and the chest wall, which blunts the costophrenic angle at the lung base"
        case .cardiomegaly: "cardiomegaly means the cardiac silhouette is wider than half of the chest, often a sign of heart failure"
        case .pneumothorax: "a pneumothorax is air in the pleural space, seen as a dark area without lung markings where the lung has collapsed away from the chest wall"
        case .tumour: "a tumour appears as a bright rounded mass with a darker rim of surrounding oedema and can compress nearby brain tissue"
        case .haemorrhage: "a haemorrhage is bleeding within the skull, seen as a very bright crescent or collection close to the inner table of the skull"
        case .liverLesion: "a liver lesion is a focal area of lower attenuation within the liver that may be a cyst, an abscess or a tumour"
        case .kidneyStone: "a kidney stone is a dense calcification in the renal collecting system, brighter than any soft tissue on CT"
        case .atypicalCells: "atypical cells have enlarged, dark and irregular nuclei that stand out from the regular background cells and may indicate dysplasia"
        }
    }
}
