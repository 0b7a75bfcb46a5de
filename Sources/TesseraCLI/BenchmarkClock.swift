import CBLAS
import Foundation

/// Timing for `tessera bench`: a warm-up, then the median of several runs, on a monotonic clock.
enum BenchmarkClock {
    /// The median seconds of `runs` calls of `body`, after `warmup` untimed calls.
    static func median(warmup: Int = 2, runs: Int = 7, _ body: () -> Void) -> Double {
        for _ in 0..<warmup { body() }
        var times: [Double] = []
        for _ in 0..<runs {
            let start = DispatchTime.now().uptimeNanoseconds
            body()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        times.sort()
        return times[times.count / 2]
    }

    /// The median seconds of `first` and of `second`, timed alternately (first, second, first, …)
    /// so that drifts in clock speed or load during the measurement touch both equally: the way to
    /// time a figure against its baseline.
    static func medians(warmup: Int = 2, runs: Int = 7, _ first: () -> Void, _ second: () -> Void) -> (Double, Double) {
        for _ in 0..<warmup {
            first()
            second()
        }
        var times: ([Double], [Double]) = ([], [])
        for _ in 0..<runs {
            var start = DispatchTime.now().uptimeNanoseconds
            first()
            times.0.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            start = DispatchTime.now().uptimeNanoseconds
            second()
            times.1.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return (times.0.sorted()[runs / 2], times.1.sorted()[runs / 2])
    }

    /// The machine line every benchmark prints: cores, BLAS threads and kernel.
    static var machineNote: String {
        "cores: \(ProcessInfo.processInfo.activeProcessorCount), OpenBLAS threads: \(openblas_get_num_threads()), "
            + "OpenBLAS kernel: \(String(cString: openblas_get_corename()))"
    }
}

/// Keeps a computed value alive so the optimiser cannot drop the work that produced it.
@inline(never)
func consume<T>(_ value: T) {
    withExtendedLifetime(value) {}
}
