import Foundation
import Protocols
import TOMLKit
import Training

/// A campaign file (TOML): a name, the number of rounds and every field of the training plan
/// except the tensor lists, which the aggregator derives from the base model
/// (``TrainingPlan/Tensors/derived(from:lora:encoding:objectiveTensors:)``) and `protocol_version`.
///
/// ```toml
/// name = "chest-vqa-2026"
/// rounds = 5
///
/// [[objectives]]
/// name = "ar"
/// weight = 1.0
///
/// [schedule]
/// steps = 40
/// batch_size = 8
/// …
/// ```
/// The tables and keys are the plan's JSON names (``TrainingPlan``); README's operator section
/// has a complete file.
public struct CampaignDefinition: Sendable {
    public var name: String
    /// Rounds to run after round 0's initial adapter (failed rounds count).
    public var rounds: Int
    /// The plan's fields as JSON, without `tensors` and `protocol_version`.
    public var planFields: [String: JSONValue]

    /// Reads a campaign file's text.
    /// - Parameter source: the file's name in errors.
    /// - Throws: ``PlanBindingError/campaignInvalid(file:reason:)``.
    public init(toml: String, source: String) throws {
        let table: TOMLTable
        do {
            table = try TOMLTable(string: toml)
        } catch let error as TOMLParseError {
            throw PlanBindingError.campaignInvalid(file: source, reason: "not TOML: line \(error.source.begin.line): \(error.description)")
        }
        let json = table.convert(to: .json)
        guard case var .object(fields) = try JSONDecoder().decode(JSONValue.self, from: Data(json.utf8)) else {
            throw PlanBindingError.campaignInvalid(file: source, reason: "not a table")
        }
        guard case let .string(name)? = fields.removeValue(forKey: "name"), !name.isEmpty else {
            throw PlanBindingError.campaignInvalid(file: source, reason: "`name` must be a non-empty string")
        }
        guard case let .number(rounds)? = fields.removeValue(forKey: "rounds"), rounds >= 1, rounds == rounds.rounded() else {
            throw PlanBindingError.campaignInvalid(file: source, reason: "`rounds` must be an integer ≥ 1")
        }
        for derived in ["tensors", "protocol_version"] where fields[derived] != nil {
            throw PlanBindingError.campaignInvalid(file: source, reason: "`\(derived)` is derived by the aggregator; remove it")
        }
        self.name = name
        self.rounds = Int(rounds)
        self.planFields = fields
    }

    /// Reads the campaign file at `url`.
    /// - Throws: ``PlanBindingError/unreadable(path:reason:)``, ``PlanBindingError/campaignInvalid(file:reason:)``.
    public init(contentsOf url: URL) throws {
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw PlanBindingError.unreadable(path: url.path, reason: error.localizedDescription)
        }
        try self.init(toml: text, source: url.path)
    }

    /// The validated plan for a base model: the file's fields, the current protocol version and
    /// the tensor lists derived from `base`.
    /// - Throws: ``PlanBindingError/campaignInvalid(file:reason:)`` wrapping the plan's
    ///   ``TrainingPlanError`` (which names the field).
    public func plan(for base: BaseModelDescription, source: String = "campaign") throws -> TrainingPlan {
        func section<Section: Decodable>(_ key: String, as type: Section.Type) throws -> Section {
            guard let value = planFields[key] else {
                throw PlanBindingError.campaignInvalid(file: source, reason: "the table \(key == "objectives" ? "[[objectives]]" : "[\(key)]") is missing")
            }
            do {
                return try WireJSON.decode(type, from: try WireJSON.encode(value))
            } catch let error as DecodingError {
                throw PlanBindingError.campaignInvalid(file: source, reason: "[\(key)]: \(TrainingPlanError(error).description)")
            }
        }
        let lora = try section("lora", as: TrainingPlan.LoRA.self)
        let wire = try section("wire", as: TrainingPlan.Wire.self)
        let plan: TrainingPlan
        do {
            let objectives = try section("objectives", as: [TrainingPlan.Objective].self)
            let tensors = try TrainingPlan.Tensors.derived(from: base, lora: lora, encoding: wire.encoding,
                                                           objectiveTensors: try TrainingPlan.objectiveTensorSpecs(objectives, base: base))
            var fields = planFields
            fields["protocol_version"] = .number(Double(ProtocolVersion.current))
            fields["tensors"] = try WireJSON.decode(JSONValue.self, from: try WireJSON.encode(tensors))
            plan = try TrainingPlan.decode(json: try WireJSON.encode(JSONValue.object(fields)))
            _ = try plan.labelledExamples()
        } catch let error as PlanBindingError {
            throw PlanBindingError.campaignInvalid(file: source, reason: error.description)
        } catch let error as TrainingPlanError {
            throw PlanBindingError.campaignInvalid(file: source, reason: error.description)
        } catch let error as TrainingError {  // an objective this build does not implement, or a bad option of one
            throw PlanBindingError.campaignInvalid(file: source, reason: error.description)
        } catch let error as DecodingError {
            throw PlanBindingError.campaignInvalid(file: source, reason: TrainingPlanError(error).description)
        }
        return plan
    }

    /// A warning when an update's tensors alone, before compression, exceed the plan's
    /// `wire.maximum_upload_bytes`: sites send only updates that compress below it, so such a
    /// campaign may have every site train for nothing.
    public static func uploadLimitWarning(_ plan: TrainingPlan) -> String? {
        let bytes = plan.tensors.upload.reduce(0) { $0 + $1.byteCount }
        guard bytes > plan.wire.maximumUploadBytes else { return nil }
        return "warning: an update holds \(bytes) bytes of tensors before compression (\(plan.tensors.upload.count) tensors in "
            + "\(plan.wire.encoding.rawValue)), more than [wire] maximum_upload_bytes = \(plan.wire.maximumUploadBytes); "
            + "sites send only updates that compress below it"
    }
}
