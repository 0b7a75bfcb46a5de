import Foundation
import Tensor

extension LlavaModel {
    /// Loads `config.json` and `model.safetensors` (or the shards named by
    /// `model.safetensors.index.json`) from an HF model directory.
    /// - Throws: ``ModelError`` naming the file and key for a missing or unknown tensor, a shape
    ///   mismatch or a bad configuration; ``SafetensorsError`` for a malformed file.
    public static func load(from directory: URL) throws -> LlavaModel {
        let configuration = try LlavaConfiguration(contentsOf: directory.appendingPathComponent("config.json"))
        let model = LlavaModel(configuration: configuration)
        try model.loadWeights(from: directory)
        return model
    }

    private func loadWeights(from directory: URL) throws {
        let parameters = parameters
        for (path, entry) in try Self.checkpointEntries(in: directory, configuration: configuration) {
            parameters[path]?.values = try entry.file.floats(entry.key)
        }
    }

    /// Reads the base parameters at `paths` (module paths) from the checkpoint in `directory`,
    /// after checking every tensor header against `config.json` as ``load(from:)`` does, without
    /// reading any other weight: what a campaign needs of a model too large to load.
    /// - Throws: ``ModelError`` as ``load(from:)``; ``ModelError/missingTensor(file:tensor:)`` for a
    ///   path the model does not have.
    public static func readParameters(_ paths: [String], from directory: URL) throws -> [String: [Float]] {
        let configuration = try LlavaConfiguration(contentsOf: directory.appendingPathComponent("config.json"))
        let entries = try checkpointEntries(in: directory, configuration: configuration)
        var values: [String: [Float]] = [:]
        for path in paths {
            guard let entry = entries[path] else {
                throw ModelError.missingTensor(file: directory.appendingPathComponent("model.safetensors").path, tensor: path)
            }
            values[path] = try entry.file.floats(entry.key)
        }
        return values
    }

    /// Every base parameter's tensor in the checkpoint by module path, each header checked against
    /// the configuration's layout: no tensor missing, none unexpected, every shape as configured.
    private static func checkpointEntries(in directory: URL, configuration: LlavaConfiguration) throws
        -> [String: (file: SafetensorsFile, key: String)] {
        let expected = configuration.layout.parameters
        var entries: [String: (file: SafetensorsFile, key: String)] = [:]
        for file in try weightFiles(in: directory) {
            let safetensors = try SafetensorsFile(contentsOf: file)
            var unexpected: [String] = []
            for key in safetensors.names {
                // Buffers HF 4.x saved beside the parameters (CLIP's position ids) carry no weights.
                if key.hasSuffix(".position_ids") { continue }
                // A tied model's file may still carry lm_head (it equals the embeddings).
                if configuration.text.tieWordEmbeddings && key.hasSuffix("lm_head.weight") { continue }
                guard let path = CheckpointNames.modulePath(forCheckpointKey: key), let shape = expected[path] else {
                    unexpected.append(key)
                    continue
                }
                let info = try safetensors.info(key)
                guard info.shape == shape else {
                    throw ModelError.shapeMismatch(file: file.path, tensor: key, found: info.shape, expected: shape)
                }
                entries[path] = (safetensors, key)
            }
            guard unexpected.isEmpty else { throw ModelError.unexpectedTensors(file: file.path, tensors: unexpected.sorted()) }
        }
        if let missing = expected.keys.sorted().first(where: { entries[$0] == nil }) {
            throw ModelError.missingTensor(file: directory.appendingPathComponent("model.safetensors").path,
                                           tensor: CheckpointNames.checkpointKey(forModulePath: missing))
        }
        return entries
    }

    /// `model.safetensors`, or every shard an index names.
    private static func weightFiles(in directory: URL) throws -> [URL] {
        let single = directory.appendingPathComponent("model.safetensors")
        if FileManager.default.fileExists(atPath: single.path) { return [single] }
        let index = directory.appendingPathComponent("model.safetensors.index.json")
        guard let data = try? Data(contentsOf: index) else {
            throw ModelError.unreadable(file: single.path, reason: "neither model.safetensors nor model.safetensors.index.json exists")
        }
        guard let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
              let map = root["weight_map"] as? [String: String] else {
            throw ModelError.invalidConfiguration(file: index.path, field: "weight_map", reason: "missing or not an object of file names")
        }
        return Set(map.values).sorted().map { directory.appendingPathComponent($0) }
    }

    /// Writes `config.json` and `model.safetensors` (HF's checkpoint keys, canonical bytes) into
    /// `directory`, creating it. Tied `lm_head` weights are not written, as HF does.
    public func save(to directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let entries = parameters.map { path, tensor in
            Safetensors.Entry.float32(name: CheckpointNames.checkpointKey(forModulePath: path), shape: tensor.shape, values: tensor.values)
        }
        try Data(Safetensors.encode(entries, metadata: ["format": "pt"]))
            .write(to: directory.appendingPathComponent("model.safetensors"), options: .atomic)
        try configuration.jsonData().write(to: directory.appendingPathComponent("config.json"), options: .atomic)
    }
}
