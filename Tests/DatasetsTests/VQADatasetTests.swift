import Testing
@testable import Datasets

/// VQA JSON: VQA-RAD and SLAKE layouts picked by content, their quirks, and each bad input's exact error.
struct VQADatasetTests {
    /// Real VQA-RAD: integer answers and qids, "NULL" placeholders, trailing spaces, image_organ groups.
    @Test func readsVQARADWithIntegerAnswersAndNullStrings() throws {
        let text = #"""
        [{"qid": 1, "image_name": "synpic1.jpg", "image_case_url": "NULL", "image_organ": "HEAD", "answer": 2,
          "answer_type": "OPEN", "question_type": "COUNT", "question": "How many lesions?", "phrase_type": "freeform",
          "qid_linked_id": "NULL", "question_rephrase": "NULL", "question_relation": "NULL", "question_frame": "NULL",
          "evaluation": "not evaluated"},
         {"qid": 2, "image_name": "synpic2.jpg", "image_organ": "CHEST", "answer": "Yes ", "answer_type": "CLOSED ",
          "question_type": "PRES", "question": "Is there an effusion?", "extra": 1},
         {"qid": 3, "image_name": "synpic3.jpg", "image_organ": "ABD", "answer": "NULL", "answer_type": "OPEN",
          "question_type": "NULL", "question": "What?"}]
        """#
        let (layout, items, summary) = try VQADataset.decode(Array(text.utf8), file: "VQA_RAD Dataset Public.json")
        #expect(layout == .vqaRAD)
        #expect(items == [
            VQAItem(id: "1", image: "synpic1.jpg", question: "How many lesions?", answer: "2", answerType: .open,
                    questionType: "COUNT", modality: "HEAD"),
            VQAItem(id: "2", image: "synpic2.jpg", question: "Is there an effusion?", answer: "Yes", answerType: .closed,
                    questionType: "PRES", modality: "CHEST"),
        ])
        #expect(summary.skipped == ["question or answer is \"NULL\"": 1])
        #expect(summary.unknownFields == ["extra": 1])
    }

    /// SLAKE: img_name under imgs/, Chinese questions skipped and counted, content_type as question type.
    @Test func readsSLAKEAndSkipsNonEnglishItems() throws {
        let text = #"""
        [{"img_id": 1, "img_name": "xmlab1/source.jpg", "question": "Which organ is abnormal?", "answer": "Lung",
          "q_lang": "en", "location": "Lung", "modality": "X-Ray", "answer_type": "OPEN", "base_type": "vqa",
          "content_type": "Organ", "triple": ["vhead", "_", "_"], "qid": 7},
         {"img_id": 1, "img_name": "xmlab1/source.jpg", "question": "哪个器官异常?", "answer": "肺", "q_lang": "zh",
          "answer_type": "OPEN", "content_type": "Organ", "qid": 8, "modality": "X-Ray"}]
        """#
        let directory = try DatasetFixtureDirectory()
        defer { directory.remove() }
        try directory.write("jpg", to: "imgs/xmlab1/source.jpg")
        let file = try directory.write(text, to: "test.json")
        let dataset = try VQADataset(contentsOf: file)
        #expect(dataset.layout == .slake)
        #expect(dataset.items == [VQAItem(id: "7", image: "xmlab1/source.jpg", question: "Which organ is abnormal?", answer: "Lung",
                                          answerType: .open, questionType: "Organ", modality: "X-Ray")])
        #expect(dataset.summary.skipped == ["non-English (q_lang zh)": 1])
        #expect(dataset.summary.unknownFields.isEmpty)
    }

    @Test("Items written in a layout read back the same", arguments: [VQADataset.Layout.vqaRAD, .slake])
    func roundTripsMedSynthItems(layout: VQADataset.Layout) throws {
        let items = [VQAItem(id: "m-q0", image: "images/m.png", question: "Is this an MRI image?", answer: "no",
                             answerType: .closed, questionType: "MODALITY", modality: "chest_xray"),
                     VQAItem(id: "m-q1", image: "images/m.png", question: "Which side?", answer: "left",
                             answerType: .open, questionType: "POS", modality: nil)]
        let (found, decoded, summary) = try VQADataset.decode(Array(VQADataset.encoded(items, layout: layout).utf8), file: "vqa.json")
        #expect(found == layout && decoded == items)
        #expect(summary.skipped.isEmpty && summary.unknownFields.isEmpty)
    }

    @Test func rejectsUnrecognisedLayouts() {
        #expect(throws: DatasetError.unrecognisedFormat(file: "q.json", reason: "item 0 has neither \"image_name\" (VQA-RAD) nor \"img_name\" (SLAKE); its fields: image, q")) {
            try VQADataset.decode(Array(#"[{"image": "a.png", "q": "?"}]"#.utf8), file: "q.json")
        }
    }

    @Test func rejectsBadAnswerTypesAndMissingFields() {
        let badType = #"[{"qid": 1, "image_name": "a.jpg", "question": "?", "answer": "yes", "answer_type": "BINARY"}]"#
        #expect(throws: DatasetError.invalidField(file: "q.json", item: 0, field: "answer_type", found: "\"BINARY\"",
                                                  expected: "\"CLOSED\" or \"OPEN\"")) {
            try VQADataset.decode(Array(badType.utf8), file: "q.json")
        }
        let missing = #"[{"qid": 1, "image_name": "a.jpg", "question": "?", "answer_type": "OPEN"}]"#
        #expect(throws: DatasetError.missingField(file: "q.json", item: 0, field: "answer")) {
            try VQADataset.decode(Array(missing.utf8), file: "q.json")
        }
        let wrongType = #"[{"qid": 1, "image_name": ["a.jpg"], "question": "?", "answer": "x", "answer_type": "OPEN"}]"#
        #expect(throws: DatasetError.invalidField(file: "q.json", item: 0, field: "image_name", found: "an array", expected: "a string")) {
            try VQADataset.decode(Array(wrongType.utf8), file: "q.json")
        }
    }

    /// Images are found beside the file or in the folders the public releases use, and a missing one
    /// is named by its position in the file, skipped items counted.
    @Test func findsImagesWhereTheReleasesPutThem() throws {
        let directory = try DatasetFixtureDirectory()
        defer { directory.remove() }
        try directory.write("png", to: "VQA_RAD Image Folder/synpic1.jpg")
        let rad = try directory.write(#"[{"qid": 1, "image_name": "synpic1.jpg", "question": "?", "answer": "x", "answer_type": "OPEN"}]"#,
                                      to: "VQA_RAD Dataset Public.json")
        #expect(try VQADataset(contentsOf: rad).imageFiles == [directory.path + "/VQA_RAD Image Folder/synpic1.jpg"])
        #expect(try VQADataset(contentsOf: rad, imageDirectory: "/elsewhere", checkImages: false).imageFiles == ["/elsewhere/synpic1.jpg"])

        let slake = try directory.write(#"""
            [{"qid": 1, "img_name": "xmlab9/source.jpg", "question": "哪里?", "answer": "肺", "answer_type": "OPEN", "q_lang": "zh"},
             {"qid": 2, "img_name": "xmlab9/source.jpg", "question": "Where?", "answer": "Lung", "answer_type": "OPEN", "q_lang": "en"}]
            """#, to: "slake/test.json")
        #expect(throws: DatasetError.missingImage(file: slake, item: 1, image: "xmlab9/source.jpg")) {
            try VQADataset(contentsOf: slake)
        }
        try directory.write("png", to: "slake/imgs/xmlab9/source.jpg")
        let dataset = try VQADataset(contentsOf: slake)
        #expect(dataset.imageFiles == [directory.path + "/slake/imgs/xmlab9/source.jpg"])
        #expect(dataset.summary.note(file: "test.json") == "test.json: 1 items loaded; skipped 1 (non-English (q_lang zh))")
    }

    /// The summary's line for people: nothing when all loaded, else counts by reason and by field.
    @Test func summaryNotes() {
        var summary = DatasetLoadSummary()
        summary.loaded = 5
        #expect(summary.note(file: "a.json") == nil)
        summary.skip("non-English (q_lang zh)")
        summary.skip("non-English (q_lang zh)")
        summary.skip("question or answer is \"NULL\"")
        summary.noteUnknown(["triple", "answer_en"])
        summary.noteUnknown(["triple"])
        #expect(summary.note(file: "a.json") == "a.json: 5 items loaded; skipped 2 (non-English (q_lang zh)), "
            + "1 (question or answer is \"NULL\"); unknown fields ignored: answer_en (in 1), triple (in 2)")
    }

    @Test func reportsMissingImagesAndMalformedJSON() throws {
        let directory = try DatasetFixtureDirectory()
        defer { directory.remove() }
        let file = try directory.write(#"[{"qid": 1, "image_name": "gone.jpg", "question": "?", "answer": "x", "answer_type": "OPEN"}]"#,
                                       to: "vqa.json")
        #expect(throws: DatasetError.missingImage(file: file, item: 0, image: "gone.jpg")) {
            try VQADataset(contentsOf: file)
        }
        let broken = try directory.write("[\n{\"qid\": 1,\n \"answer\" \"x\"}]", to: "broken.json")
        #expect(throws: DatasetError.malformedJSON(file: broken, line: 3, column: 11,
                                                   reason: "expected ':' after member name \"answer\", found '\"'")) {
            try VQADataset(contentsOf: broken)
        }
    }
}
