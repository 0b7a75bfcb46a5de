import ArgumentParser
import CBLAS
import Foundation
import Reporting
import Tensor

/// `tessera bench tensor`: the tensor engine against cblas, memcpy and the sgemm peak, all measured
/// in the same run.
struct TensorBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tensor",
        abstract: "Benchmark matmul, elementwise kernels, tape overhead and a LLaMA-style block.",
        discussion: """
            Prints each figure beside a baseline measured in the same run: the matmul op against a \
            direct cblas_sgemm call, kernels in GB/s against memcpy of the same bytes, the cost of a \
            recorded op on 1-element tensors, and a LLaMA-style block's forward+backward against the \
            machine's sgemm peak (1024² cblas_sgemm). Use a release build.
            """
    )

    @Option(help: "Output format: text or json.")
    var format: ResultsTable.Format = .text

    @Option(help: "Timed runs per figure; the median is reported.")
    var runs = 7

    func run() throws {
        let peak = Self.sgemmPeakGFLOPs(runs: runs)
        for table in [matmulTable(), kernelTable(), tapeTable(), blockTable(peakGFLOPs: peak)] {
            var table = table
            table.notes.append(BenchmarkClock.machineNote)
            print(table.rendered(as: format), terminator: format == .text ? "\n" : "")
        }
    }

    /// The machine's sgemm peak: GFLOP/s of a direct 1024² cblas_sgemm.
    static func sgemmPeakGFLOPs(runs: Int) -> Double {
        // A 1024² GEMM takes a few ms: a handful of runs gave anything from 150 to 310 GFLOP/s here
        // from one process to the next. Thirty-one after ten warm-ups settle it.
        sgemmGFLOPs(warmup: 10, runs: Swift.max(runs, 31))
    }

    /// A quick estimate of the sgemm peak (about 0.4 s at 65 GFLOP/s), for a note beside other
    /// figures rather than a ratio.
    static func sgemmPeakEstimateGFLOPs() -> Double {
        sgemmGFLOPs(warmup: 3, runs: 9)
    }

    /// GFLOP/s of a 1024² cblas_sgemm: the median of `runs` after `warmup`.
    private static func sgemmGFLOPs(warmup: Int, runs: Int) -> Double {
        let n = 1024
        var generator = SeededGenerator(seed: 1)
        let a = (0..<(n * n)).map { _ in generator.uniform() }, b = (0..<(n * n)).map { _ in generator.uniform() }
        var c = [Float](repeating: 0, count: n * n)
        let seconds = BenchmarkClock.median(warmup: warmup, runs: runs) {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(n), Int32(n), 1, a, Int32(n), b, Int32(n), 0, &c, Int32(n))
        }
        return 2 * Double(n * n * n) / seconds / 1e9
    }

    private func matmulTable() -> ResultsTable {
        var table = ResultsTable(title: "matmul op (recorded, inputs require gradients) vs direct cblas_sgemm",
                                 columns: ["size", "cblas GFLOP/s", "op GFLOP/s", "op/cblas"])
        for n in [64, 128, 256, 512, 1024] {
            let a = Tensor(shape: [n, n], values: random(n * n, seed: 3), requiresGradient: true)
            let b = Tensor(shape: [n, n], values: random(n * n, seed: 4), requiresGradient: true)
            let flops = 2 * Double(n * n * n)
            var c = [Float](repeating: 0, count: n * n)
            let (cblasSeconds, opSeconds) = BenchmarkClock.medians(runs: runs, {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(n), Int32(n), 1,
                            a.values, Int32(n), b.values, Int32(n), 0, &c, Int32(n))
            }, { consume(a.matmul(b)) })
            let direct = flops / 1e9 / cblasSeconds, op = flops / 1e9 / opSeconds
            table.append([.integer(n), .number(direct, decimals: 1), .number(op, decimals: 1), .number(op / direct, decimals: 3)])
        }
        table.notes.append("target: op/cblas ≥ 0.95 from 256 up; 64 and 128 show the tape's fixed cost; the two are timed alternately")
        return table
    }

    private func kernelTable() -> ResultsTable {
        let rows = 4096, width = 1024, count = rows * width
        let x = Tensor(shape: [rows, width], values: random(count, seed: 5))
        let other = Tensor(shape: [rows, width], values: random(count, seed: 6))
        let weight = Tensor(repeating: 1, shape: [width]), bias = Tensor(zeros: [width])
        let bytes = Double(count * 4)
        var table = ResultsTable(title: "kernels on \(rows)×\(width) float32, forward, vs memcpy of the same bytes",
                                 columns: ["kernel", "GB/s", "memcpy GB/s", "kernel/memcpy"])
        // name, bytes moved (reads + writes), work
        let kernels: [(String, Double, () -> Void)] = [
            ("add", 3 * bytes, { consume(x + other) }),
            ("multiply", 3 * bytes, { consume(x * other) }),
            ("add bias (row broadcast)", 2 * bytes, { consume(x + bias) }),
            ("silu", 2 * bytes, { consume(x.activated(.silu)) }),
            ("softmax", 2 * bytes, { consume(x.softmax()) }),
            ("rmsnorm", 2 * bytes, { consume(x.rmsNormalized(weight: weight, epsilon: 1e-5)) }),
            ("layernorm", 2 * bytes, { consume(x.layerNormalized(weight: weight, bias: bias, epsilon: 1e-5)) }),
        ]
        for (name, moved, work) in kernels {
            let kernel = moved / 1e9 / BenchmarkClock.median(runs: runs, work)
            let copy = moved / 1e9 / memcpySeconds(bytes: Int(moved / 2))
            table.append([.text(name), .number(kernel, decimals: 2), .number(copy, decimals: 2), .number(kernel / copy, decimals: 2)])
        }
        table.notes.append("bytes moved = reads + writes; memcpy copies half that many bytes (one read, one write each)")
        return table
    }

    private func memcpySeconds(bytes: Int) -> Double {
        let source = [UInt8](repeating: 1, count: bytes)
        var destination = [UInt8](repeating: 0, count: bytes)
        return BenchmarkClock.median(runs: runs) {
            destination.withUnsafeMutableBytes { d in source.withUnsafeBytes { s in d.copyMemory(from: s) } }
        }
    }

    private func tapeTable() -> ResultsTable {
        let chain = 10_000
        let w = Tensor(shape: [1], values: [1], requiresGradient: true)
        let one = Tensor(shape: [1], values: [1e-6])
        // Each run's graph is kept until all runs are timed: its teardown is not the next run's cost.
        var graphs: [Tensor] = []
        let forward = BenchmarkClock.median(runs: runs) {
            var y = w
            for _ in 0..<chain { y = y + one }
            graphs.append(y)
        }
        graphs.removeAll()
        let total = BenchmarkClock.median(runs: runs) {
            var y = w
            for _ in 0..<chain { y = y + one }
            y.backward()
        }
        var table = ResultsTable(title: "autodiff tape on 1-element tensors (\(chain) chained adds)",
                                 columns: ["phase", "µs per op"])
        table.append([.text("forward, recorded"), .number(forward / Double(chain) * 1e6, decimals: 3)])
        table.append([.text("forward + backward"), .number(total / Double(chain) * 1e6, decimals: 3)])
        table.notes.append("target: ≤ 2 µs per recorded op")
        return table
    }

    private func blockTable(peakGFLOPs: Double) -> ResultsTable {
        let block = LlamaStyleBlock(width: 256, heads: 4, intermediate: 672, seed: 7)
        let (sequences, tokens) = (16, 128)
        let x = Tensor(shape: [sequences, tokens, block.width], values: random(sequences * tokens * block.width, seed: 8))
        // A 1024² GEMM takes a few ms: a handful of runs gave anything from 150 to 310 GFLOP/s here
        // from one process to the next. Thirty-one after ten warm-ups settle it.
        let seconds = BenchmarkClock.median(warmup: 10, runs: Swift.max(runs, 31)) {
            block.forward(x).backward()
        }
        let flops = block.trainingFLOPs(sequences: sequences, tokens: tokens)
        let achieved = flops / seconds / 1e9
        var table = ResultsTable(title: "LLaMA-style block, width 256, 4 heads, SwiGLU 672, \(sequences)×\(tokens) tokens, forward+backward",
                                 columns: ["seconds", "tokens/s", "GFLOP/s", "sgemm peak GFLOP/s", "fraction of peak"])
        table.append([.number(seconds, decimals: 4), .number(Double(sequences * tokens) / seconds, decimals: 0),
                      .number(achieved, decimals: 1), .number(peakGFLOPs, decimals: 1), .number(achieved / peakGFLOPs, decimals: 3)])
        table.notes.append("FLOPs: \(String(format: "%.2f", flops / 1e9)) GFLOP per step (GEMMs: forward, and dX and dW in backward); peak: 1024² cblas_sgemm in this run; target ≥ 0.5")
        return table
    }

    private func random(_ count: Int, seed: UInt64) -> [Float] {
        var generator = SeededGenerator(seed: seed)
        return (0..<count).map { _ in generator.uniform() * 2 - 1 }
    }
}

