import Model
import Tensor

/// One training sample as objectives see it: the conversation, its image, and the extra views some
/// objectives need. Built by the data library from LLaVA-Med JSON (and, later, preference pairs).
public struct TrainingExample: Sendable {
    public var id: String
    /// Preprocessed pixels `(3, S, S)` at the model's image size; nil for text-only samples.
    public var pixels: [Float]?
    /// The conversation; `<image>` in the first human turn marks the image.
    public var turns: [ChatTemplate.Turn]
    /// LoGra-Med's third view: each assistant answer rewritten longer (empty when the data has none).
    public var extendedAnswers: [String]

    public init(id: String, pixels: [Float]?, turns: [ChatTemplate.Turn], extendedAnswers: [String] = []) {
        self.id = id
        self.pixels = pixels
        self.turns = turns
        self.extendedAnswers = extendedAnswers
    }

    /// The assistant answers, in order.
    public var answers: [String] { turns.filter { $0.role == .assistant }.map(\.text) }
}

/// The data fields an objective reads (checked against the dataset before training starts).
public enum ExampleField: String, Sendable, CaseIterable {
    case image, conversation, extendedAnswers
}
