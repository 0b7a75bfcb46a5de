import Testing
@testable import Datasets

/// The per-item scores of ALGORITHMS.md §6, worked by hand.
struct VQAMetricsTests {
    @Test func normalisesCaseAndPunctuation() {
        #expect(AnswerNormalizer.normalized("  The Nodule, LEFT-side!! ") == "the nodule left side")
        #expect(AnswerNormalizer.tokens("Yes, 2 nodules.") == ["yes", "2", "nodules"])
    }

    /// "no" never matches "nodule"; matches need whole words in order.
    @Test func matchesClosedAnswersAsWholeWords() {
        #expect(!VQAMetrics.closedCorrect(prediction: "a nodule is seen", groundTruth: "no"))
        #expect(VQAMetrics.closedCorrect(prediction: "No, there is none.", groundTruth: "no"))
        #expect(VQAMetrics.closedCorrect(prediction: "It is in the Left lung", groundTruth: "left lung"))
        #expect(!VQAMetrics.closedCorrect(prediction: "lung left", groundTruth: "left lung"))
        #expect(!VQAMetrics.closedCorrect(prediction: "", groundTruth: "yes"))
    }

    @Test func scoresStrictYesNo() {
        #expect(VQAMetrics.strictYesNoCorrect(prediction: "Yes.", groundTruth: "yes") == true)
        #expect(VQAMetrics.strictYesNoCorrect(prediction: "yes and no", groundTruth: "yes") == false)
        #expect(VQAMetrics.strictYesNoCorrect(prediction: "nodule", groundTruth: "no") == false)
        #expect(VQAMetrics.strictYesNoCorrect(prediction: "left", groundTruth: "left") == nil)
    }

    /// Truth "left upper lobe" (3 tokens) against "the left lobe": recall 2/3; precision 2/3; F1 2/3.
    @Test func scoresOpenAnswers() {
        #expect(VQAMetrics.openRecall(prediction: "the left lobe", groundTruth: "left upper lobe") == 2.0 / 3)
        #expect(abs(VQAMetrics.tokenF1(prediction: "the left lobe", groundTruth: "left upper lobe") - 2.0 / 3) < 1e-12)
        #expect(VQAMetrics.exactMatch(prediction: "X-ray.", groundTruth: "x ray"))
        #expect(VQAMetrics.tokenF1(prediction: "", groundTruth: "") == 1)
        #expect(VQAMetrics.tokenF1(prediction: "two", groundTruth: "2") == 0)
    }

    @Test func computesTheMajorityBaseline() {
        #expect(VQAMetrics.majorityBaseline(groundTruths: ["yes", "Yes", "no", "yes."]) == 0.75)
        #expect(VQAMetrics.majorityBaseline(groundTruths: []) == 0)
    }
}
