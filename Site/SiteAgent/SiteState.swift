import Foundation
import Protocols
import Security

/// The agent's state directory, everything a restart needs:
///
///     current-round.json            the last round status seen, and when
///     base/<digest>/                base models downloaded from the aggregator (digest-checked)
///     adapters/<digest>.tcz         global adapters downloaded (decoded against their digest on use)
///     rounds/<R>/checkpoint/        the trainer's last checkpoint of round R
///     rounds/<R>/training-log.jsonl one line per training step
///     rounds/<R>/metrics.json       local metrics of round R (training loss, test accuracy)
///     rounds/<R>/update.tcz         the encoded update, stored before the first upload attempt
///     rounds/<R>/refused.json       why the aggregator refused the update, if it did
///     receipts/round-<R>.json       the verified signed receipt (`tessera audit verify --receipts`)
///
/// A round is *settled* once it has a receipt or a refusal: the agent never trains or sends
/// anything for it again. An `update.tcz` is never replaced, so a round's upload is always the
/// same bytes.
public struct SiteState: Sendable {
    public let directory: URL

    public init(directory: URL) {
        self.directory = directory
    }

    /// A refused upload: the aggregator's error code and message.
    public struct Refusal: Codable, Equatable, Sendable {
        public var round: Int
        public var status: Int
        public var code: String
        public var message: String
        public var time: Date
    }

    /// The last round status the agent saw.
    public struct SeenRound: Codable, Equatable, Sendable {
        public var round: RoundStatus
        public var seenAt: Date

        enum CodingKeys: String, CodingKey {
            case round, seenAt = "seen_at"
        }
    }

    // MARK: Layout

    public var currentRoundFile: URL { directory.appendingPathComponent("current-round.json") }
    public var receiptsDirectory: URL { directory.appendingPathComponent("receipts") }
    public func baseDirectory(digest: SHA256.Digest) -> URL { directory.appendingPathComponent("base/\(digest.hex)") }
    public func globalAdapterFile(digest: SHA256.Digest) -> URL { directory.appendingPathComponent("adapters/\(digest.hex).tcz") }
    public func roundDirectory(_ round: Int) -> URL { directory.appendingPathComponent("rounds/\(round)") }
    public func checkpointDirectory(_ round: Int) -> URL { roundDirectory(round).appendingPathComponent("checkpoint") }
    /// The job, adapters, output and log of a round handed to an external trainer.
    public func externalTrainerDirectory(_ round: Int) -> URL { roundDirectory(round).appendingPathComponent("external") }
    public func trainingLogFile(_ round: Int) -> URL { roundDirectory(round).appendingPathComponent("training-log.jsonl") }
    public func metricsFile(_ round: Int) -> URL { roundDirectory(round).appendingPathComponent("metrics.json") }
    public func updateFile(_ round: Int) -> URL { roundDirectory(round).appendingPathComponent("update.tcz") }
    public func refusalFile(_ round: Int) -> URL { roundDirectory(round).appendingPathComponent("refused.json") }
    public func receiptFile(_ round: Int) -> URL { receiptsDirectory.appendingPathComponent("round-\(round).json") }

    /// Creates `url` and its parents (mode 0700) if missing.
    /// - Throws: `SecurityError.fileWriteFailed`.
    public func createDirectory(_ url: URL) throws {
        try AtomicFile.createDirectory(url)
    }

    // MARK: Rounds

    /// The stored update of `round`, or nil when none was stored.
    /// - Throws: ``SiteAgentError/corruptState(file:reason:)`` when it exists but cannot be read.
    public func storedUpdate(_ round: Int) throws -> [UInt8]? {
        try readIfPresent(updateFile(round)).map(Array.init)
    }

    /// Stores the encoded update of `round` durably (fsync, rename); an existing one is never replaced.
    /// - Throws: `SecurityError.refusingToOverwrite` if the round has one, `SecurityError.fileWriteFailed`
    ///   (a full disk, for one).
    public func storeUpdate(_ bytes: [UInt8], round: Int) throws {
        try createDirectory(roundDirectory(round))
        try AtomicFile.write(bytes, to: updateFile(round), permissions: 0o600, replacing: false)
    }

