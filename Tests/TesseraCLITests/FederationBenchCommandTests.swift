import ArgumentParser
@testable import TesseraCLI
import Testing

/// `bench federation`'s options: a strategy may name its own learning rate; a bad one is refused by name.
struct FederationBenchCommandTests {
    @Test func aStrategyTakesItsOwnLearningRate() throws {
        let command = try FederationBenchCommand.parse(["--accuracy", "--strategies", "fedavg,ffa@0.004,svd-merge"])
        let runs = try command.strategyRuns()
        #expect(runs.map(\.strategy) == ["fedavg", "ffa", "svd-merge"])
        #expect(runs.map(\.learningRate) == [nil, 0.004, nil])
        #expect(command.learningRate == nil)  // the campaign's default, the strategy's own
    }

    @Test(arguments: ["ffa@", "ffa@fast", "ffa@-0.1", "ffa@inf"])
    func refusesABadLearningRate(entry: String) {
        do {
            _ = try FederationBenchCommand.parse(["--strategies", "fedavg,\(entry)"])
            Issue.record("\(entry) parsed")
        } catch {
            #expect(FederationBenchCommand.message(for: error)
                == "--strategies: '\(entry)' needs a positive learning rate after '@', such as ffa@0.004")
        }
    }

    @Test func refusesANonPositiveGlobalLearningRate() {
        do {
            _ = try FederationBenchCommand.parse(["--learning-rate", "0"])
            Issue.record("--learning-rate 0 parsed")
        } catch {
            #expect(FederationBenchCommand.message(for: error) == "--learning-rate must be positive, not 0.0")
        }
    }
}
