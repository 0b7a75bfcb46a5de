/// One visual question with its ground-truth answer, whatever file format it came from.
///
/// Written in the VQA-RAD style (`qid`, `image_name`, `question`, `answer`, `answer_type`,
/// `question_type`) plus `modality`; read from VQA-RAD and SLAKE layouts (see ``VQADataset``).
public struct VQAItem: Sendable, Equatable {
    /// Closed questions have a fixed answer set (yes/no); open ones a short free answer.
    public enum AnswerType: String, Sendable, Equatable, CaseIterable {
        case closed = "CLOSED"
        case open = "OPEN"
    }

    /// The question's identifier (`qid`, as text: VQA-RAD has integers, SLAKE integers, MedSynth strings).
    public var id: String
    /// The image path relative to the image folder.
    public var image: String
    /// The question.
    public var question: String
    /// The ground-truth answer (VQA-RAD's integer answers become their decimal text).
    public var answer: String
    /// CLOSED or OPEN.
    public var answerType: AnswerType
    /// The question type: VQA-RAD's (`PRES`, `POS`, `ABN`, `MODALITY`, `ORGAN`, `SIZE`, `COUNT`, …) or
    /// SLAKE's `content_type` (`Position`, `Abnormality`, …); `OTHER` when absent.
    public var questionType: String
    /// The modality or organ group for per-modality metrics (MedSynth's `modality`, SLAKE's `modality`,
    /// VQA-RAD's `image_organ`); `nil` when absent.
    public var modality: String?

    /// Creates an item.
    public init(id: String, image: String, question: String, answer: String, answerType: AnswerType,
                questionType: String, modality: String?) {
        self.id = id
        self.image = image
        self.question = question
        self.answer = answer
        self.answerType = answerType
        self.questionType = questionType
        self.modality = modality
    }
}
