import Tensor

/// Writes LLaVA-Med style conversations (1–4 question–answer turns) grounded in a study's findings,
/// and for each answer an extended answer: longer, other words, the same facts plus what a clinician
/// would explain (LoGra-Med's third view, ALGORITHMS.md §3).
enum ConversationWriter {
    /// What one turn asks about.
    private enum Topic {
        case description
        case presence(FindingType)
        case location(Finding)
        case size(Finding)
        case count(Finding)
        case modality
    }

    /// The conversation turns and the extended answers (one per gpt turn) for `study`.
    static func conversation(for study: Study, generator: inout SeededGenerator)
        -> (turns: [InstructRecord.Turn], extendedAnswers: [String]) {
        var topics: [Topic] = [.description, .modality]
        for type in study.modality.findingTypes {
            topics.append(.presence(type))
        }
        for finding in study.findings {
            if finding.type.hasSide || finding.type.hasRegion { topics.append(.location(finding)) }
            if finding.type.hasSize { topics.append(.size(finding)) }
            if finding.type.isCountable { topics.append(.count(finding)) }
        }
        let turnCount = generator.integer(in: 1...4)
        var chosen = Array(generator.shuffled(topics).prefix(turnCount))
        // Half the conversations open with a description request, as LLaVA-Med's do.
        if generator.chance(0.5), let index = chosen.firstIndex(where: { if case .description = $0 { true } else { false } }) {
            chosen.swapAt(0, index)
        }
        var turns: [InstructRecord.Turn] = []
        var extended: [String] = []
        for (index, topic) in chosen.enumerated() {
            var question = self.question(topic, study: study, generator: &generator)
            if index == 0 {
                question = generator.chance(0.5)
                    ? InstructRecord.imagePlaceholder + "\n" + question
                    : question + "\n" + InstructRecord.imagePlaceholder
            }
            turns.append(.init(speaker: .human, value: question))
            turns.append(.init(speaker: .gpt, value: answer(topic, study: study, generator: &generator)))
            extended.append(extendedAnswer(topic, study: study, generator: &generator))
        }
        return (turns, extended)
    }

    private static func question(_ topic: Topic, study: Study, generator: inout SeededGenerator) -> String {
        let studyName = Phrasebook.studyName(study.modality, generator: &generator)
        switch topic {
        case .description:
            return generator.pick(["Describe the findings in this image.", "What do you see in this \(studyName)?",
                                   "Can you describe the image in detail?", "Summarise what this image shows."])
        case .presence(let type):
            let name = Phrasebook.name(of: type, generator: &generator)
            return generator.pick(["\(Phrasebook.isThere(name)) in this image?", "Does this \(studyName) show \(Phrasebook.indefinite(name))?",
                                   "Can you see \(Phrasebook.indefinite(name)) here?"])
        case .location(let finding):
            let name = Phrasebook.name(of: finding.type, generator: &generator)
            return generator.pick(["Where is \(Phrasebook.definite(name)) located?", "Which side and part is \(Phrasebook.definite(name)) in?",
                                   "Where can \(Phrasebook.definite(name)) be seen?"])
        case .size(let finding):
            let name = Phrasebook.name(of: finding.type, generator: &generator)
            return generator.pick(["How large is \(Phrasebook.definite(name))?", "What size is \(Phrasebook.definite(name))?",
                                   "How big is \(Phrasebook.definite(name))?"])
        case .count(let finding):
            return generator.pick(["How many \(finding.type.plural) are there?", "How many \(finding.type.plural) can you count?"])
        case .modality:
            return generator.pick(["What type of imaging is this?", "What imaging modality was used?", "Which kind of image is this?"])
        }
    }

