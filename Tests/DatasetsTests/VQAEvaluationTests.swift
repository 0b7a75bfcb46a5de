import Reporting
import Testing
@testable import Datasets

/// Aggregation per answer type and modality, and the results table.
struct VQAEvaluationTests {
    private func item(_ id: String, _ answer: String, _ type: VQAItem.AnswerType, _ modality: String,
                      questionType: String = "PRES") -> VQAItem {
        VQAItem(id: id, image: "i.png", question: "?", answer: answer, answerType: type, questionType: questionType, modality: modality)
    }

    @Test func aggregatesPerAnswerTypeAndModality() throws {
        let items = [item("1", "yes", .closed, "ct"), item("2", "no", .closed, "ct"), item("3", "yes", .closed, "mri"),
                     item("4", "left", .open, "ct")]
        let evaluation = try VQAEvaluation(items: items, predictions: ["Yes.", "nodule", "yes", "on the left"])
        #expect(evaluation.groups.map(\.name) == ["all", "CLOSED", "OPEN", "CLOSED ct", "CLOSED mri", "OPEN ct"])
        let closed = try #require(evaluation.groups.first { $0.name == "CLOSED" })
        #expect(closed.closedAccuracy == 2.0 / 3 && closed.strictYesNoAccuracy == 2.0 / 3)
        #expect(closed.closedMajorityBaseline == 2.0 / 3)
        let open = try #require(evaluation.groups.first { $0.name == "OPEN ct" })
        #expect(open.openRecall == 1 && open.openExactMatch == 0 && open.closedAccuracy == nil)
        let json = evaluation.table(title: "t").rendered(as: .json)
        #expect(json.contains(#""group":"CLOSED ct","items":2,"closed acc %":50.0"#))
    }

    @Test func aggregatesPerQuestionTypeWhenThereAreSeveral() throws {
        let items = [item("1", "yes", .closed, "ct", questionType: "POS"), item("2", "no", .closed, "ct", questionType: "SIZE"),
                     item("3", "yes", .closed, "ct", questionType: "POS"), item("4", "large", .open, "ct", questionType: "SIZE")]
        let evaluation = try VQAEvaluation(items: items, predictions: ["yes", "yes", "no", "large"])
        #expect(evaluation.groups.map(\.name) == ["all", "CLOSED", "OPEN", "CLOSED ct", "OPEN ct", "CLOSED question type POS",
                                                  "CLOSED question type SIZE", "OPEN question type SIZE"])
        let position = try #require(evaluation.groups.first { $0.name == "CLOSED question type POS" })
        #expect(position.count == 2 && position.closedAccuracy == 0.5)
        let size = try #require(evaluation.groups.first { $0.name == "OPEN question type SIZE" })
        #expect(size.openExactMatch == 1)
    }

    @Test func rejectsMismatchedPredictionCounts() {
        #expect(throws: DatasetError.invalidOption(name: "predictions", value: "0 answers", expected: "1, one per item")) {
            try VQAEvaluation(items: [item("1", "yes", .closed, "ct")], predictions: [])
        }
    }

    /// Closed outcomes in item order, and the paired error of a difference: a = 1100, b = 0101 gives
    /// differences 1, 0, 0, −1 (mean 0, sample variance 2/3), so √(2/3 / 4).
    @Test func pairsClosedOutcomesForTheErrorOfAGain() throws {
        let items = ["a", "b", "c", "d"].map { item($0, "yes", .closed, "ct") } + [item("e", "lung", .open, "ct")]
        let first = try VQAEvaluation(items: items, predictions: ["yes", "yes", "no", "no", "lung"])
        let second = try VQAEvaluation(items: items, predictions: ["no", "yes", "no", "yes", "liver"])
        #expect(first.closedOutcomes == [true, true, false, false] && second.closedOutcomes == [false, true, false, true])
        let error = try #require(VQAEvaluation.pairedStandardError(of: first.closedOutcomes, minus: second.closedOutcomes))
        #expect(abs(error - (2.0 / 3 / 4).squareRoot()) < 1e-12)
        #expect(VQAEvaluation.pairedStandardError(of: [true], minus: [false]) == nil)
        #expect(VQAEvaluation.pairedStandardError(of: [true, false], minus: [false]) == nil)
    }
}
