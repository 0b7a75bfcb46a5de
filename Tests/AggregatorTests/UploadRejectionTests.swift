import AggregatorCore
import AggregatorTestSupport
import CZstd
import Foundation
import Ledger
import Protocols
import Security
import Testing
import Transport

@Suite("Upload rejections", .serialized)
struct UploadRejectionTests {
    /// Each bad upload gets its status and code over mutual TLS, and an `update-rejected` entry
    /// naming the same code; the good update from the same site is accepted afterwards.
    @Test("every rejection reason: HTTP status, JSON error code and ledger entry")
    func rejections() async throws {
        let harness = try AggregatorHarness()
        try harness.enrol("site-a", "site-b")
        try harness.aggregator.startCampaign(baseDirectory: harness.baseDirectory, definition: try harness.campaign([
            ("encoding = \"bf16\"", "encoding = \"fp32\""), ("maximum_upload_bytes = 67108864", "maximum_upload_bytes = 2000000"),
            ("bound = 50.0", "bound = 10.0"), ("on_exceed = \"clip\"", "on_exceed = \"reject\""),
        ]))
        try await harness.serve()

        func expect(_ status: Int, _ code: ErrorCode, site: String = "site-a", round: Int = 1,
                    _ update: (file: URL, metadata: UploadMetadata, digest: SHA256.Digest), headers: [String: String]? = nil,
                    naming: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) async throws {
            do {
                if let headers {
                    _ = try await harness.client(site).upload(file: update.file, to: "/v1/rounds/\(round)/updates", headers: headers)
                } else {
                    _ = try await harness.upload(site, update, round: round)
                }
                Issue.record("accepted; expected \(status) \(code)", sourceLocation: sourceLocation)
            } catch let TransportError.httpStatus(_, found, foundCode, message) {
                #expect(found == status && foundCode == code.rawValue, "\(found) \(foundCode ?? "-"): \(message ?? "")", sourceLocation: sourceLocation)
                if let naming { #expect(message?.contains(naming) == true, "\(message ?? "")", sourceLocation: sourceLocation) }
            }
            let last = try #require(try harness.aggregator.ledger.entries(after: 0, limit: 1000).last, sourceLocation: sourceLocation)
            #expect(last.kind == .updateRejected && last.site == site && last.payload["reason"] == .string(code.rawValue),
                    "\(last.kind) \(last.payload)", sourceLocation: sourceLocation)
        }

        try await expect(403, .notEnrolled, site: "site-c", try harness.update(site: "site-c", samples: 3, shift: 0.01))
        try await expect(409, .wrongRound, round: 7, try harness.update(site: "site-a", samples: 3, shift: 0.01, round: 7))
        try await expect(409, .staleBase, try harness.update(site: "site-a", samples: 3, shift: 0.01, baseDigest: try SHA256.hash([1, 2, 3])))
        var otherVersion = try harness.update(site: "site-a", samples: 3, shift: 0.01)
        otherVersion.metadata.protocolVersion = 99
        try await expect(400, .unsupportedProtocolVersion, otherVersion)
        let unannounced = try harness.update(site: "site-a", samples: 3, shift: 0.01)
        try await expect(400, .badRequest, unannounced, headers: unannounced.metadata.httpHeaderFields.filter { $0.key != UploadMetadata.Header.sampleCount },
                         naming: "header \(UploadMetadata.Header.sampleCount) is missing")
        var otherDigest = try harness.update(site: "site-a", samples: 3, shift: 0.01)
        otherDigest.metadata.digest = try harness.update(site: "site-a", samples: 3, shift: 0.02).digest
        try await expect(422, .digestMismatch, otherDigest)
        let corrupt = try harness.update(site: "site-a", samples: 3, shift: 0.01)
        try Data((0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 7) }).write(to: corrupt.file)
        try await expect(422, .corruptBody, corrupt)
        try await expect(422, .wrongTensors, try harness.update(site: "site-a", samples: 3, shift: 0.01) { $0.removeLast() })
        try await expect(422, .wrongTensors, try harness.update(site: "site-a", samples: 3, shift: 0.01) { $0[0].shape = [1] + $0[0].shape })
        try await expect(422, .wrongTensors, try harness.update(site: "site-a", samples: 3, shift: 0.01) {
            $0.append(NamedTensor(name: "base_model.model.vision_tower.extra.weight", shape: [2], values: [0, 0]))
        })
        try await expect(422, .nonFinite, try Self.withNaN(try harness.update(site: "site-a", samples: 3, shift: 0.01), directory: harness.directory))
        try await expect(422, .normOutlier, try harness.update(site: "site-a", samples: 3, shift: 1))
        var large = try harness.update(site: "site-a", samples: 3, shift: 0.01)
        try Data(count: 3_000_000).write(to: large.file)
        large.metadata.sampleCount = 3
        try await expect(413, .tooLarge, large)

