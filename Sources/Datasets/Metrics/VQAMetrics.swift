/// Per-item VQA scores as LLaVA-Med's evaluation computes them (ALGORITHMS.md §6), all on
/// ``AnswerNormalizer`` tokens; pure functions.
public enum VQAMetrics {
    /// Closed accuracy: the normalised ground truth appears in the normalised prediction as whole
    /// words, contiguous and in order ("no" never matches "nodule"; "no" matches "no, there is none").
    public static func closedCorrect(prediction: String, groundTruth: String) -> Bool {
        let truth = AnswerNormalizer.tokens(groundTruth), predicted = AnswerNormalizer.tokens(prediction)
        guard !truth.isEmpty, truth.count <= predicted.count else { return false }
        return (0...(predicted.count - truth.count)).contains { start in
            Array(predicted[start..<start + truth.count]) == truth
        }
    }

    /// Strict yes/no accuracy, for ground truths "yes" or "no" (`nil` otherwise): correct when the
    /// prediction contains the ground truth's word and not the other one ("yes and no" is wrong).
    public static func strictYesNoCorrect(prediction: String, groundTruth: String) -> Bool? {
        let truth = AnswerNormalizer.normalized(groundTruth)
        guard truth == "yes" || truth == "no" else { return nil }
        let words = Set(AnswerNormalizer.tokens(prediction))
        return words.contains(truth) && !words.contains(truth == "yes" ? "no" : "yes")
    }

    /// Open recall: the share of ground-truth tokens present in the prediction (0 for an empty truth).
    public static func openRecall(prediction: String, groundTruth: String) -> Double {
        let truth = AnswerNormalizer.tokens(groundTruth)
        guard !truth.isEmpty else { return 0 }
        let predicted = Set(AnswerNormalizer.tokens(prediction))
        return Double(truth.filter { predicted.contains($0) }.count) / Double(truth.count)
    }

    /// Exact match of the normalised texts.
    public static func exactMatch(prediction: String, groundTruth: String) -> Bool {
        AnswerNormalizer.normalized(prediction) == AnswerNormalizer.normalized(groundTruth)
    }

    /// Token F1 (SQuAD's): `2PR / (P + R)` with P and R from the multiset overlap of the token lists;
    /// 1 when both are empty, 0 when only one is.
    public static func tokenF1(prediction: String, groundTruth: String) -> Double {
        let predicted = AnswerNormalizer.tokens(prediction), truth = AnswerNormalizer.tokens(groundTruth)
        if predicted.isEmpty || truth.isEmpty { return predicted.isEmpty && truth.isEmpty ? 1 : 0 }
        var remaining: [String: Int] = [:]
        for token in truth { remaining[token, default: 0] += 1 }
        var overlap = 0
        for token in predicted where (remaining[token] ?? 0) > 0 {
            remaining[token, default: 0] -= 1
            overlap += 1
        }
        guard overlap > 0 else { return 0 }
        let precision = Double(overlap) / Double(predicted.count), recall = Double(overlap) / Double(truth.count)
        return 2 * precision * recall / (precision + recall)
    }

    /// The majority-class baseline: the share of the most frequent normalised answer (0 for none).
    public static func majorityBaseline(groundTruths: [String]) -> Double {
        guard !groundTruths.isEmpty else { return 0 }
        var counts: [String: Int] = [:]
        for truth in groundTruths { counts[AnswerNormalizer.normalized(truth), default: 0] += 1 }
        return Double(counts.values.max() ?? 0) / Double(groundTruths.count)
    }
}
