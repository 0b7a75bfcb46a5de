import Foundation
import Protocols
import Security

/// A base model as a campaign names it: a directory with `config.json`, `model.safetensors`,
/// `tokenizer.json` and, when present, `preprocessor_config.json` (ARCHITECTURE.md, "The base model").
///
/// Its digest is `SHA-256(d₁ ‖ d₂ ‖ …)` over the raw 32-byte SHA-256 digests `dᵢ` of those files
/// in that order; sites check a local copy against it and the aggregator serves the files under it.
public struct BaseModelDirectory: Sendable {
    /// The files in digest order; the last is optional.
    public static let fileNames = ["config.json", "model.safetensors", "tokenizer.json", "preprocessor_config.json"]
    static let optionalFileNames: Set<String> = ["preprocessor_config.json"]

    public let url: URL
    /// The files this directory has, in digest order.
    public let files: [String]

    /// - Throws: ``PlanBindingError/missingBaseFile(directory:file:)`` for a required file that is absent.
    public init(_ url: URL) throws {
        self.url = url
        var files: [String] = []
        for name in Self.fileNames {
            if FileManager.default.fileExists(atPath: url.appendingPathComponent(name).path) {
                files.append(name)
            } else if !Self.optionalFileNames.contains(name) {
                throw PlanBindingError.missingBaseFile(directory: url.path, file: name)
            }
        }
        self.files = files
    }

    /// The base digest, reading each file once in 1 MiB pieces.
    /// - Throws: ``PlanBindingError/unreadable(path:reason:)``, `SecurityError` if OpenSSL cannot hash.
    public func digest() throws -> SHA256.Digest {
        let combined = try SHA256()
        for name in files {
            try combined.update(try Self.fileDigest(url.appendingPathComponent(name)).bytes)
        }
        return try combined.finalize()
    }

    /// SHA-256 of one file's bytes.
    /// - Throws: ``PlanBindingError/unreadable(path:reason:)``, `SecurityError`.
    public static func fileDigest(_ file: URL) throws -> SHA256.Digest {
        let handle: FileHandle
        do {
            handle = try FileHandle(forReadingFrom: file)
        } catch {
            throw PlanBindingError.unreadable(path: file.path, reason: error.localizedDescription)
        }
        defer { try? handle.close() }  // read-only: closing cannot lose data
        let hash = try SHA256()
        while true {
            let piece: Data?
            do {
                piece = try handle.read(upToCount: 1 << 20)
            } catch {
                throw PlanBindingError.unreadable(path: file.path, reason: error.localizedDescription)
            }
            guard let piece, !piece.isEmpty else { break }
            try hash.update(piece)
        }
        return try hash.finalize()
    }
}
