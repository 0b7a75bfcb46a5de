import AggregatorCore
import AggregatorTestSupport
import Foundation
import GRDB
import Ledger
import PlanBinding
import Protocols
import Security
import Testing
import TestSupport
import Transport

@Suite("Aggregator rounds", .serialized)
struct AggregatorRoundTests {
    @Test("two sites' updates aggregate to their sample-weighted average; receipts verify against the ledger")
    func fedAvgRound() async throws {
        let harness = try AggregatorHarness()
        try harness.enrol("site-a", "site-b")
        try harness.aggregator.startCampaign(baseDirectory: harness.baseDirectory,
                                             definition: try harness.campaign([("encoding = \"bf16\"", "encoding = \"fp32\"")]))
        try await harness.serve()
        let (status, global) = try harness.currentGlobal()
        #expect(status.id == 1 && status.state == .open)

        let a = try harness.update(site: "site-a", samples: 10, shift: 0.01)
        let b = try harness.update(site: "site-b", samples: 30, shift: 0.05)
        let receiptA = try await harness.upload("site-a", a)
        let receiptB = try await harness.upload("site-b", b)
        #expect(receiptA.digest == a.digest && receiptA.site == "site-a" && receiptA.round == 1)
        #expect(receiptB.digest == b.digest && receiptB.sequence > receiptA.sequence)

        #expect(try await eventually { try harness.aggregator.round(1).state == .published })
        let round1 = try harness.aggregator.round(1)
        let round2 = try harness.aggregator.round(2)
        #expect(round2.state == .open && round2.globalDigest == round1.resultDigest)
        let published = try DeltaContainer.decode(try harness.aggregator.blobs.read(try SHA256.Digest(hex: round1.resultDigest!)),
                                                  source: "round 1", expecting: .init(maximumDecompressedBytes: 1 << 30))
        #expect(published.container.header.sampleCount == 40)
        let expectedShift: Float = (10 * 0.01 + 30 * 0.05) / 40
        let before = Dictionary(uniqueKeysWithValues: global.map { ($0.name, $0.values) })
        for tensor in published.container.tensors {
            let origin = try #require(before[tensor.name])
            let worst = largestDifference(tensor.values, origin.map { $0 + expectedShift })
            #expect(worst < 1e-6, "\(tensor.name): off by \(worst)")
        }

        // The same bytes again get the same receipt, although the round has closed.
        #expect(try await harness.upload("site-a", a, round: 1) == receiptA)

        let receipts = harness.directory.appendingPathComponent("receipts")
        try FileManager.default.createDirectory(at: receipts, withIntermediateDirectories: true)
        for (name, receipt) in [("a", receiptA), ("b", receiptB)] {
            try WireJSON.encode(receipt).write(to: receipts.appendingPathComponent("\(name).json"))
        }
        let summary = try AuditVerifier(authority: harness.authority.certificate)
            .verify(ledgerAt: Aggregator.databaseURL(in: harness.configuration.stateDirectory), receiptsIn: receipts)
        #expect(summary.receiptCount == 2)
        let kinds = try harness.aggregator.ledger.entries(after: 0, limit: 100).map(\.kind.rawValue)
        #expect(kinds.contains("round-aggregated") && kinds.contains("model-published") && kinds.filter { $0 == "update-accepted" }.count == 2)
    }

    @Test("a round short of its quorum at the deadline fails, and the next starts from the same adapter")
    func failedRound() async throws {
        let harness = try AggregatorHarness()
        try harness.enrol("site-a", "site-b")
        try harness.aggregator.startCampaign(baseDirectory: harness.baseDirectory, definition: try harness.campaign())
        try await harness.serve()
        _ = try await harness.upload("site-a", try harness.update(site: "site-a", samples: 5, shift: 0.01))
        #expect(try harness.aggregator.round(1).state == .collecting)
        harness.passTime(601)  // the example campaign's deadline is 600 s
        #expect(try await eventually { try harness.aggregator.round(1).state == .failed })
        let failed = try harness.aggregator.round(1)
        #expect(failed.failure == "1 valid update by the deadline, quorum 2")
        #expect(try harness.aggregator.round(2).globalDigest == failed.globalDigest)
        let entry = try #require(try harness.aggregator.ledger.entries(after: 0, limit: 100).first { $0.kind == .roundFailed })
        #expect(entry.round == 1 && entry.payload["valid_updates"] == .number(1))
    }

    @Test("a round left aggregating by a killed process is aggregated when the state is opened again")
    func restartAggregates() throws {
        let harness = try AggregatorHarness()
        try harness.enrol("site-a", "site-b")
        try harness.aggregator.startCampaign(baseDirectory: harness.baseDirectory, definition: try harness.campaign())
        for (site, shift) in [("site-a", Float(0.01)), ("site-b", 0.02)] {
            let update = try harness.update(site: site, samples: 10, shift: shift)
            let admission = try harness.aggregator.admitUpload(round: 1, site: site, serial: try X509Certificate(contentsOf: harness.certificateFile(site)).serialNumber,
                                                               headers: update.metadata.httpHeaderFields, contentLength: nil)
            _ = try harness.aggregator.accept(admission, body: Array(try Data(contentsOf: update.file)))
        }
        // As if the process died right after closing collection.
        try harness.aggregator.database.write { db in try db.execute(sql: "UPDATE round SET state = 'aggregating' WHERE id = 1") }
        let reopened = try Aggregator(configuration: harness.configuration, logger: AggregatorHarness.logger)
        guard case .published(round: 1, _) = try reopened.advance() else {
            Issue.record("round 1 was not published after the restart")
            return
        }
        #expect(try reopened.round(2).state == .open)
    }

