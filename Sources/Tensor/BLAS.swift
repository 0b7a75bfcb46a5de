import CBLAS
import Foundation

/// The OpenBLAS runtime every GEMM goes through: its threads and the CPU kernel it picked.
public enum BLAS {
    /// The kernel family OpenBLAS chose for this CPU at load time (e.g. "Haswell", "SkylakeX").
    public static var kernelName: String { String(cString: openblas_get_corename()) }

    /// The number of threads each BLAS call may use: the process's thread budget (`--threads`),
    /// or what the sections running now hold it at (``holdingThreads(_:_:)``); a budget set while
    /// they run takes effect when they have finished.
    public static var threads: Int {
        get { Int(openblas_get_num_threads()) }
        set { BLASThreads.shared.setBudget(newValue) }
    }

    /// Runs `body` with every BLAS call at `threads` threads. OpenBLAS rounds some products
    /// differently on one thread and on two (90 of 576 random shapes here), so work whose bits
    /// must not depend on timing holds the count it runs at: sections holding the same count run
    /// side by side, one holding another count waits for them (only tests run several trainers in
    /// one process). Sections may nest when they hold the same count.
    public static func holdingThreads<R, E: Error>(_ threads: Int, _ body: () throws(E) -> R) throws(E) -> R {
        try BLASThreads.shared.holding(threads, body)
    }

    /// The kernel family to force with `OPENBLAS_CORETYPE` when OpenBLAS did not recognise this
    /// CPU and fell back to its generic SSE3 kernel ("Prescott"), or nil when its choice stands.
    ///
    /// Debian 12's OpenBLAS 0.3.21 does not know Intel's newest server cores (family 6, model 207)
    /// and runs sgemm there at ≈ 40 GFLOP/s instead of ≈ 250 with its AVX-512 kernel; the kernel
    /// is chosen when the library loads, so only a fresh process can change it.
    /// - Parameter cpuFlags: the `flags` of /proc/cpuinfo.
    public static func preferredCoreType(currentKernel: String = kernelName, cpuFlags: Set<String>) -> String? {
        guard currentKernel == "Prescott" else { return nil }
        if cpuFlags.isSuperset(of: ["avx512f", "avx512dq", "avx512bw", "avx512vl", "avx512cd"]) { return "SkylakeX" }
        if cpuFlags.isSuperset(of: ["avx2", "fma"]) { return "Haswell" }
        return nil
    }

    /// How long, as a power of two of CPU cycles, OpenBLAS's idle threads spin before they sleep
    /// (`OPENBLAS_THREAD_TIMEOUT`): 2¹⁸ ≈ 0.1 ms instead of its default 2²⁸ ≈ 0.1 s.
    ///
    /// Training alternates BLAS calls with BLAS-free kernels that split over the same cores
    /// (softmax, attention's per-head tasks, elementwise chunks); for 0.1 s after every threaded
    /// GEMM the spinning OpenBLAS threads took CPU time from them. Measured with `tessera bench
    /// model` on 2 cores: the small preset's step 0.29 → 0.25 s, attention 50 → 32 ms.
    public static let idleThreadSpinExponent = 18

    /// The OpenBLAS settings this process should start with that its environment lacks, as
    /// variables to set. OpenBLAS reads them only when it loads, so applying them takes a fresh
    /// process (see ``restartWithTunedSettingsIfNeeded()``). A variable the user set is kept.
    public static func missingSettings(environment: [String: String], currentKernel: String = kernelName,
                                       cpuFlags: Set<String>) -> [String: String] {
        var settings: [String: String] = [:]
        if environment["OPENBLAS_CORETYPE"] == nil,
           let coreType = preferredCoreType(currentKernel: currentKernel, cpuFlags: cpuFlags) {
            settings["OPENBLAS_CORETYPE"] = coreType
        }
        if environment["OPENBLAS_THREAD_TIMEOUT"] == nil {
            settings["OPENBLAS_THREAD_TIMEOUT"] = String(idleThreadSpinExponent)
        }
        return settings
    }

    /// Re-executes this process with ``missingSettings(environment:currentKernel:cpuFlags:)`` set,
    /// when there are any; the executables call it first thing in `main`. Child processes inherit
    /// the settings, so they start tuned. If `execv` fails, the run continues as it is.
    public static func restartWithTunedSettingsIfNeeded() {
        let settings = missingSettings(environment: ProcessInfo.processInfo.environment, cpuFlags: cpuFlags())
        guard !settings.isEmpty else { return }
        for (name, value) in settings { setenv(name, value, 1) }
        execv("/proc/self/exe", CommandLine.unsafeArgv)
    }

    /// The CPU feature flags of this machine (empty when /proc/cpuinfo cannot be read).
    public static func cpuFlags() -> Set<String> {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
              let colon = line.firstIndex(of: ":") else { return [] }
        return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
    }
}

/// OpenBLAS's thread count, one setting for the whole process: the budget, or what the sections
/// running now hold it at (``BLAS/holdingThreads(_:_:)``).
final class BLASThreads: @unchecked Sendable {
    // @unchecked: every access takes `condition`'s lock.
    static let shared = BLASThreads()
    private let condition = NSCondition()
    private var holders = 0
    private var held = 0
    /// What OpenBLAS was set to before the first change here (its default: the cores).
    private var budget = Int(openblas_get_num_threads())

    func setBudget(_ threads: Int) {
        condition.withLock {
            budget = threads
            if holders == 0 { openblas_set_num_threads(Int32(threads)) }
        }
    }

    func holding<R, E: Error>(_ threads: Int, _ body: () throws(E) -> R) throws(E) -> R {
        condition.withLock {
            while holders > 0 && held != threads { condition.wait() }
            if holders == 0 {
                held = threads
                openblas_set_num_threads(Int32(threads))
            }
            holders += 1
        }
        defer {
            condition.withLock {
                holders -= 1
                if holders == 0 {
                    openblas_set_num_threads(Int32(budget))
                    condition.broadcast()
                }
            }
        }
        return try body()
    }
}
