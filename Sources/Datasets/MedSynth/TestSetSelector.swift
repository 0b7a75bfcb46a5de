import Tensor

/// Chooses a held-out test set's items from candidate items: half closed and half open, closed
/// items in yes/no pairs of the same question type (so yes and no balance within every type), and
/// types taken in turn so that none dominates.
enum TestSetSelector {
    /// Up to `count` items from `candidates`, in a deterministic order drawn from `generator`.
    static func select(_ candidates: [VQAItem], count: Int, generator: inout SeededGenerator) -> [VQAItem] {
        let shuffled = generator.shuffled(candidates)
        let closedQuota = count / 2
        var yes: [String: [VQAItem]] = [:], no: [String: [VQAItem]] = [:], open: [String: [VQAItem]] = [:]
        var closedTypes: [String] = [], openTypes: [String] = []
        for item in shuffled {
            switch item.answerType {
            case .closed:
                if yes[item.questionType] == nil, no[item.questionType] == nil { closedTypes.append(item.questionType) }
                if item.answer == "yes" { yes[item.questionType, default: []].append(item) } else { no[item.questionType, default: []].append(item) }
            case .open:
                if open[item.questionType] == nil { openTypes.append(item.questionType) }
                open[item.questionType, default: []].append(item)
            }
        }
        var selected: [VQAItem] = []
        var closedTaken = 0
        var progress = true
        while closedTaken < closedQuota, progress {
            progress = false
            for type in closedTypes where closedTaken < closedQuota {
                guard let yesItem = yes[type]?.popLast(), let noItem = no[type]?.popLast() else { continue }
                selected.append(yesItem)
                closedTaken += 1
                if closedTaken < closedQuota {
                    selected.append(noItem)
                    closedTaken += 1
                }
                progress = true
            }
        }
        progress = true
        while selected.count < count, progress {
            progress = false
            for type in openTypes where selected.count < count {
                guard let item = open[type]?.popLast() else { continue }
                selected.append(item)
                progress = true
            }
        }
        return selected
    }
}
