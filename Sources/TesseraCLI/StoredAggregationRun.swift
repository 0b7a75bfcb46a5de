import CZstd
import Federation
import Foundation
import Protocols

/// The child-process half of `tessera bench aggregate`: fedavg over `sites` stored containers
/// read one at a time, its peak RSS (VmHWM, this process's own), then the zstd-and-sum baseline
/// and the full-decode path on the same files. Prints one line of figures for the parent.
struct StoredAggregationRun {
    /// What the child prints: `stored_s X baseline_s Y full_decode_s Z peak_kib K`.
    struct Figures {
        let seconds: Double
        let baselineSeconds: Double
        let fullDecodeSeconds: Double
        let peakKiB: Int

        var line: String { "stored_s \(seconds) baseline_s \(baselineSeconds) full_decode_s \(fullDecodeSeconds) peak_kib \(peakKiB)" }

        init(seconds: Double, baselineSeconds: Double, fullDecodeSeconds: Double, peakKiB: Int) {
            self.seconds = seconds
            self.baselineSeconds = baselineSeconds
            self.fullDecodeSeconds = fullDecodeSeconds
            self.peakKiB = peakKiB
        }

        init?(parsing output: String) {
            guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("stored_s ") }) else { return nil }
            let fields = line.split(separator: " ")
            var values: [String: Substring] = [:]
            for index in stride(from: 0, to: fields.count - 1, by: 2) { values[String(fields[index])] = fields[index + 1] }
            guard let seconds = values["stored_s"].flatMap({ Double($0) }), let baseline = values["baseline_s"].flatMap({ Double($0) }),
                  let full = values["full_decode_s"].flatMap({ Double($0) }), let peak = values["peak_kib"].flatMap({ Int($0) }) else { return nil }
            self.init(seconds: seconds, baselineSeconds: baseline, fullDecodeSeconds: full, peakKiB: peak)
        }
    }

    let directory: URL
    let sites: Int
    let runs: Int

    private var files: [URL] { (0..<sites).map { directory.appendingPathComponent(AggregationWorkload.fileName($0)) } }

    func measure() throws {
        let global = try AggregationWorkload.zeroAdapter()
        let specs = AggregationWorkload.tensorSpecs
        let limit = DeltaContainer.Expectation.maximumCanonicalBytes(for: specs)
        let seconds = try AggregateBenchCommand.median(runs: runs) { consume(try streamedAverage(global: global, specs: specs, limit: limit)) }
        let peak = Self.peakResidentKiB()
        let baseline = try AggregateBenchCommand.median(runs: runs) { try decodeAndSum(limit: limit) }
        let fullDecode = try AggregateBenchCommand.median(warmup: 0, runs: 1) {
            var average = try WeightedAverage(strategy: "fedavg", global: global)
            for file in files {
                let decoded = try DeltaContainer.decode(try Data(contentsOf: file), source: file.path,
                                                        expecting: .init(maximumDecompressedBytes: limit, tensors: specs))
                try average.add(SiteUpdate(decoded.container))
            }
            consume(try average.finished())
        }
        print(Figures(seconds: seconds, baselineSeconds: baseline, fullDecodeSeconds: fullDecode, peakKiB: peak).line)
    }

    /// fedavg streamed from the files: one container in memory at a time.
    private func streamedAverage(global: Adapter, specs: [TensorSpec], limit: Int) throws -> Aggregation {
        var average = try WeightedAverage(strategy: "fedavg", global: global)
        var storage: [UInt8] = []
        var compressed: [UInt8] = []
        for file in files {
            try Self.read(file, into: &compressed)
            let stored = try DeltaContainer.Stored.open(compressed, source: file.path, maximumDecompressedBytes: limit,
                                                        tensors: specs, reusing: &storage)
            try average.add(stored)
            storage = (consume stored).storage
        }
        return try average.finished()
    }

    /// The baseline: read, `ZSTD_decompressDCtx` into one reused buffer, and add the data
    /// region's 32-bit words into one running sum (integer adds: the same bytes moved as a float
    /// sum, without denormal slow paths on shuffled bytes).
    private func decodeAndSum(limit: Int) throws {
        guard let context = ZSTD_createDCtx() else { throw BenchError("ZSTD_createDCtx returned NULL") }
        defer { ZSTD_freeDCtx(context) }
        var buffer = [UInt8](repeating: 0, count: limit)
        var sums: [UInt32] = []
        var compressed: [UInt8] = []
        for file in files {
            try Self.read(file, into: &compressed)
            let produced = compressed.withUnsafeBytes { source in
                buffer.withUnsafeMutableBytes { target in
                    ZSTD_decompressDCtx(context, target.baseAddress, target.count, source.baseAddress, source.count)
                }
            }
            guard ZSTD_isError(produced) == 0 else { throw BenchError("zstd could not decompress \(file.path)") }
            let dataStart = 8 + buffer.prefix(8).reversed().reduce(0) { $0 << 8 | Int($1) }
            let words = (produced - dataStart) / 4
            if sums.isEmpty { sums = [UInt32](repeating: 0, count: words) }
            buffer.withUnsafeBytes { raw in
                sums.withUnsafeMutableBufferPointer { sums in
                    guard let base = raw.baseAddress else { return }
                    let x = (base + dataStart).assumingMemoryBound(to: UInt32.self)
                    for j in 0..<min(words, sums.count) { sums[j] &+= x[j] }
                }
            }
        }
        consume(sums)
    }

    /// The bytes of `file` in `buffer`, whose memory is reused (both paths read the same way).
    static func read(_ file: URL, into buffer: inout [UInt8]) throws {
        let descriptor = open(file.path, O_RDONLY)
        guard descriptor >= 0 else { throw BenchError("cannot open \(file.path): errno \(errno)") }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw BenchError("cannot stat \(file.path): errno \(errno)") }
        let size = Int(status.st_size)
        if buffer.count != size { buffer = [UInt8](repeating: 0, count: size) }
        var done = 0
        try buffer.withUnsafeMutableBytes { raw in
            guard let base = raw.baseAddress else { return }
            while done < size {
                let count = Foundation.read(descriptor, base + done, size - done)
                guard count > 0 else { throw BenchError("cannot read \(file.path): errno \(errno)") }
                done += count
            }
        }
    }

    /// VmHWM of /proc/self/status: this process's peak resident set, in KiB (0 if unreadable).
    static func peakResidentKiB() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) else { return 0 }
        return line.split(separator: " ").compactMap { Int($0) }.first ?? 0
    }
}

/// A benchmark step that failed (a bug or a broken environment, never bad user input).
struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
