import Foundation
@testable import Model
import Tensor
import Testing

struct ChatTemplateTests {
    static func tokenizer() throws -> BPETokenizer {
        try BPETokenizer(contentsOf: #require(Bundle.module.url(forResource: "Fixtures/tokenizer.json", withExtension: nil)))
    }

    static let conversation: [ChatTemplate.Turn] = [
        .init(role: .human, text: "<image>\nIs there a nodule?"), .init(role: .assistant, text: "Yes."),
        .init(role: .human, text: "Which side?"), .init(role: .assistant, text: "The right lung."),
    ]

    /// Only answers and their </s> are labelled; the image expands to its token count; decoding
    /// the ids gives back the vicuna_v1 text.
    @Test func encodesVicunaTemplateWithAnswerOnlyLabels() throws {
        let tokenizer = try Self.tokenizer()
        let template = ChatTemplate(systemPrompt: "SYSTEM.", imageTokensPerImage: 4, imageTokenID: try #require(tokenizer.imageTokenID))
        let encoded = try template.encode(Self.conversation, tokenizer: tokenizer)
        #expect(encoded.ids.count == encoded.labels.count)
        #expect(encoded.ids.filter { $0 == template.imageTokenID }.count == 4)
        let text = tokenizer.decode(encoded.ids.filter { $0 != template.imageTokenID }, skipSpecialTokens: false)
        #expect(text == "<s>SYSTEM. USER: \nIs there a nodule? ASSISTANT: Yes.</s>USER: Which side? ASSISTANT: The right lung.</s>")
        let labelled = encoded.labels.filter { $0 != CrossEntropy.ignoreIndex }
        #expect(tokenizer.decode(labelled, skipSpecialTokens: false) == " Yes.</s> The right lung.</s>")
    }

    /// The ids are the whole text's, tokenized at once with `<image>` as one token and then
    /// expanded (LLaVA's `tokenizer_image_token`): no turn boundary splits a word from its space.
    @Test func idsAreTheWholeTextTokenizedAtOnce() throws {
        let tokenizer = try Self.tokenizer()
        let image = try #require(tokenizer.imageTokenID)
        let template = ChatTemplate(systemPrompt: "SYSTEM.", imageTokensPerImage: 3, imageTokenID: image)
        let whole = tokenizer.encode("<s>SYSTEM. USER: <image>\nIs there a nodule? ASSISTANT: Yes.</s>USER: Which side? "
                                     + "ASSISTANT: The right lung.</s>")
        #expect(whole.filter { $0 == image }.count == 1)
        let expanded = whole.flatMap { $0 == image ? [Int](repeating: image, count: 3) : [$0] }
        #expect(try template.encode(Self.conversation, tokenizer: tokenizer).ids == expanded)
    }

    /// LLaVA moves a turn's image to its start: "Q\n<image>" encodes as "<image>\nQ".
    @Test func movesTheImageToTheStartOfItsTurn() throws {
        let tokenizer = try Self.tokenizer()
        let template = ChatTemplate(imageTokensPerImage: 2, imageTokenID: try #require(tokenizer.imageTokenID))
        var moved = Self.conversation
        moved[0].text = "Is there a nodule?\n<image>"
        #expect(try template.encode(moved, tokenizer: tokenizer) == template.encode(Self.conversation, tokenizer: tokenizer))
        #expect(ChatTemplate.imageFirst("What is it? <image> ") == "<image>\nWhat is it?")
        #expect(ChatTemplate.imageFirst("No image here.") == "No image here.")
        #expect(ChatTemplate.imageFirst(" <image>\n") == "<image>")
    }

    /// A virtual-user turn's question is labelled, its `VUSER:` prefix is not.
    @Test func countsVirtualUserQuestions() throws {
        let tokenizer = try Self.tokenizer()
        let template = ChatTemplate(systemPrompt: "", imageTokensPerImage: 1, imageTokenID: try #require(tokenizer.imageTokenID))
        var turns = Self.conversation
        turns[2].role = .virtualUser
        let encoded = try template.encode(turns, tokenizer: tokenizer)
        let labelled = encoded.labels.filter { $0 != CrossEntropy.ignoreIndex }
        #expect(tokenizer.decode(labelled, skipSpecialTokens: false) == " Yes.</s> Which side? The right lung.</s>")
    }

    @Test func promptEndsWithAssistantCue() throws {
        let tokenizer = try Self.tokenizer()
        let template = ChatTemplate(systemPrompt: "S.", imageTokensPerImage: 2, imageTokenID: try #require(tokenizer.imageTokenID))
        let ids = try template.prompt([.init(role: .human, text: "<image>\nWhat modality?")], tokenizer: tokenizer)
        #expect(tokenizer.decode(ids, skipSpecialTokens: true).hasSuffix("What modality? ASSISTANT:"))
    }

    @Test func rejectsConversationsItCannotEncode() throws {
        let tokenizer = try Self.tokenizer()
        let template = ChatTemplate(imageTokensPerImage: 1, imageTokenID: 3)
        #expect(throws: ModelError.invalidInput(reason: "a conversation must start with a human turn")) {
            try template.encode([.init(role: .assistant, text: "Hi")], tokenizer: tokenizer)
        }
        #expect(throws: ModelError.invalidInput(reason: "more than one <image> in a conversation")) {
            try template.encode([.init(role: .human, text: "<image><image>")], tokenizer: tokenizer)
        }
    }
}