/// One pre-norm LLaMA decoder block written with the tensor engine's ops (RMSNorm, q/k/v/o
/// projections with RoPE and causal attention, SwiGLU MLP), all weights trainable: the workload of
/// the block benchmark. The model library's decoder is the product's version of it.
struct LlamaStyleBlock {
    let width: Int, heads: Int, intermediate: Int
    let attentionNorm: Tensor, mlpNorm: Tensor
    let query: Tensor, key: Tensor, value: Tensor, output: Tensor
    let gate: Tensor, up: Tensor, down: Tensor

    init(width: Int, heads: Int, intermediate: Int, seed: UInt64) {
        var generator = SeededGenerator(seed: seed)
        func weight(_ shape: [Int]) -> Tensor {
            Tensor(shape: shape, values: (0..<shape.elementCount).map { _ in generator.normal() * 0.02 }, requiresGradient: true)
        }
        self.width = width
        self.heads = heads
        self.intermediate = intermediate
        attentionNorm = Tensor(shape: [width], values: [Float](repeating: 1, count: width), requiresGradient: true)
        mlpNorm = Tensor(shape: [width], values: [Float](repeating: 1, count: width), requiresGradient: true)
        (query, key, value, output) = (weight([width, width]), weight([width, width]), weight([width, width]), weight([width, width]))
        (gate, up, down) = (weight([intermediate, width]), weight([intermediate, width]), weight([width, intermediate]))
    }

