import Tensor

/// Writes a study's short report (its caption) in a hospital's style.
///
/// Every report states each finding's type, count, size class, measured size and location, so the
/// report alone answers every question about the image; normal studies say so and name what is absent.
enum ReportWriter {
    /// The report of `study`.
    /// - Parameters:
    ///   - style: The hospital's style.
    ///   - centimetres: Whether sizes are given in centimetres.
    static func report(for study: Study, style: ReportStyle, centimetres: Bool, generator: inout SeededGenerator) -> String {
        let modality = study.modality
        let statements = study.findings.map { finding in
            statement(for: finding, modality: modality, style: style, centimetres: centimetres, generator: &generator)
        }
        let absent = modality.findingTypes.filter { study.finding(of: $0) == nil }.map(\.name)
        let negatives = absent.isEmpty ? "" : "No " + list(absent, conjunction: "or") + "."
        switch style {
        case .terse:
            let heading = abbreviation(modality) + ": "
            guard !study.isNormal else {
                return heading + generator.pick(["normal study.", "no acute abnormality.", "unremarkable."]) + " " + negatives
            }
            return heading + statements.joined(separator: " ") + (negatives.isEmpty ? "" : " " + negatives)
        case .narrative:
            let name = Phrasebook.studyName(modality, generator: &generator)
            guard !study.isNormal else {
                return generator.pick(["The \(name) is normal.", "This \(name) shows no abnormality.",
                                       "Normal \(name)."]) + " " + negatives
            }
            let opening = generator.pick(["This is \(Phrasebook.indefinite(name)).", "\(ReportWriter.capitalised(name)) reviewed.", "Study: \(name)."])
            return opening + " " + statements.joined(separator: " ") + (negatives.isEmpty ? "" : " " + negatives)
        case .structured:
            let name = Phrasebook.studyName(modality, generator: &generator)
            guard !study.isNormal else {
                return "EXAM: \(name). FINDINGS: \(negatives) IMPRESSION: normal study."
            }
            let impression = list(study.findings.map { Phrasebook.noun(of: $0.type, count: $0.count) }, conjunction: "and")
            return "EXAM: \(name). FINDINGS: " + statements.joined(separator: " ")
                + (negatives.isEmpty ? "" : " " + negatives) + " IMPRESSION: \(impression)."
        }
    }

    /// One finding as a clause or sentence, with the clause order varied.
    private static func statement(for finding: Finding, modality: Modality, style: ReportStyle, centimetres: Bool,
                                  generator: inout SeededGenerator) -> String {
        let phrase = Phrasebook.phrase(for: finding, generator: &generator)
        let location = Phrasebook.location(of: finding, generator: &generator)
        let size = Phrasebook.size(finding, modality: modality, centimetres: centimetres)
        let measured = size.map { finding.count > 1 ? "up to \($0)" : "measuring \($0)" }
        switch style {
        case .terse:
            let parts = [phrase, location.replacingFirst("in the ", with: ""), size.map { "max \($0)" }].compactMap { $0 }
            return capitalised(parts.joined(separator: ", ")) + "."
        case .narrative, .structured:
            if finding.type == .cardiomegaly {
                return generator.pick(["The cardiac silhouette is enlarged (cardiomegaly).",
                                       "There is cardiomegaly, with the heart wider than half the chest."])
            }
            if generator.chance(0.5) {
                return capitalised(location) + " there " + (finding.count > 1 ? "are " : "is ") + phrase
                    + (measured.map { ", \($0)" } ?? "") + "."
            }
            return capitalised(phrase) + (measured.map { " \($0)" } ?? "") + " " + location + "."
        }
    }

    private static func abbreviation(_ modality: Modality) -> String {
        switch modality {
        case .chestXRay: "CXR"
        case .brainMRI: "MRI brain"
        case .abdominalCT: "CT abdomen"
        case .histopathology: "Histology"
        }
    }

    /// "a", "a or b", "a, b or c".
    static func list(_ items: [String], conjunction: String) -> String {
        guard items.count > 1, let last = items.last else { return items.first ?? "" }
        return items.dropLast().joined(separator: ", ") + " \(conjunction) " + last
    }

    static func capitalised(_ text: String) -> String {
        text.prefix(1).uppercased() + text.dropFirst()
    }
}

private extension String {
    func replacingFirst(_ prefix: String, with replacement: String) -> String {
        hasPrefix(prefix) ? replacement + dropFirst(prefix.count) : self
    }
}
