import AggregatorCore
import Foundation
import Ledger
import Logging
import Model
import PlanBinding
import Protocols
import Reporting
import Tensor
import Transport

/// The durability half of `tessera bench aggregate`: ledger appends per second with
/// synchronous=FULL, and upload ingest over mutual TLS on loopback through the whole intake
/// (headers, body, decode, validation, step norm, fsync of the blob, the ledger transaction,
/// the signed receipt), beside a raw mutual-TLS upload of the same bytes measured in this run.
struct IngestBenchmark {
    let uploads: Int

    func table() throws -> ResultsTable {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-bench-ingest-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: work) }  // try?: a temporary directory
        let ledger = try LedgerBenchmark.appendsPerSecond(count: 500, directory: work.appendingPathComponent("ledger"))
        let ingest = try runBlocking { try await measureIngest(work: work.appendingPathComponent("ingest")) }
        let raw = try runBlocking { try await TransportBenchCommand.parse(["--megabytes", "\(max(1, ingest.bytes >> 20))", "--runs", "3"]).measure() }
        var table = ResultsTable(title: "durability and ingest (same run)", columns: ["measure", "per second", "ratio"])
        table.append([.text("ledger appends (synchronous=FULL, signed)"), .number(ledger.appendsPerSecond, decimals: 0), .missing])
        table.append([.text("fsyncs of the same disk (baseline)"), .number(ledger.fsyncsPerSecond, decimals: 0),
                      .number(ledger.appendsPerSecond / ledger.fsyncsPerSecond, decimals: 2)])
        table.append([.text("upload ingest, MB/s (decode, validate, fsync, ledger, receipt)"), .number(ingest.megabytesPerSecond, decimals: 0),
                      .number(ingest.megabytesPerSecond / raw.megabytesPerSecond, decimals: 2)])
        table.append([.text("raw mutual-TLS upload of the same size, MB/s (baseline)"), .number(raw.megabytesPerSecond, decimals: 0),
                      .number(1, decimals: 2)])
        table.notes.append("\(uploads) sequential uploads of \(ingest.bytes) bytes (small preset, LoRA r=128 on every projection, fp32); MB = 10^6 bytes")
        return table
    }

    private func measureIngest(work: URL) async throws -> (megabytesPerSecond: Double, bytes: Int) {
        let sites = (1...uploads).map { String(format: "site-%02d", $0) }
        var settings = CampaignDefinition.ExampleSettings()
        settings.quorum = uploads
        let campaign = CampaignDefinition.exampleTOML(settings)
            .replacingOccurrences(of: "r = 8", with: "r = 128")
            .replacingOccurrences(of: "encoding = \"bf16\"", with: "encoding = \"fp32\"")
            .replacingOccurrences(of: "maximum_upload_bytes = 67108864", with: "maximum_upload_bytes = 268435456")
        let bench = try await BenchConsortium.start(in: work, sites: sites, campaign: campaign, preset: .small, label: "tessera.bench.ingest")
        defer { bench.server.cancel() }
        let aggregator = bench.aggregator
        guard let round = try aggregator.currentRound() else { throw DemoFailure("no round is open") }
        let status = try aggregator.status(of: round)
        let global = try DeltaContainer.decode(try aggregator.blobs.read(status.globalAdapterDigest), source: "global",
                                               expecting: .init(maximumDecompressedBytes: 1 << 31)).container.tensors
        let uploadNames = Set(status.plan.tensors.upload.map(\.name))
        var files: [(site: String, file: URL, metadata: UploadMetadata)] = []
        for (index, site) in sites.enumerated() {
            var generator = SeededGenerator(seed: UInt64(index))
            let tensors = global.filter { uploadNames.contains($0.name) }.map { tensor in
                NamedTensor(name: tensor.name, shape: tensor.shape, values: tensor.values.map { $0 + Float.random(in: -1e-2...1e-2, using: &generator) })
            }
            let encoded = try DeltaContainer(header: .init(round: round.id, site: site, baseDigest: status.baseDigest, sampleCount: 10,
                                                           encoding: .fp32), tensors: tensors).encoded()
            let file = work.appendingPathComponent("\(site).tcz")
            try Data(encoded.bytes).write(to: file)
            files.append((site, file, UploadMetadata(digest: encoded.digest, baseDigest: status.baseDigest, sampleCount: 10, encoding: .fp32)))
        }
        var bytes = 0
        let start = DispatchTime.now().uptimeNanoseconds
        for upload in files {
            let client = try bench.client(upload.site)
            _ = try await client.upload(file: upload.file, to: "/v1/rounds/\(round.id)/updates", headers: upload.metadata.httpHeaderFields)
            bytes += try FileManager.default.attributesOfItem(atPath: upload.file.path)[.size] as? Int ?? 0
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return (Double(bytes) / seconds / 1e6, bytes / uploads)
    }
}