    /// Admits and accepts `update` in process, as the server's upload handler does.
    private func submit(_ harness: AggregatorHarness, _ site: String, _ update: (file: URL, metadata: UploadMetadata, digest: SHA256.Digest))
        throws -> Aggregator.Admission {
        try harness.aggregator.admitUpload(round: 1, site: site, serial: try X509Certificate(contentsOf: harness.certificateFile(site)).serialNumber,
                                           headers: update.metadata.httpHeaderFields, contentLength: nil)
    }

    @Test("a sample count above the examples a round of the plan draws, or another encoding than the plan's, is refused before the body is read")
    func implausibleSampleCount() throws {
        let harness = try AggregatorHarness()
        try harness.enrol("site-a", "site-b")
        try harness.aggregator.startCampaign(baseDirectory: harness.baseDirectory, definition: try harness.campaign())
        let plan = try harness.currentGlobal().status.plan
        let drawn = plan.schedule.steps * plan.schedule.batchSize
        #expect(throws: UploadRejection(.badRequest, "Tessera-Sample-Count is \(Int.max), more examples than a round of this plan draws "
                                        + "(\(plan.schedule.steps) steps × batch size \(plan.schedule.batchSize) = \(drawn))")) {
            try submit(harness, "site-a", try harness.update(site: "site-a", samples: Int.max, shift: 0.01))
        }
        var otherEncoding = try harness.update(site: "site-a", samples: drawn, shift: 0.01)
        otherEncoding.metadata.encoding = plan.wire.encoding == .bf16 ? .fp32 : .bf16
        #expect(throws: UploadRejection(.badRequest, "Tessera-Encoding is \(otherEncoding.metadata.encoding.rawValue); "
                                        + "the plan's wire.encoding is \(plan.wire.encoding.rawValue)")) {
            try submit(harness, "site-a", otherEncoding)
        }
        _ = try submit(harness, "site-a", try harness.update(site: "site-a", samples: drawn, shift: 0.01))
    }

    @Test("the same bytes admitted twice before either is stored (a retry overtaking a slow first attempt) are accepted once; both get the one receipt")
    func concurrentDuplicate() throws {
        let harness = try AggregatorHarness()
        try harness.enrol("site-a", "site-b")
        try harness.aggregator.startCampaign(baseDirectory: harness.baseDirectory, definition: try harness.campaign())
        let update = try harness.update(site: "site-a", samples: 10, shift: 0.01)
        let body = Array(try Data(contentsOf: update.file))
        // Both admitted before either is stored: a retry that overtook a slow first attempt.
        let first = try submit(harness, "site-a", update), second = try submit(harness, "site-a", update)
        let receipt = try harness.aggregator.accept(first, body: body)
        #expect(try harness.aggregator.accept(second, body: body) == receipt)
        let accepted = try harness.aggregator.ledger.entries(after: 0, limit: 100).filter { $0.kind == .updateAccepted }
        #expect(accepted.map(\.sequence) == [receipt.sequence])
    }

    @Test("an aggregation that cannot succeed fails the round with its reason in the ledger, and the campaign goes on")
    func aggregationFailureFailsTheRound() throws {
        let harness = try AggregatorHarness()
        try harness.enrol("site-a", "site-b")
        // fp32, and a step-norm bound that never clips: fedavg's running sum 10 × 1e38 overflows float32.
        try harness.aggregator.startCampaign(baseDirectory: harness.baseDirectory, definition: try harness.campaign([
            ("encoding = \"bf16\"", "encoding = \"fp32\""), ("bound = 50.0", "bound = 1e300")]))
        for site in ["site-a", "site-b"] {
            let update = try harness.update(site: site, samples: 10, shift: 1e38)
            _ = try harness.aggregator.accept(try submit(harness, site, update), body: Array(try Data(contentsOf: update.file)))
        }
        guard case let .failed(round: 1, reason) = try harness.aggregator.advance() else {
            Issue.record("round 1 did not fail")
            return
        }
        #expect(reason.hasPrefix("aggregation failed: the aggregate of tensor ") && reason.contains("overflows float32"), "\(reason)")
        let failed = try harness.aggregator.round(1)
        #expect(failed.state == .failed && failed.failure == reason)
        #expect(try harness.aggregator.round(2).state == .open && harness.aggregator.round(2).globalDigest == failed.globalDigest)
        let entry = try #require(try harness.aggregator.ledger.entries(after: 0, limit: 100).first { $0.kind == .roundFailed })
        #expect(entry.payload["reason"] == .string(reason))
    }
}
