/// The imaging modalities MedSynth generates, each with its own anatomy and findings.
public enum Modality: String, CaseIterable, Sendable, Codable {
    case chestXRay = "chest_xray"
    case brainMRI = "brain_mri"
    case abdominalCT = "abdominal_ct"
    case histopathology

    /// The canonical short answer to "What imaging modality is this?" (the VQA ground truth).
    public var answer: String {
        switch self {
        case .chestXRay: "x-ray"
        case .brainMRI: "mri"
        case .abdominalCT: "ct"
        case .histopathology: "histopathology"
        }
    }

    /// The canonical short answer to "Which organ is shown?".
    public var organ: String {
        switch self {
        case .chestXRay: "chest"
        case .brainMRI: "brain"
        case .abdominalCT: "abdomen"
        case .histopathology: "tissue"
        }
    }

    /// The modality with its article, as questions name it: "an x-ray", "an MRI", "a CT".
    var withArticle: String {
        switch self {
        case .chestXRay: "an x-ray"
        case .brainMRI: "an MRI"
        case .abdominalCT: "a CT"
        case .histopathology: "a histopathology"
        }
    }

    /// Ways reports name the study (the first is the plainest).
    var studyNames: [String] {
        switch self {
        case .chestXRay: ["chest x-ray", "chest radiograph", "frontal chest film", "PA chest x-ray"]
        case .brainMRI: ["brain MRI", "axial MR image of the brain", "cranial MRI", "brain MR scan"]
        case .abdominalCT: ["abdominal CT", "axial CT of the abdomen", "CT scan of the abdomen", "abdominal CT slice"]
        case .histopathology: ["histopathology slide", "H&E section", "tissue section", "microscopy image of tissue"]
        }
    }

    /// The findings this modality can show.
    public var findingTypes: [FindingType] {
        FindingType.allCases.filter { $0.modality == self }
    }

    /// The width of the imaged field in the report's size unit: a lesion of diameter `d` is drawn
    /// `d / fieldOfView` of the image wide. Chosen so that small lesions still span 2–4 pixels at 64×64.
    var fieldOfView: Double {
        switch self {
        case .chestXRay: 200
        case .brainMRI: 200
        case .abdominalCT: 250
        case .histopathology: 1000
        }
    }

    /// The unit sizes are reported in: micrometres on slides, millimetres otherwise.
    var sizeUnit: String { self == .histopathology ? "µm" : "mm" }
}
