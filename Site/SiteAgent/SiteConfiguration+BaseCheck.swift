import Foundation
import Model
import PlanBinding

extension SiteConfiguration {
    /// Reads the local base model as a round does and returns what `config check` prints of it:
    /// its size and its base digest, which every round's digest must equal (the consortium
    /// announces it with the campaign), so a wrong copy is found before the first round. Nil when
    /// the base model is downloaded from the aggregator.
    /// - Throws: ``PlanBindingError/missingBaseFile(directory:file:)`` for a missing file,
    ///   `ModelError` for one that does not load, ``PlanBindingError/unreadable(path:reason:)``.
    public func checkBaseModel() throws -> String? {
        guard let baseModel else { return nil }
        let directory = try BaseModelDirectory(baseModel)
        let model = try LlavaModel.load(from: baseModel)
        _ = try BPETokenizer(contentsOf: baseModel.appendingPathComponent("tokenizer.json"))
        return "base \(baseModel.path): \(model.parameterCount) parameters, digest \(try directory.digest().hex)"
    }
}
