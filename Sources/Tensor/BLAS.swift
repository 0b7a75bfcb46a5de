import CBLAS
import Foundation

/// The OpenBLAS runtime every GEMM goes through: its threads and the CPU kernel it picked.
public enum BLAS {
    /// The kernel family OpenBLAS chose for this CPU at load time (e.g. "Haswell", "SkylakeX").
    public static var kernelName: String { String(cString: openblas_get_corename()) }

    /// The number of threads each BLAS call may use.
    public static var threads: Int {
        get { Int(openblas_get_num_threads()) }
        set { openblas_set_num_threads(Int32(newValue)) }
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

    /// The CPU feature flags of this machine (empty when /proc/cpuinfo cannot be read).
    public static func cpuFlags() -> Set<String> {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
              let colon = line.firstIndex(of: ":") else { return [] }
        return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
    }
}
