import Protocols

/// Which of a site's labelled files the autoregressive objective trains on: the plan's `ar`
/// objective option `examples` — `"all"` (default: conversations, then VQA questions as one-turn
/// conversations), `"conversations"` (LLaVA-Med instruct JSON) or `"vqa"` (short answers, the
/// format the VQA metrics score). A plan field, so every site trains on the same kind of data.
public enum LabelledExamples: String, Sendable, CaseIterable {
    case all, conversations, vqa

    public var includesConversations: Bool { self != .vqa }
    public var includesQuestions: Bool { self != .conversations }
}

extension TrainingPlan {
    /// The `ar` objective's `examples` option.
    /// - Throws: ``PlanBindingError/invalidObjectiveOption(objective:option:value:expected:)``.
    public func labelledExamples() throws -> LabelledExamples {
        guard let value = objectives.first(where: { $0.name == "ar" })?.options["examples"] else { return .all }
        guard case let .string(text) = value, let examples = LabelledExamples(rawValue: text) else {
            throw PlanBindingError.invalidObjectiveOption(objective: "ar", option: "examples", value: "\(value)",
                                                          expected: LabelledExamples.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))
        }
        return examples
    }
}
