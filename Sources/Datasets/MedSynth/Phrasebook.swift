import Tensor

/// The wording shared by reports, conversations and questions: names, sizes, counts and locations,
/// each with several variants so that a model cannot match strings.
enum Phrasebook {
    /// A name for `type`: the canonical one half of the time, otherwise a synonym.
    static func name(of type: FindingType, generator: inout SeededGenerator) -> String {
        generator.chance(0.5) ? type.name : generator.pick(type.synonyms)
    }

    /// The noun for `count` lesions of `type`.
    static func noun(of type: FindingType, count: Int) -> String {
        count > 1 ? type.plural : type.singular
    }

    /// A count in words ("two") or digits ("2").
    static func count(_ value: Int, generator: inout SeededGenerator) -> String {
        let words = ["zero", "one", "two", "three", "four"]
        return generator.chance(0.5) && value < words.count ? words[value] : String(value)
    }

    /// The size in the modality's unit, or in centimetres when `centimetres` (mm only): "12 mm", "1.2 cm".
    static func size(_ finding: Finding, modality: Modality, centimetres: Bool) -> String? {
        guard let size = finding.size else { return nil }
        if centimetres, modality.sizeUnit == "mm" {
            return "\(size / 10).\(size % 10) cm"
        }
        return "\(size) \(modality.sizeUnit)"
    }

    /// A name for the study: "chest radiograph", "brain MRI", …
    static func studyName(_ modality: Modality, generator: inout SeededGenerator) -> String {
        generator.pick(modality.studyNames)
    }

    /// Where the finding lies, as a phrase starting with a preposition, e.g. "in the upper zone of the
    /// right lung", "in the right upper zone", "in the lower pole of the left kidney".
    static func location(of finding: Finding, generator: inout SeededGenerator) -> String {
        let side = finding.side?.rawValue ?? ""
        let region = finding.region?.rawValue ?? ""
        switch finding.type {
        case .nodule, .pneumothorax:
            return generator.pick(["in the \(region) zone of the \(side) lung", "in the \(side) \(region) zone",
                                   "in the \(side) lung, \(region) zone"])
        case .effusion:
            return generator.pick(["at the \(side) lung base", "in the \(side) pleural space, at the lower zone",
                                   "on the \(side) side, lower zone"])
        case .cardiomegaly:
            return "in the central chest"
        case .tumour, .haemorrhage:
            let part = region == "upper" ? "upper (anterior)" : "lower (posterior)"
            return generator.pick(["in the \(region) part of the \(side) hemisphere", "in the \(side) hemisphere, \(part) part",
                                   "on the \(side) side, \(region) part of the brain"])
        case .liverLesion:
            return generator.pick(["in the \(region) part of the liver", "in the liver (right side), \(region) portion",
                                   "in the \(region) liver"])
        case .kidneyStone:
            return generator.pick(["in the \(region) pole of the \(side) kidney", "in the \(side) kidney, \(region) pole",
                                   "at the \(region) pole of the \(side) kidney"])
        case .atypicalCells:
            return generator.pick(["in the \(region) \(side) part of the field", "in the \(side) half of the field, \(region) part",
                                   "towards the \(region) \(side) corner"])
        }
    }

    /// A noun phrase for the finding with count and size class: "two small nodules", "a large tumour".
    static func phrase(for finding: Finding, generator: inout SeededGenerator) -> String {
        let sizeWord = finding.sizeClass.map { $0.rawValue + " " } ?? ""
        if finding.count > 1 {
            return "\(count(finding.count, generator: &generator)) \(sizeWord)\(finding.type.plural)"
        }
        let name = finding.type == .atypicalCells ? finding.type.singular : self.name(of: finding.type, generator: &generator)
        return indefinite(sizeWord + name)
    }
}

extension Phrasebook {
    /// "a nodule", "an effusion", "atypical cells" (mass nouns and plurals take no article).
    static func indefinite(_ name: String) -> String {
        if name == "cardiomegaly" || name == "cellular atypia" || (!name.contains("focus") && (name.hasSuffix("cells") || name.hasSuffix("nuclei"))) {
            return name
        }
        return (name.first.map { "aeiou".contains($0) } ?? false ? "an " : "a ") + name
    }

    /// "Is there a nodule", "Are there atypical cells", "Is there cardiomegaly".
    static func isThere(_ name: String) -> String {
        !name.contains("focus") && (name.hasSuffix("cells") || name.hasSuffix("nuclei")) ? "Are there \(name)" : "Is there \(indefinite(name))"
    }

    /// "the nodule", "the atypical cells", "the cardiomegaly".
    static func definite(_ name: String) -> String { "the " + name }
}
