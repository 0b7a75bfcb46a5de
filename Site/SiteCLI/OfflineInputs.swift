import Foundation
import PlanBinding
import Protocols
import SiteAgent

/// The files `train --once` and `eval` read instead of asking the aggregator.
enum OfflineInputs {
    /// A plan JSON file.
    /// - Throws: ``OfflineInputError``.
    static func plan(at path: String) throws -> TrainingPlan {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw OfflineInputError(file: path, reason: error.localizedDescription)
        }
        do {
            return try TrainingPlan.decode(json: data)
        } catch {
            throw OfflineInputError(file: path, reason: "not a valid training plan: \(error)")
        }
    }

    /// `--base`, else the configuration's `[model] base`, else the base model the agent downloaded
    /// (into the state directory) for the last round it saw.
    static func baseDirectory(_ option: String?, configuration: SiteConfiguration) throws -> URL {
        if let option { return URL(fileURLWithPath: option) }
        if let base = configuration.baseModel { return base }
        // The copy the agent downloaded for the last round it saw (checked against the digest then).
        let state = SiteState(directory: configuration.stateDirectory)
        if let seen = try state.currentRound() {
            let downloaded = state.baseDirectory(digest: seen.round.baseDigest)
            if FileManager.default.fileExists(atPath: downloaded.appendingPathComponent("config.json").path) { return downloaded }
        }
        throw SiteAgentError.noLocalBaseModel(file: configuration.file.path)
    }

    /// An adapter container (a global adapter, or an update holding every global tensor) as tensors.
    static func adapter(at path: String, plan: TrainingPlan) throws -> [NamedTensor] {
        let bytes: Data
        do {
            bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw OfflineInputError(file: path, reason: error.localizedDescription)
        }
        let limit = DeltaContainer.Expectation.maximumCanonicalBytes(for: plan.tensors.global)
        return try DeltaContainer.decode(bytes, source: path, expecting: .init(maximumDecompressedBytes: limit)).container.tensors
    }
}
