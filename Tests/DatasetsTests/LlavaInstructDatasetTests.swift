import Testing
@testable import Datasets

/// LLaVA-Med instruct JSON: round trip, extended answers, and each bad input's exact error.
struct LlavaInstructDatasetTests {
    private let record = InstructRecord(
        id: "r1", image: "images/a.png",
        conversations: [.init(speaker: .human, value: "<image>\nIs there a nodule?"), .init(speaker: .gpt, value: "Yes.")],
        extendedAnswers: ["Yes: a small nodule lies in the right upper zone."])

    @Test func roundTripsRecordsWithExtendedAnswers() throws {
        let text = LlavaInstructDataset.encoded([record, InstructRecord(id: "r2", image: nil, conversations: [])])
        let (records, summary) = try LlavaInstructDataset.decode(Array(text.utf8), file: "x.json")
        #expect(records == [record, InstructRecord(id: "r2", image: nil, conversations: [])])
        #expect(summary.loaded == 2 && summary.unknownFields.isEmpty)
    }

    /// LLaVA-Med's own files: no extended answers, extra fields ignored and counted.
    @Test func readsLlavaMedFilesAndCountsUnknownFields() throws {
        let text = #"[{"id": "0001", "image": "PMC1.jpg", "domain": {"chest_xray": true}, "conversations": [{"from": "human", "value": "<image>\nWhat?"}, {"from": "gpt", "value": "A CT."}]}]"#
        let (records, summary) = try LlavaInstructDataset.decode(Array(text.utf8), file: "llava_med.json")
        #expect(records.first?.extendedAnswers == nil && records.first?.answers == ["A CT."])
        #expect(summary.unknownFields == ["domain": 1])
    }

    @Test func rejectsAnUnknownSpeaker() {
        let text = #"[{"id": "a", "conversations": []}, {"id": "b", "conversations": [{"from": "assistant", "value": "x"}]}]"#
        #expect(throws: DatasetError.invalidField(file: "f.json", item: 1, field: "conversations[0].from",
                                                  found: "\"assistant\"", expected: "\"human\" or \"gpt\"")) {
            try LlavaInstructDataset.decode(Array(text.utf8), file: "f.json")
        }
    }

    @Test func rejectsMissingConversationsAndWrongExtendedAnswerCounts() {
        #expect(throws: DatasetError.missingField(file: "f.json", item: 0, field: "conversations")) {
            try LlavaInstructDataset.decode(Array(#"[{"id": "a"}]"#.utf8), file: "f.json")
        }
        let text = #"[{"id": "a", "conversations": [{"from": "human", "value": "q"}, {"from": "gpt", "value": "x"}], "extended_answers": ["y", "z"]}]"#
        #expect(throws: DatasetError.invalidField(file: "f.json", item: 0, field: "extended_answers", found: "2 values",
                                                  expected: "1 strings, one per gpt turn")) {
            try LlavaInstructDataset.decode(Array(text.utf8), file: "f.json")
        }
        #expect(throws: DatasetError.unexpectedTopLevel(file: "f.json", found: "an object", expected: "an array of records")) {
            try LlavaInstructDataset.decode(Array("{}".utf8), file: "f.json")
        }
    }

    /// Conversations the chat template cannot encode are skipped and counted by reason when the
    /// file is read, not met at the training step that first draws them; an image missing from a
    /// later record is still named by its position in the file.
    @Test func skipsConversationsTheTemplateCannotEncode() throws {
        let text = "[" + [
            #"{"id": "gpt-first", "conversations": [{"from": "gpt", "value": "x"}]}"#,
            #"{"id": "no-placeholder", "image": "a.png", "conversations": [{"from": "human", "value": "What?"}, {"from": "gpt", "value": "x"}]}"#,
            #"{"id": "two", "image": "a.png", "conversations": [{"from": "human", "value": "<image><image>"}, {"from": "gpt", "value": "x"}]}"#,
            #"{"id": "no-image", "conversations": [{"from": "human", "value": "<image> What?"}, {"from": "gpt", "value": "x"}]}"#,
            #"{"id": "good", "image": "missing.png", "conversations": [{"from": "human", "value": "<image> What?"}, {"from": "gpt", "value": "x"}]}"#,
        ].joined(separator: ", ") + "]"
        let (records, summary) = try LlavaInstructDataset.decode(Array(text.utf8), file: "f.json")
        #expect(records.map(\.id) == ["good"])
        #expect(summary.loaded == 1 && summary.skipped == [
            "conversation starts with a gpt turn": 1, "image without an <image> placeholder": 1,
            "more than one <image> placeholder": 1, "<image> placeholder without an image": 1,
        ])
        let directory = try DatasetFixtureDirectory()
        defer { directory.remove() }
        let file = try directory.write(text, to: "llava.json")
        #expect(throws: DatasetError.missingImage(file: file, item: 4, image: "missing.png")) {
            try LlavaInstructDataset(contentsOf: file)
        }
    }

    @Test func reportsAMissingImageWithItsIndex() throws {
        let directory = try DatasetFixtureDirectory()
        defer { directory.remove() }
        try directory.write("png", to: "images/a.png")
        let file = try directory.write(LlavaInstructDataset.encoded([record, InstructRecord(id: "r2", image: "images/b.png", conversations: [])]),
                                       to: "llava.json")
        #expect(throws: DatasetError.missingImage(file: file, item: 1, image: "images/b.png")) {
            try LlavaInstructDataset(contentsOf: file)
        }
        #expect(try LlavaInstructDataset(contentsOf: file, checkImages: false).records.count == 2)
    }

    @Test func reportsAnUnreadableFile() {
        #expect(throws: DatasetError.unreadableFile(file: "/nonexistent/llava.json", reason: "no such file")) {
            try LlavaInstructDataset(contentsOf: "/nonexistent/llava.json")
        }
    }
}
