import Reporting

/// VQA scores aggregated over all items, per answer type and per modality (ALGORITHMS.md §6), and
/// per question type (what a model has learned: modality, presence, position, size, count…), with
/// the majority-class baseline beside closed accuracy.
///
/// ```swift
/// let evaluation = try VQAEvaluation(items: dataset.items, predictions: answers)
/// print(evaluation.table(title: "global test").rendered(as: .text))
/// ```
public struct VQAEvaluation: Sendable, Equatable {
    /// The scores of one group of items (all, one answer type, or one answer type within one modality).
    public struct Group: Sendable, Equatable {
        /// "all", "CLOSED", "OPEN", "CLOSED chest_xray", …, "CLOSED question type POS", …
        public var name: String
        /// The number of items.
        public var count: Int
        /// Closed items: share correct by ``VQAMetrics/closedCorrect(prediction:groundTruth:)``; `nil` without closed items.
        public var closedAccuracy: Double?
        /// Standard error of `closedAccuracy`, `sqrt(p(1 − p)/n)`.
        public var closedStandardError: Double?
        /// Strict yes/no accuracy over closed items whose truth is yes or no.
        public var strictYesNoAccuracy: Double?
        /// The majority-class share among closed items.
        public var closedMajorityBaseline: Double?
        /// Open items: mean recall of ground-truth tokens.
        public var openRecall: Double?
        /// Open items: exact-match share.
        public var openExactMatch: Double?
        /// Open items: mean token F1.
        public var openF1: Double?
    }

    /// The groups: "all", each answer type, each answer type × modality (modalities sorted), then each
    /// answer type × question type (sorted) when the items have more than one question type.
    public let groups: [Group]
    /// Whether each closed item was answered correctly, in item order: for paired comparisons of
    /// two models on the same items (``pairedStandardError(of:minus:)``).
    public let closedOutcomes: [Bool]

    /// Scores `predictions[i]` against `items[i]`.
    /// - Throws: `DatasetError.invalidOption` when the counts differ.
    public init(items: [VQAItem], predictions: [String]) throws(DatasetError) {
        guard items.count == predictions.count else {
            throw .invalidOption(name: "predictions", value: "\(predictions.count) answers", expected: "\(items.count), one per item")
        }
        let scored = Array(zip(items, predictions))
        var groups = [Self.group("all", scored)]
        for type in VQAItem.AnswerType.allCases {
            let ofType = scored.filter { $0.0.answerType == type }
            guard !ofType.isEmpty else { continue }
            groups.append(Self.group(type.rawValue, ofType))
        }
        let modalities = Set(items.compactMap(\.modality)).sorted()
        for type in VQAItem.AnswerType.allCases {
            for modality in modalities {
                let subset = scored.filter { $0.0.answerType == type && $0.0.modality == modality }
                guard !subset.isEmpty else { continue }
                groups.append(Self.group("\(type.rawValue) \(modality)", subset))
            }
        }
        let questionTypes = Set(items.map(\.questionType)).sorted()
        for type in VQAItem.AnswerType.allCases where questionTypes.count > 1 {
            for questionType in questionTypes {
                let subset = scored.filter { $0.0.answerType == type && $0.0.questionType == questionType }
                guard !subset.isEmpty else { continue }
                groups.append(Self.group("\(type.rawValue) question type \(questionType)", subset))
            }
        }
        self.groups = groups
        closedOutcomes = scored.filter { $0.0.answerType == .closed }
            .map { VQAMetrics.closedCorrect(prediction: $0.1, groundTruth: $0.0.answer) }
    }

    /// The standard error of the difference in closed accuracy between two models that answered the
    /// same closed items, `sd(aᵢ − bᵢ) / √n` with aᵢ, bᵢ ∈ {0, 1}: pairing removes the items both
    /// get right or wrong, so it is smaller than either model's own error combined. `nil` unless
    /// both have the same number (at least 2) of closed items.
    public static func pairedStandardError(of a: [Bool], minus b: [Bool]) -> Double? {
        guard a.count == b.count, a.count >= 2 else { return nil }
        let differences = zip(a, b).map { Double(($0 ? 1 : 0) - ($1 ? 1 : 0)) }
        let mean = differences.reduce(0, +) / Double(differences.count)
        let variance = differences.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(differences.count - 1)
        return (variance / Double(differences.count)).squareRoot()
    }

    private static func group(_ name: String, _ scored: [(VQAItem, String)]) -> Group {
        func mean(_ values: [Double]) -> Double? { values.isEmpty ? nil : values.reduce(0, +) / Double(values.count) }
        let closed = scored.filter { $0.0.answerType == .closed }
        let open = scored.filter { $0.0.answerType == .open }
        let accuracy = mean(closed.map { VQAMetrics.closedCorrect(prediction: $0.1, groundTruth: $0.0.answer) ? 1 : 0 })
        return Group(
            name: name, count: scored.count,
            closedAccuracy: accuracy,
            closedStandardError: accuracy.map { ($0 * (1 - $0) / Double(closed.count)).squareRoot() },
            strictYesNoAccuracy: mean(closed.compactMap { VQAMetrics.strictYesNoCorrect(prediction: $0.1, groundTruth: $0.0.answer) }.map { $0 ? 1 : 0 }),
            closedMajorityBaseline: closed.isEmpty ? nil : VQAMetrics.majorityBaseline(groundTruths: closed.map(\.0.answer)),
            openRecall: mean(open.map { VQAMetrics.openRecall(prediction: $0.1, groundTruth: $0.0.answer) }),
            openExactMatch: mean(open.map { VQAMetrics.exactMatch(prediction: $0.1, groundTruth: $0.0.answer) ? 1 : 0 }),
            openF1: mean(open.map { VQAMetrics.tokenF1(prediction: $0.1, groundTruth: $0.0.answer) }))
    }

    /// The groups as a results table (shares in percent, one decimal).
    public func table(title: String) -> ResultsTable {
        var table = ResultsTable(title: title, columns: ["group", "items", "closed acc %", "± se", "strict yes/no %",
                                                         "majority %", "open recall %", "exact %", "F1 %"])
        func percent(_ value: Double?) -> ResultsTable.Cell { value.map { .number($0 * 100, decimals: 1) } ?? .missing }
        for group in groups {
            table.append([.text(group.name), .integer(group.count), percent(group.closedAccuracy), percent(group.closedStandardError),
                          percent(group.strictYesNoAccuracy), percent(group.closedMajorityBaseline), percent(group.openRecall),
                          percent(group.openExactMatch), percent(group.openF1)])
        }
        table.notes.append("closed: ground truth as whole words in the prediction; majority: most frequent closed answer's share")
        return table
    }
}