    /// `x (N, T, C)` → `(N, T, C)`.
    func forward(_ x: Tensor) -> Tensor {
        let (sequences, tokens) = (x.shape[0], x.shape[1])
        let headSize = width / heads
        let positions = Array(0..<tokens)
        let h = x.rmsNormalized(weight: attentionNorm, epsilon: 1e-5)
        let q = h.linear(weight: query).reshaped([sequences, tokens, heads, headSize]).rotaryEmbedded(positions: positions, base: 10000)
        let k = h.linear(weight: key).reshaped([sequences, tokens, heads, headSize]).rotaryEmbedded(positions: positions, base: 10000)
        let v = h.linear(weight: value)
        let attended = q.reshaped([sequences, tokens, width])
            .attention(keys: k.reshaped([sequences, tokens, width]), values: v, heads: heads, keyValueHeads: heads, causal: true)
        let x2 = x + attended.linear(weight: output)
        let h2 = x2.rmsNormalized(weight: mlpNorm, epsilon: 1e-5)
        return x2 + Tensor.swiGLU(gate: h2.linear(weight: gate), up: h2.linear(weight: up)).linear(weight: down)
    }

    /// GEMM FLOPs of forward + backward: each projection `2·rows·in·out` forward and twice that
    /// backward (dX and dW); attention `2·T²·D` per head for QKᵀ and for PV forward, twice each backward.
    func trainingFLOPs(sequences: Int, tokens: Int) -> Double {
        let rows = Double(sequences * tokens)
        let projections = 2 * rows * Double(4 * width * width + 3 * width * intermediate)
        let attention = 2 * 2 * Double(sequences) * Double(tokens * tokens) * Double(width)
        return 3 * (projections + attention)
    }
}
