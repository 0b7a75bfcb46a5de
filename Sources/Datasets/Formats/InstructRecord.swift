/// One LLaVA-Med instruction sample: an image and a conversation about it.
///
/// JSON (LLaVA-Med's `llava_med_instruct_*.json`, one array of these):
/// `{"id": "…", "image": "images/x.png", "conversations": [{"from": "human", "value": "<image>\nWhat…?"},
/// {"from": "gpt", "value": "…"}, …], "extended_answers": ["…", …]}`.
/// `extended_answers` is Tessera's extension: one longer rewording per `gpt` turn, in order, with the
/// same facts (LoGra-Med's third view, ALGORITHMS.md §3); absent in LLaVA-Med's own files.
public struct InstructRecord: Sendable, Equatable {
    /// Who speaks a turn.
    public enum Speaker: String, Sendable, Equatable {
        /// The user (the question side).
        case human
        /// The assistant (the answer side the AR loss trains on).
        case gpt
    }

    /// One turn of a conversation.
    public struct Turn: Sendable, Equatable {
        /// Who speaks.
        public var speaker: Speaker
        /// The text; the first human turn holds the `<image>` placeholder.
        public var value: String

        /// Creates a turn.
        public init(speaker: Speaker, value: String) {
            self.speaker = speaker
            self.value = value
        }
    }

    /// The placeholder marking where the image's tokens go.
    public static let imagePlaceholder = "<image>"

    /// The sample's identifier.
    public var id: String
    /// The image path relative to the image folder (the JSON file's folder for MedSynth); `nil` for
    /// text-only samples.
    public var image: String?
    /// The turns, alternating human and gpt.
    public var conversations: [Turn]
    /// One extended answer per gpt turn, or `nil` when the file has none.
    public var extendedAnswers: [String]?

    /// Creates a record.
    public init(id: String, image: String?, conversations: [Turn], extendedAnswers: [String]? = nil) {
        self.id = id
        self.image = image
        self.conversations = conversations
        self.extendedAnswers = extendedAnswers
    }

    /// The gpt turns' texts, in order.
    public var answers: [String] {
        conversations.filter { $0.speaker == .gpt }.map(\.value)
    }
}
