import AggregatorCore
import AggregatorTestSupport
import Foundation
import Ledger
import Protocols
import Security
import Testing
import TestSupport
import Transport

@Suite("Aggregator under load and faults", .serialized)
struct AggregatorLoadTests {
    /// 200 sites upload at once over mutual TLS (each its own libcurl handle on its own thread),
    /// to an aggregator that receives 8 at a time: the others are answered 503 and retry, as
    /// sites do.
    @Test("200 sites upload concurrently in one round, 8 received at a time: each accepted once, every receipt verifies, the round aggregates")
    func twoHundredSites() async throws {
        let sites = (1...200).map { String(format: "site-%03d", $0) }
        let harness = try AggregatorHarness(sites: sites, maximumConcurrentUploads: 8)
        for site in sites { try harness.aggregator.enrol(certificateFile: harness.certificateFile(site)) }
        try harness.aggregator.startCampaign(baseDirectory: harness.baseDirectory, definition: try harness.campaign([
            ("quorum = 2 ", "quorum = 200 "), ("r = 8", "r = 2"),
            (#"target_modules = ".*language_model.*\\.(q_proj|k_proj|v_proj|o_proj|gate_proj|up_proj|down_proj)""#,
             #"target_modules = ".*language_model.*\\.(q_proj|v_proj)""#),
        ]))
        try await harness.serve()
        let updates = try sites.enumerated().map { index, site in
            try harness.update(site: site, samples: 1 + index % 7, shift: Float(index % 10) * 0.001)
        }
        let results = try await withThrowingTaskGroup(of: (Int, Receipt, Double).self) { group in
            for (index, site) in sites.enumerated() {
                group.addTask {
                    let start = DispatchTime.now().uptimeNanoseconds
                    let receipt = try await harness.upload(site, updates[index], round: 1, connectTimeout: 120,
                                                           retry: RetryPolicy(maximumAttempts: 100, initialDelay: 0.05, maximumDelay: 0.5))
                    return (index, receipt, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
                }
            }
            var results: [(Int, Receipt, Double)] = []
            for try await result in group { results.append(result) }
            return results
        }
        #expect(results.count == 200)
        for (index, receipt, _) in results {
            #expect(receipt.site == sites[index] && receipt.digest == updates[index].digest && receipt.round == 1)
        }
        let latencies = results.map(\.2).sorted()
        let busy = harness.aggregator.metrics.text().split(separator: "\n").first { $0.contains("reason=\"unavailable\"") }
        print(String(format: "200 concurrent uploads of %d bytes: p50 %.3f s, p99 %.3f s; ", (try Data(contentsOf: updates[0].file)).count,
                     latencies[latencies.count / 2], latencies[latencies.count * 99 / 100]) + "answered busy: \(busy ?? "none")")
        #expect(try await eventually(60) { try harness.aggregator.round(1).state == .published })

        let receipts = harness.directory.appendingPathComponent("receipts")
        try FileManager.default.createDirectory(at: receipts, withIntermediateDirectories: true)
        for (index, receipt, _) in results { try WireJSON.encode(receipt).write(to: receipts.appendingPathComponent("\(index).json")) }
        let summary = try AuditVerifier(authority: harness.authority.certificate)
            .verify(ledgerAt: Aggregator.databaseURL(in: harness.configuration.stateDirectory), receiptsIn: receipts)
        #expect(summary.receiptCount == 200)
        let accepted = try harness.aggregator.ledger.entries(after: 0, limit: 100_000).filter { $0.kind == .updateAccepted }
        #expect(accepted.count == 200 && Set(accepted.compactMap(\.site)).count == 200)
    }

    /// The blob directory on a 1 MB tmpfs: an update that does not fit gets a 5xx with a JSON
    /// error, nothing of it is kept or recorded as accepted, and the server keeps answering.
    @Test("a full disk during an upload: 500 with a JSON error, nothing half-written accepted, the server keeps serving")
    func fullDisk() async throws {
        let harness = try AggregatorHarness()
        try harness.enrol("site-a", "site-b")
        try harness.aggregator.startCampaign(baseDirectory: harness.baseDirectory,
                                             definition: try harness.campaign([("encoding = \"bf16\"", "encoding = \"fp32\"")]))
        let blobs = harness.configuration.stateDirectory.appendingPathComponent("blobs")
        let saved = harness.directory.appendingPathComponent("blobs-saved")
        try FileManager.default.moveItem(at: blobs, to: saved)
        guard let disk = try FullDisk.mount(over: blobs, test: "full-disk test") else { return }
        defer { disk.unmount() }
        for file in try FileManager.default.contentsOfDirectory(atPath: saved.path) {
            try FileManager.default.copyItem(at: saved.appendingPathComponent(file), to: blobs.appendingPathComponent(file))
        }
        try disk.fill()
        try await harness.serve()

        let update = try harness.update(site: "site-a", samples: 3, shift: 0.01)
        do {
            _ = try await harness.upload("site-a", update)
            Issue.record("an update was accepted on a full disk")
        } catch let TransportError.httpStatus(_, status, code, message) {
            #expect(status == 500 && code == "internal", "\(status) \(code ?? "-") \(message ?? "")")
        }
        #expect(try harness.aggregator.updates(round: 1).isEmpty)
        #expect(try harness.aggregator.ledger.entries(after: 0, limit: 1000).allSatisfy { $0.kind != .updateAccepted })
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: blobs.path).filter { $0.contains(".tmp-") || $0 == update.digest.hex }
        #expect(leftovers.isEmpty, "\(leftovers)")
        #expect(try await harness.client("site-b").get("/healthz").body == Array("ok".utf8))

        // Space again: the same bytes are accepted.
        try disk.makeRoom()
        #expect(try await harness.upload("site-a", update).digest == update.digest)
    }
}
