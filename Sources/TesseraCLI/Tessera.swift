import ArgumentParser
import Foundation
import Tensor

/// `tessera`: the operator's, auditor's and ML engineer's command line.
@main
struct Tessera: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tessera",
        abstract: "Federated LoRA fine-tuning of a medical vision-language model across hospitals.",
        subcommands: [DemoCommand.self, ModelCommand.self, DataCommand.self, TrainCommand.self, EvalCommand.self, CACommand.self, AuditCommand.self, BenchCommand.self]
    )

    static func main() {
        restartWithFasterBLASKernelIfNeeded()
        main(nil)
    }

    /// Re-executes this process with `OPENBLAS_CORETYPE` set when OpenBLAS fell back to its generic
    /// kernel on a CPU it does not recognise (see ``BLAS/preferredCoreType(currentKernel:cpuFlags:)``).
    /// An explicit `OPENBLAS_CORETYPE` is always respected; if `execv` fails, the run continues.
    private static func restartWithFasterBLASKernelIfNeeded() {
        guard ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] == nil,
              let coreType = BLAS.preferredCoreType(cpuFlags: BLAS.cpuFlags()) else { return }
        setenv("OPENBLAS_CORETYPE", coreType, 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
    }
}