    public func receipt(_ round: Int) throws -> Receipt? {
        try decodeIfPresent(Receipt.self, from: receiptFile(round))
    }

    /// Stores a verified receipt durably.
    public func storeReceipt(_ receipt: Receipt) throws {
        try createDirectory(receiptsDirectory)
        try AtomicFile.write(Array(try WireJSON.encode(receipt)), to: receiptFile(receipt.round), permissions: 0o644, replacing: true)
    }

    public func refusal(_ round: Int) throws -> Refusal? {
        try decodeIfPresent(Refusal.self, from: refusalFile(round))
    }

    public func storeRefusal(_ refusal: Refusal) throws {
        try createDirectory(roundDirectory(refusal.round))
        try AtomicFile.write(Array(try WireJSON.encode(refusal)), to: refusalFile(refusal.round), permissions: 0o644, replacing: true)
    }

    /// Rounds with a stored update but neither a receipt nor a refusal: an agent killed between
    /// an accepted upload and storing its receipt. Oldest first.
    public func unsettledStoredRounds() throws -> [Int] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent("rounds").path)) ?? []
        return try names.compactMap(Int.init).sorted().filter { round in
            guard FileManager.default.fileExists(atPath: updateFile(round).path) else { return false }
            return try !isSettled(round)
        }
    }

    /// Whether the agent is done with `round`: it holds a receipt or a refusal for it.
    public func isSettled(_ round: Int) throws -> Bool {
        try receipt(round) != nil || refusal(round) != nil
    }

    public func metrics(_ round: Int) throws -> [String: Double]? {
        try decodeIfPresent([String: Double].self, from: metricsFile(round))
    }

    public func storeMetrics(_ metrics: [String: Double], round: Int) throws {
        try createDirectory(roundDirectory(round))
        try AtomicFile.write(Array(try WireJSON.encode(metrics)), to: metricsFile(round), permissions: 0o644, replacing: true)
    }

    public func currentRound() throws -> SeenRound? {
        try decodeIfPresent(SeenRound.self, from: currentRoundFile)
    }

    public func storeCurrentRound(_ status: RoundStatus, seenAt: Date = Date()) throws {
        try createDirectory(directory)
        try AtomicFile.write(Array(try WireJSON.encode(SeenRound(round: status, seenAt: seenAt))), to: currentRoundFile,
                             permissions: 0o644, replacing: true)
    }

    /// The rounds with a directory under `rounds/` or a receipt, ascending.
    public func knownRounds() throws -> [Int] {
        let manager = FileManager.default
        var rounds = Set<Int>()
        for (folder, parse) in [("rounds", { (name: String) in Int(name) }),
                                ("receipts", { (name: String) in Int(name.dropFirst(6).dropLast(5)) })] {
            let url = directory.appendingPathComponent(folder)
            guard manager.fileExists(atPath: url.path) else { continue }
            do {
                rounds.formUnion(try manager.contentsOfDirectory(atPath: url.path).compactMap(parse))
            } catch {
                throw SiteAgentError.corruptState(file: url.path, reason: "cannot list it: \(error.localizedDescription)")
            }
        }
        return rounds.sorted()
    }

    // MARK: Files

    private func readIfPresent(_ url: URL) throws -> Data? {
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        do {
            return try Data(contentsOf: url)
        } catch {
            throw SiteAgentError.corruptState(file: url.path, reason: error.localizedDescription)
        }
    }

    private func decodeIfPresent<Value: Decodable>(_ type: Value.Type, from url: URL) throws -> Value? {
        guard let data = try readIfPresent(url) else { return nil }
        do {
            return try WireJSON.decode(type, from: data)
        } catch {
            throw SiteAgentError.corruptState(file: url.path, reason: "\(error)")
        }
    }
}