        let good = try harness.update(site: "site-a", samples: 3, shift: 0.01)
        #expect(try await harness.upload("site-a", good).digest == good.digest)
        try await expect(409, .replacementNotAllowed, try harness.update(site: "site-a", samples: 4, shift: 0.02))
        #expect(try harness.aggregator.updates(round: 1).map(\.digest) == [good.digest.hex])
        #expect(harness.aggregator.metrics.text().contains("tessera_updates_rejected_total{reason=\"non-finite\"} 1"))
    }

    /// Under FFA every site keeps the round-0 global lora_A: the plan leaves those tensors out of the
    /// upload, and an update carrying one is refused by name before it can reach the aggregation.
    @Test("an FFA campaign refuses an update that carries a lora_A tensor")
    func ffaRefusesLoraA() async throws {
        let harness = try AggregatorHarness()
        try harness.enrol("site-a")
        try harness.aggregator.startCampaign(baseDirectory: harness.baseDirectory, definition: try harness.campaign([
            ("strategy = \"fedavg\"", "strategy = \"ffa\""), ("ffa = false", "ffa = true"),
        ]))
        try await harness.serve()
        let (status, global) = try harness.currentGlobal()
        let loraA = try #require(global.first { $0.name.hasSuffix("lora_A.weight") })
        #expect(!status.plan.tensors.upload.contains { $0.name == loraA.name })
        do {
            _ = try await harness.upload("site-a", try harness.update(site: "site-a", samples: 3, shift: 0.01) { $0.append(loraA) })
            Issue.record("accepted an update carrying \(loraA.name)")
        } catch let TransportError.httpStatus(_, found, code, message) {
            #expect(found == 422 && code == ErrorCode.wrongTensors.rawValue)
            #expect(message?.contains(loraA.name) == true, "\(message ?? "")")
        }
        #expect(try await harness.upload("site-a", try harness.update(site: "site-a", samples: 3, shift: 0.01)).site == "site-a")
    }

    @Test("a revoked site is refused at the TLS handshake, counted, and left out of the next round")
    func revokedAtHandshake() async throws {
        let harness = try AggregatorHarness()
        try harness.enrol("site-a", "site-b")
        try harness.aggregator.startCampaign(baseDirectory: harness.baseDirectory, definition: try harness.campaign())
        try await harness.serve()
        #expect(try await harness.client("site-a").get("/v1/rounds/current").status == 200)
        try harness.aggregator.revoke(site: "site-a", reason: "laptop stolen")
        do {
            _ = try await harness.client("site-a").get("/v1/rounds/current")
            Issue.record("a revoked certificate got an HTTP answer")
        } catch let error as TransportError {
            if case .httpStatus = error { Issue.record("refused with an HTTP status instead of at the handshake: \(error)") }
        }
        #expect(harness.aggregator.metrics.text().contains("tessera_handshakes_refused_total{reason=\"revoked\"} 1"))
        #expect(try await harness.client("site-b").get("/v1/rounds/current").status == 200)
        let entry = try #require(try harness.aggregator.ledger.entries(after: 0, limit: 100).last)
        #expect(entry.kind == .siteRevoked && entry.site == "site-a" && entry.payload["reason"] == .string("laptop stolen"))
    }

    /// The update's container with one value replaced by NaN, re-digested and re-compressed: a
    /// well-formed container a faulty site could send.
    static func withNaN(_ update: (file: URL, metadata: UploadMetadata, digest: SHA256.Digest), directory: URL) throws
        -> (file: URL, metadata: UploadMetadata, digest: SHA256.Digest) {
        let decoded = try DeltaContainer.decode(try Data(contentsOf: update.file), source: "update",
                                                expecting: .init(maximumDecompressedBytes: 1 << 30))
        var canonical = try decoded.container.canonicalBytes()
        let headerLength = canonical.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        let dataStart = 8 + headerLength
        canonical.replaceSubrange(dataStart..<(dataStart + 4), with: [0x00, 0x00, 0xC0, 0x7F])  // a quiet NaN, little-endian
        let count = (canonical.count - dataStart) / 4
        var shuffled = canonical
        for index in 0..<count {
            for plane in 0..<4 { shuffled[dataStart + plane * count + index] = canonical[dataStart + index * 4 + plane] }
        }
        var compressed = [UInt8](repeating: 0, count: ZSTD_compressBound(shuffled.count))
        let size = ZSTD_compress(&compressed, compressed.count, shuffled, shuffled.count, 3)
        try #require(ZSTD_isError(size) == 0)
        let file = directory.appendingPathComponent("nan-\(UUID().uuidString).tcz")
        try Data(compressed.prefix(size)).write(to: file)
        var metadata = update.metadata
        metadata.digest = try SHA256.hash(canonical)
        return (file, metadata, metadata.digest)
    }
}

@Suite("Site revocation by CRL")
struct RevocationListTests {
    @Test("importing the CA's CRL revokes the listed sites; a CRL from another CA is refused")
    func importCRL() throws {
        let harness = try AggregatorHarness()
        try harness.enrol("site-a", "site-b")
        let serial = try X509Certificate(contentsOf: harness.certificateFile("site-a")).serialNumber
        try harness.authority.revoke(serial: serial)
        try harness.authority.writeCRL()
        #expect(try harness.aggregator.importRevocationList(harness.authority.crlURL) == ["site-a"])
        #expect(try harness.aggregator.isRevoked(serial: serial))
        #expect(try harness.aggregator.sites().first { $0.id == "site-a" }?.revocationReason == "listed in the CA's CRL")
        #expect(try harness.aggregator.importRevocationList(harness.authority.crlURL) == [])  // idempotent

        let other = try CertificateAuthority.initialise(directory: harness.directory.appendingPathComponent("other-ca"), commonName: "Other CA")
        try other.writeCRL()
        do {
            try harness.aggregator.importRevocationList(other.crlURL)
            Issue.record("a CRL from another CA was imported")
        } catch let AggregatorError.certificateRefused(file, reason) {
            #expect(file == other.crlURL.path && reason.contains("issued by another CA"), "\(reason)")
        }
    }
}
