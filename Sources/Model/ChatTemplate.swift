import Tensor

/// LLaVA's `vicuna_v1` conversation template (the one LLaVA-Med v1.5 trains with), turned into token
/// ids and training labels:
///
///     SYSTEM USER: <image>\nQ1 ASSISTANT: A1</s>USER: Q2 ASSISTANT: A2</s>
///
/// `<image>` expands to one image token per image feature. Labels follow LLaVA's `preprocess_v1`:
/// only assistant answers and their `</s>` count (everything else `-100`). STLLaVA-Med's
/// self-questioning (ALGORITHMS.md §4) adds a third role, the virtual user `VUSER:`, whose question
/// text is counted too (only the `VUSER:` prefix is masked). With no system prompt (Tessera's
/// default) the text starts ` USER:`, as vicuna_v1's does after its empty system line.
public struct ChatTemplate: Sendable {
    /// Who speaks a turn.
    public enum Role: String, Sendable, Codable {
        case human, assistant
        /// A human turn the model learns to ask (STLLaVA-Med stage 1).
        case virtualUser
    }

    /// One turn of a conversation.
    public struct Turn: Sendable, Equatable {
        public var role: Role
        public var text: String

        public init(role: Role, text: String) {
            self.role = role
            self.text = text
        }
    }

    /// Token ids and labels (`-100` where no loss is taken) of equal length.
    public struct Encoded: Sendable, Equatable {
        public var ids: [Int]
        public var labels: [Int]
    }

    /// LLaVA's vicuna_v1 system line. Tessera's default is no system line, as LLaVA-Med v1.5
    /// trains (its mistral_instruct template has an empty system prompt): on the CPU presets the
    /// vicuna line would cost more tokens than the image and the answer together.
    public static let vicunaSystemPrompt = "A chat between a curious human and an artificial intelligence assistant. "
        + "The assistant gives helpful, detailed, and polite answers to the human's questions."

    public var systemPrompt: String
    /// Image tokens `<image>` expands to (``LlavaConfiguration/imageTokensPerImage``).
    public var imageTokensPerImage: Int
    /// The model's image token id.
    public var imageTokenID: Int

    public init(systemPrompt: String = "", imageTokensPerImage: Int, imageTokenID: Int) {
        self.systemPrompt = systemPrompt
        self.imageTokensPerImage = imageTokensPerImage
        self.imageTokenID = imageTokenID
    }

    /// The template for `configuration`'s image tokens.
    public init(configuration: LlavaConfiguration, systemPrompt: String = "") {
        self.init(systemPrompt: systemPrompt, imageTokensPerImage: configuration.imageTokensPerImage,
                  imageTokenID: configuration.imageTokenIndex)
    }

    /// A whole conversation for training: ids start with BOS; answers (and `</s>`) are labelled.
    /// A turn's `<image>` moves to its start, followed by a newline, as LLaVA's
    /// `preprocess_multimodal` does ("Q\n<image>" trains as "<image>\nQ", the form prompts take).
    /// The ids are those of the whole text tokenized at once, split only at `<image>` (LLaVA's
    /// `tokenizer_image_token`).
    /// - Throws: ``ModelError/invalidInput(reason:)`` when the tokenizer lacks `<s>`/`</s>`, the
    ///   conversation does not start with a human turn, or `<image>` appears more than once.
    public func encode(_ turns: [Turn], tokenizer: BPETokenizer) throws -> Encoded {
        guard turns.first?.role == .human else {
            throw ModelError.invalidInput(reason: "a conversation must start with a human turn")
        }
        var encoded = try start(tokenizer: tokenizer)
        var images = 0
        var afterAnswer = false
        for turn in turns {
            images += turn.text.components(separatedBy: "<image>").count - 1
            guard images <= 1 else { throw ModelError.invalidInput(reason: "more than one <image> in a conversation") }
            // vicuna_v1 separates a turn from the one before by a space, from an answer by its </s> alone.
            let separator = afterAnswer ? "" : " "
            switch turn.role {
            case .human, .virtualUser:
                append(separator + (turn.role == .human ? "USER:" : "VUSER:"), counted: false, to: &encoded, tokenizer: tokenizer)
                appendExpandingImage(" " + Self.imageFirst(turn.text), counted: turn.role == .virtualUser, to: &encoded, tokenizer: tokenizer)
            case .assistant:
                append(separator + "ASSISTANT:", counted: false, to: &encoded, tokenizer: tokenizer)
                append(" " + turn.text, counted: true, to: &encoded, tokenizer: tokenizer)
                encoded.ids.append(try endOfSequence(tokenizer))
                encoded.labels.append(encoded.ids[encoded.ids.count - 1])
            }
            afterAnswer = turn.role == .assistant
        }
        return encoded
    }

    /// `text` with its `<image>` moved to the start and a newline after it, as LLaVA strips and
    /// joins them (`"<image>"` alone stays so; text without one is unchanged).
    static func imageFirst(_ text: String) -> String {
        guard text.contains("<image>") else { return text }
        let rest = text.replacingOccurrences(of: "<image>", with: "").trimmingCharacters(in: .whitespacesAndNewlines)
        return rest.isEmpty ? "<image>" : "<image>\n" + rest
    }

    /// The prompt for generation: the conversation so far (its answers included) and
    /// ` ASSISTANT:`, nothing labelled.
    public func prompt(_ turns: [Turn], tokenizer: BPETokenizer) throws -> [Int] {
        var encoded = try encode(turns, tokenizer: tokenizer)
        append(" ASSISTANT:", counted: false, to: &encoded, tokenizer: tokenizer)
        return encoded.ids
    }

    private func start(tokenizer: BPETokenizer) throws -> Encoded {
        guard let bos = tokenizer.beginningOfSequenceID else {
            throw ModelError.invalidInput(reason: "the tokenizer has no <s> token")
        }
        var encoded = Encoded(ids: [bos], labels: [CrossEntropy.ignoreIndex])
        append(systemPrompt, counted: false, to: &encoded, tokenizer: tokenizer)
        return encoded
    }

    private func endOfSequence(_ tokenizer: BPETokenizer) throws -> Int {
        guard let eos = tokenizer.endOfSequenceID else { throw ModelError.invalidInput(reason: "the tokenizer has no </s> token") }
        return eos
    }

    private func append(_ text: String, counted: Bool, to encoded: inout Encoded, tokenizer: BPETokenizer) {
        let ids = tokenizer.encode(text)
        encoded.ids += ids
        encoded.labels += counted ? ids : [Int](repeating: CrossEntropy.ignoreIndex, count: ids.count)
    }

    /// Appends text in which `<image>` stands for the image tokens (never counted).
    private func appendExpandingImage(_ text: String, counted: Bool, to encoded: inout Encoded, tokenizer: BPETokenizer) {
        let pieces = text.components(separatedBy: "<image>")
        for (index, piece) in pieces.enumerated() {
            if index > 0 {
                encoded.ids += [Int](repeating: imageTokenID, count: imageTokensPerImage)
                encoded.labels += [Int](repeating: CrossEntropy.ignoreIndex, count: imageTokensPerImage)
            }
            if !piece.isEmpty { append(piece, counted: counted, to: &encoded, tokenizer: tokenizer) }
        }
    }
}
