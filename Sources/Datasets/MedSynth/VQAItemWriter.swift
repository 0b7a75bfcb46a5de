import Tensor

/// Writes a study's VQA items in the VQA-RAD style: closed yes/no questions and open short-answer ones.
///
/// Closed questions draw their answer first (yes or no with probability ½ each) and then pick the
/// wording that makes it true, so yes and no are balanced within every question type. Presence is
/// asked only where both answers can be true (a finding present and another type absent), and names
/// a present type or an absent one drawn at random, so the finding named does not give the answer
/// away (asking about the study's first finding did: cardiomegaly was "yes" in 24% of its questions,
/// effusion in 51%). Question types follow VQA-RAD: MODALITY, ORGAN, ABN, PRES, POS,
/// SIZE, COUNT. Open answers are canonical: "x-ray", "chest", "nodule", "left", "upper", "small", "2",
/// "none"; several abnormalities are joined with " and ".
enum VQAItemWriter {
    /// All items of `study`: one closed item per applicable type, then one open item per applicable type.
    static func items(for study: Study, image: String, generator: inout SeededGenerator) -> [VQAItem] {
        var drafts: [(question: String, answer: String, type: VQAItem.AnswerType, questionType: String)] = []
        let modality = study.modality
        // The finding asked about in attribute questions: the study's first one.
        let subject = study.findings.first

        // Closed: MODALITY.
        let modalityYes = generator.chance(0.5)
        let askedModality = modalityYes ? modality : generator.pick(Modality.allCases.filter { $0 != modality })
        drafts.append((generator.pick(["Is this \(askedModality.withArticle) image?", "Is this \(askedModality.withArticle) study?"]),
                       modalityYes ? "yes" : "no", .closed, "MODALITY"))
        // Closed: ABN, phrased to make the drawn answer true.
        let abnormalYes = generator.chance(0.5)
        let askNormal = abnormalYes == study.isNormal
        drafts.append((askNormal ? generator.pick(["Is this study normal?", "Is this image normal?", "Does the image look normal?"])
                                 : generator.pick(["Is there any abnormality?", "Is anything abnormal in this image?", "Is this study abnormal?"]),
                       abnormalYes ? "yes" : "no", .closed, "ABN"))
        // Closed: PRES.
        let absentTypes = modality.findingTypes.filter { study.finding(of: $0) == nil }
        let presentTypes = study.findings.map(\.type)
        if !presentTypes.isEmpty, !absentTypes.isEmpty {
            let presenceYes = generator.chance(0.5)
            let type = generator.pick(presenceYes ? presentTypes : absentTypes)
            let name = Phrasebook.name(of: type, generator: &generator)
            drafts.append((generator.pick(["\(Phrasebook.isThere(name))?", "\(Phrasebook.isThere(name)) in this image?",
                                           "Does the image show \(Phrasebook.indefinite(name))?"]),
                           presenceYes ? "yes" : "no", .closed, "PRES"))
        }
        if let subject {
            let name = Phrasebook.name(of: subject.type, generator: &generator)
            let the = Phrasebook.definite(name)
            let verb = name.hasSuffix("cells") || name.hasSuffix("nuclei") ? "Are" : "Is"
            if subject.type.hasVaryingSide, let side = subject.side {
                let yes = generator.chance(0.5)
                let asked = yes ? side : side.opposite
                drafts.append(("\(verb) \(the) on the \(asked.rawValue) side?", yes ? "yes" : "no", .closed, "POS"))
            }
            if subject.type.hasVaryingRegion, let region = subject.region {
                let yes = generator.chance(0.5)
                let asked = yes ? region : region.opposite
                drafts.append(("\(verb) \(the) in the \(asked.rawValue) part?", yes ? "yes" : "no", .closed, "POS"))
            }
            if let sizeClass = subject.sizeClass {
                let yes = generator.chance(0.5)
                let asked = yes ? sizeClass : sizeClass.opposite
                drafts.append((generator.pick(["\(verb) \(the) \(asked.rawValue)?", "Would you call \(the) \(asked.rawValue)?"]),
                               yes ? "yes" : "no", .closed, "SIZE"))
            }
            if subject.type.isCountable {
                let yes = generator.chance(0.5)
                let askSeveral = yes == (subject.count > 1)
                drafts.append((askSeveral ? "Is there more than one \(subject.type.singular)?"
                                          : "Is there only one \(subject.type.singular)?",
                               yes ? "yes" : "no", .closed, "COUNT"))
            }
        }

        // Open.
        drafts.append((generator.pick(["What imaging modality is this?", "What kind of image is this?", "How was this image acquired?"]),
                       modality.answer, .open, "MODALITY"))
        drafts.append((generator.pick(["Which organ is shown?", "What part of the body is this?", "What is imaged here?"]),
                       modality.organ, .open, "ORGAN"))
        drafts.append((generator.pick(["What abnormality is seen?", "What is the finding?", "What does the image show that is abnormal?"]),
                       study.isNormal ? "none" : study.findings.map(\.type.name).joined(separator: " and "), .open, "ABN"))
        if let subject {
            let the = Phrasebook.definite(Phrasebook.name(of: subject.type, generator: &generator))
            if subject.type.hasVaryingSide, let side = subject.side {
                drafts.append((generator.pick(["Which side is \(the) on?", "On which side is \(the)?"]), side.rawValue, .open, "POS"))
            }
            if subject.type.hasVaryingRegion, let region = subject.region {
                drafts.append((generator.pick(["Is \(the) in the upper or the lower part?", "In which part, upper or lower, is \(the)?"]),
                               region.rawValue, .open, "POS"))
            }
            if let sizeClass = subject.sizeClass {
                drafts.append((generator.pick(["How large is \(the), small or large?", "What is the size class of \(the)?"]),
                               sizeClass.rawValue, .open, "SIZE"))
            }
            if subject.type.isCountable {
                drafts.append(("How many \(subject.type.plural) are there?", String(subject.count), .open, "COUNT"))
            }
        }
        return drafts.enumerated().map { index, draft in
            VQAItem(id: "\(study.id)-q\(index)", image: image, question: draft.question, answer: draft.answer,
                    answerType: draft.type, questionType: draft.questionType, modality: modality.rawValue)
        }
    }
}
