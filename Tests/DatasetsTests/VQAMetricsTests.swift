import Testing
@testable import Datasets

/// The per-item scores of ALGORITHMS.md §6, worked by hand.
struct VQAMetricsTests {
    @Test func normalisesCaseAndPunctuation() {
        #expect(AnswerNormalizer.normalized("  The Nodule, LEFT-side!! ") == "nodule left side")
        #expect(AnswerNormalizer.tokens("Yes, 2 nodules.") == ["yes", "2", "nodules"])
    }

    /// As LLaVA-Med's `normalize_word`: number words as digits, articles dropped, decimals kept.
    @Test func normalisesNumbersAndArticlesAsLLaVAMed() {
        #expect(AnswerNormalizer.tokens("There are Two nodules, an effusion and none else.")
            == ["there", "are", "2", "nodules", "effusion", "and", "0", "else"])
        #expect(AnswerNormalizer.tokens("1.5 cm. Stage 2.") == ["1.5", "cm", "stage", "2"])
        #expect(AnswerNormalizer.tokens("a.b 3.x .5") == ["b", "3", "x", "5"])
        #expect(VQAMetrics.openRecall(prediction: "There are two nodules.", groundTruth: "2") == 1)
        #expect(VQAMetrics.openRecall(prediction: "5 cm", groundTruth: "1.5 cm") == 0.5)
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

    /// Truth "left upper lobe" (3 tokens) against "the left lobe" ("the" dropped): recall 2/3,
    /// precision 2/2, F1 0.8.
    @Test func scoresOpenAnswers() {
        #expect(VQAMetrics.openRecall(prediction: "the left lobe", groundTruth: "left upper lobe") == 2.0 / 3)
        #expect(abs(VQAMetrics.tokenF1(prediction: "the left lobe", groundTruth: "left upper lobe") - 0.8) < 1e-12)
        #expect(VQAMetrics.exactMatch(prediction: "X-ray.", groundTruth: "x ray"))
        #expect(VQAMetrics.tokenF1(prediction: "", groundTruth: "") == 1)
        #expect(VQAMetrics.tokenF1(prediction: "two", groundTruth: "2") == 1)
        #expect(VQAMetrics.tokenF1(prediction: "three", groundTruth: "2") == 0)
    }

    @Test func computesTheMajorityBaseline() {
        #expect(VQAMetrics.majorityBaseline(groundTruths: ["yes", "Yes", "no", "yes."]) == 0.75)
        #expect(VQAMetrics.majorityBaseline(groundTruths: []) == 0)
    }
}
