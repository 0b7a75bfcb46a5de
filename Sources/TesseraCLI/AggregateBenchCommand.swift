import ArgumentParser
import CZstd
import Federation
import Foundation
import Protocols
import Reporting
import Security
import Tensor

/// `tessera bench aggregate`: fedavg in memory and from stored containers, and svd-merge, on
/// LLaMA-7B-shaped LoRA updates, against Flower's FedAvg and a zstd-decode-and-sum baseline
/// measured in the same run.
struct AggregateBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aggregate",
        abstract: "Benchmark fedavg (in memory and from stored containers) and svd-merge against Flower and zstd.",
        discussion: """
            Each update is LoRA r 16 on q_proj and v_proj of a 32-layer, width-4096 model: 8.39 M \
            float32 parameters. In memory: FedAvg against Flower 1.40's aggregate (with \
            --flower-anchor, shared/anchors/flower_fedavg.py run in the same invocation). From stored \
            containers: N fp32 containers written to a temporary directory, then read, decompressed and \
            summed one at a time, in a child process per N so its peak RSS (VmHWM) is its own, beside a \
            loop that only zstd-decodes the same files and sums their words, and beside the full \
            DeltaContainer.decode path. svd-merge: time and relative truncation error at rank 16.
            """
    )

    @Option(help: "Site counts, comma-separated.")
    var sites = "10,50"

    @Option(help: "Timed runs per figure; the median is reported.")
    var runs = 3

    @Option(help: "Path of flower_fedavg.py to run for the same-machine Flower figure (needs flwr 1.40).")
    var flowerAnchor: String?

    @Flag(help: "Skip svd-merge (it takes about a minute for 50 sites).")
    var skipSVDMerge = false

    @Option(help: "Output format: text or json.")
    var format: ResultsTable.Format = .text

    @Option(help: .hidden)
    var single: Int?

    @Option(help: .hidden)
    var directory: String?

    func validate() throws {
        guard !siteCounts.isEmpty, siteCounts.allSatisfy({ $0 >= 1 }) else {
            throw ValidationError("--sites takes positive integers separated by commas, e.g. 10,50; got \(sites)")
        }
        guard runs >= 1 else { throw ValidationError("--runs must be ≥ 1; got \(runs)") }
    }

    private var siteCounts: [Int] { sites.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }

    func run() throws {
        if let single, let directory {
            try StoredAggregationRun(directory: URL(fileURLWithPath: directory), sites: single, runs: runs).measure()
            return
        }
        let counts = siteCounts
        let largest = counts.max() ?? 1
        let flower = try Dictionary(uniqueKeysWithValues: counts.map { count in (count, try flowerAnchor.map { try Self.runFlower($0, sites: count) }) })
        let workload = try AggregationWorkload(sites: largest)

        var memoryTable = ResultsTable(title: "fedavg in memory, \(workload.parameterCount) parameters per update",
                                       columns: ["sites", "ours s", "GB/s read", "memcpy GB/s", "ours/memcpy", "Flower s", "Flower/ours"])
        for count in counts {
            let updates = Array(workload.updates.prefix(count))
            let seconds = try Self.median(runs: runs) { consume(try FedAvg().aggregate(updates, onto: workload.global)) }
            let bytes = Double(count * workload.parameterCount * 4)
            let copy = bytes / Self.memcpySeconds(updates, runs: runs) / 1e9
            let flowerSeconds = flower[count] ?? nil
            memoryTable.append([.integer(count), .number(seconds, decimals: 4), .number(bytes / seconds / 1e9, decimals: 1),
                                .number(copy, decimals: 1), .number(bytes / seconds / 1e9 / copy, decimals: 2),
                                flowerSeconds.map { .number($0, decimals: 3) } ?? .missing,
                                flowerSeconds.map { .number($0 / seconds, decimals: 1) } ?? .missing])
        }
        memoryTable.notes = ["target: Flower/ours ≥ 20; Flower: one run of flwr.server.strategy.aggregate.aggregate in a separate python3 process",
                             "memcpy: every update's values copied into one reused buffer of one update's size (the bytes fedavg must read)",
                             BenchmarkClock.machineNote]

        let storedTable = try storedContainerTable(workload: workload, counts: counts, flower: flower)
        var tables = [memoryTable, storedTable]
        if !skipSVDMerge { tables.append(try svdMergeTable(workload: workload, counts: counts)) }
        tables.append(try IngestBenchmark(uploads: 10).table())
        for table in tables {
            print(table.rendered(as: format), terminator: format == .text ? "\n" : "")
        }
    }

    /// Writes the containers, then runs one child process per site count.
    private func storedContainerTable(workload: AggregationWorkload, counts: [Int], flower: [Int: Double?]) throws -> ResultsTable {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-bench-aggregate-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }  // `try?`: a leftover temporary directory is harmless.
        var containerBytes = 0
        for (index, update) in workload.updates.enumerated() {
            let encoded = try AggregationWorkload.container(for: update).encoded()
            containerBytes = encoded.bytes.count
            try Data(encoded.bytes).write(to: directory.appendingPathComponent(AggregationWorkload.fileName(index)))
        }
        var table = ResultsTable(title: "fedavg from stored fp32 containers (read, decompress, unshuffle, accumulate; one child process per row)",
                                 columns: ["sites", "ours s", "baseline s", "ours/baseline", "Flower s", "Flower/ours", "peak RSS MiB",
                                           "full decode s", "full decode/ours"])
        for count in counts {
            let child = try Self.runChild(sites: count, directory: directory, runs: runs)
            let flowerSeconds = flower[count] ?? nil
            table.append([.integer(count), .number(child.seconds, decimals: 4), .number(child.baselineSeconds, decimals: 4),
                          .number(child.seconds / child.baselineSeconds, decimals: 2),
                          flowerSeconds.map { .number($0, decimals: 3) } ?? .missing,
                          flowerSeconds.map { .number($0 / child.seconds, decimals: 2) } ?? .missing,
                          .number(Double(child.peakKiB) / 1024, decimals: 1), .number(child.fullDecodeSeconds, decimals: 3),
                          .number(child.fullDecodeSeconds / child.seconds, decimals: 2)])
        }
        table.notes = [
            "container: \(containerBytes) bytes (\(String(format: "%.3f", Double(containerBytes) / Double(workload.parameterCount * 4))) of raw fp32); files read from the page cache",
            "baseline: the same files read, ZSTD_decompressDCtx into one reused buffer and their 32-bit words summed in one loop",
            "full decode: DeltaContainer.decode (SHA-256, canonical re-encode, copies) then add, one run",
            "targets: ours/baseline ≤ 1.3, Flower/ours ≥ 3, peak RSS independent of the site count",
            BenchmarkClock.machineNote,
        ]
        return table
    }

    private func svdMergeTable(workload: AggregationWorkload, counts: [Int]) throws -> ResultsTable {
        var table = ResultsTable(title: "svd-merge to rank \(AggregationWorkload.rank) (64 modules, 4096 × 4096 each, never formed)",
                                 columns: ["sites", "stacked rank", "seconds", "fedavg s", "svd/fedavg", "max relative error", "mean relative error"])
        let merge = try SVDMerge(rank: AggregationWorkload.rank, alpha: 32, useRSLoRA: false)
        for count in counts {
            let updates = Array(workload.updates.prefix(count))
            var result: Aggregation?
            let seconds = try Self.median(warmup: 0, runs: 1) { result = try merge.aggregate(updates, onto: workload.global) }
            let fedavg = try Self.median(runs: runs) { consume(try FedAvg().aggregate(updates, onto: workload.global)) }
            let errors = Array(result?.report.relativeTruncationErrors.values ?? [:].values)
            table.append([.integer(count), .integer(count * AggregationWorkload.rank), .number(seconds, decimals: 2),
                          .number(fedavg, decimals: 4), .number(seconds / fedavg, decimals: 0),
                          .number(errors.max() ?? .nan, decimals: 4), .number(errors.reduce(0, +) / Double(max(errors.count, 1)), decimals: 4)])
        }
        table.notes = [
            "relative error: ‖ΔW − s′B′A′‖_F / ‖ΔW‖_F per module = √(Σ_{j>16} σⱼ²) / √(Σ σⱼ²), the Eckart–Young optimum at rank 16",
            "the sites' factors here are independent random matrices, so ΔW has full stacked rank: the worst case for truncation",
            "one run each (no warm-up); LAPACK through OpenBLAS",
            BenchmarkClock.machineNote,
        ]
        return table
    }

    /// The median seconds to memcpy every update's tensors into one buffer of one update's size.
    static func memcpySeconds(_ updates: [SiteUpdate], runs: Int) -> Double {
        let tensors = updates.first?.adapter.tensors ?? []
        var buffers = tensors.map { [Float](repeating: 0, count: $0.values.count) }
        return BenchmarkClock.median(warmup: 1, runs: runs) {
            for update in updates {
                for (index, tensor) in update.adapter.tensors.enumerated() {
                    buffers[index].withUnsafeMutableBytes { target in tensor.values.withUnsafeBytes { target.copyMemory(from: $0) } }
                }
            }
        }
    }

    /// The median seconds of a throwing body (``BenchmarkClock/median(warmup:runs:_:)``).
    static func median(warmup: Int = 1, runs: Int, _ body: () throws -> Void) throws -> Double {
        var failure: Error?
        let seconds = BenchmarkClock.median(warmup: warmup, runs: runs) {
            do { try body() } catch { failure = error }
        }
        if let failure { throw failure }
        return seconds
    }

    /// Runs Flower's FedAvg anchor for `sites` updates and returns its `flower_aggregate_s`.
    static func runFlower(_ path: String, sites: Int) throws -> Double {
        let output = try runProcess("/usr/bin/env", ["python3", path, String(sites)])
        guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("flower_aggregate_s") }),
              let value = line.split(separator: " ").last.flatMap({ Double($0) }) else {
            throw ValidationError("the Flower anchor \(path) did not print flower_aggregate_s (is flwr installed? pip install flwr==1.40.0)")
        }
        return value
    }

    /// Runs this executable's hidden `--single` mode and parses its figures.
    static func runChild(sites: Int, directory: URL, runs: Int) throws -> StoredAggregationRun.Figures {
        let output = try runProcess("/proc/self/exe", ["bench", "aggregate", "--single", String(sites), "--directory", directory.path,
                                                       "--runs", String(runs)])
        guard let figures = StoredAggregationRun.Figures(parsing: output) else {
            throw ValidationError("the child measuring \(sites) stored containers printed no figures: \(output)")
        }
        return figures
    }

    private static func runProcess(_ executable: String, _ arguments: [String]) throws -> String {
        let (status, output) = try ChildProcess.run(executable, arguments, showsErrors: true)
        guard status == 0 else {
            throw ValidationError("\(executable) \(arguments.joined(separator: " ")) exited with status \(status)")
        }
        return output
    }
}