    private static func answer(_ topic: Topic, study: Study, generator: inout SeededGenerator) -> String {
        switch topic {
        case .description:
            return ReportWriter.report(for: study, style: .narrative, centimetres: false, generator: &generator)
        case .presence(let type):
            guard let finding = study.finding(of: type) else {
                return generator.pick(["No, there is no \(type.name).", "No \(type.name) is seen.", "No."])
            }
            return "Yes, there " + (finding.count > 1 ? "are " : "is ") + Phrasebook.phrase(for: finding, generator: &generator)
                + " " + Phrasebook.location(of: finding, generator: &generator) + "."
        case .location(let finding):
            return ReportWriter.capitalised(generator.pick(["it is ", "it lies ", ""]) + Phrasebook.location(of: finding, generator: &generator)) + "."
        case .size(let finding):
            let size = Phrasebook.size(finding, modality: study.modality, centimetres: generator.chance(0.2)) ?? ""
            let sizeClass = finding.sizeClass?.rawValue ?? ""
            return generator.pick(["It measures \(size), which is \(sizeClass).", "It is \(sizeClass), about \(size).",
                                   "\(ReportWriter.capitalised(sizeClass)): roughly \(size) across."])
        case .count(let finding):
            let count = Phrasebook.count(finding.count, generator: &generator)
            return finding.count > 1 ? "There are \(count) \(finding.type.plural)." : "There is \(count) \(finding.type.singular)."
        case .modality:
            return "This is \(Phrasebook.indefinite(Phrasebook.studyName(study.modality, generator: &generator)))."
        }
    }

    private static func extendedAnswer(_ topic: Topic, study: Study, generator: inout SeededGenerator) -> String {
        let studyName = Phrasebook.studyName(study.modality, generator: &generator)
        let opening = generator.pick(["Looking carefully at this \(studyName), ", "On review of the \(studyName), ",
                                      "Based on what the \(studyName) shows, "])
        switch topic {
        case .description:
            let report = ReportWriter.report(for: study, style: .structured, centimetres: false, generator: &generator)
            let context = study.findings.map { ReportWriter.capitalised($0.type.explanation) + "." }.joined(separator: " ")
            return opening + "the overall impression is as follows. " + report + (context.isEmpty ? " Nothing needs follow-up." : " " + context)
        case .presence(let type):
            guard let finding = study.finding(of: type) else {
                return opening + "there is no sign of \(Phrasebook.indefinite(Phrasebook.name(of: type, generator: &generator))). "
                    + ReportWriter.capitalised(type.explanation) + ", and no such appearance is present here."
            }
            return opening + "the answer is yes: " + Phrasebook.phrase(for: finding, generator: &generator) + " can be seen "
                + Phrasebook.location(of: finding, generator: &generator) + ". " + ReportWriter.capitalised(type.explanation) + "."
        case .location(let finding):
            let place = Phrasebook.location(of: finding, generator: &generator)
            let onSlide = study.modality == .histopathology
            let side = finding.side.map { onSlide ? "the \($0.rawValue) side of the field" : "the patient's \($0.rawValue) side" } ?? "the centre"
            let verb = finding.count > 1 || finding.type == .atypicalCells ? "are" : "is"
            return opening + "the \(Phrasebook.noun(of: finding.type, count: finding.count)) \(verb) found \(place), that is on \(side)"
                + (finding.region.map { ", in the \($0.rawValue) part" } ?? "") + ". "
                + (onSlide ? "On a slide, sides are those of the image as displayed."
                           : "Images follow the usual convention, so the patient's right appears on the left of the image.")
        case .size(let finding):
            let millimetres = Phrasebook.size(finding, modality: study.modality, centimetres: false) ?? ""
            let sizeClass = finding.sizeClass?.rawValue ?? ""
            let range = finding.sizeClass == .small ? finding.type.sizeRanges.small : finding.type.sizeRanges.large
            return opening + "the \(finding.type.singular) measures about \(millimetres) across its largest diameter. "
                + "That places it in the \(sizeClass) category (\(range.lowerBound)–\(range.upperBound) \(study.modality.sizeUnit)), "
                + "and size matters because larger lesions more often need further work-up."
        case .count(let finding):
            return opening + "I count \(finding.count) \(Phrasebook.noun(of: finding.type, count: finding.count)) in total "
                + Phrasebook.location(of: finding, generator: &generator) + ". "
                + (finding.count > 1 ? "Several lesions together can point to a more widespread process." : "A single lesion is easier to follow up.")
        case .modality:
            let detail: String = switch study.modality {
            case .chestXRay: "a projection radiograph in which dense structures such as bone and fluid look bright and air-filled lung looks dark"
            case .brainMRI: "a magnetic resonance image of the head, showing the skull, the brain and the fluid-filled ventricles in an axial slice"
            case .abdominalCT: "a computed tomography slice through the upper abdomen, showing the liver, the kidneys and the spine"
            case .histopathology: "a microscope image of a stained tissue section, showing cell nuclei against the stroma"
            }
            return opening + "this is \(Phrasebook.indefinite(studyName)): \(detail)."
        }
    }
}
