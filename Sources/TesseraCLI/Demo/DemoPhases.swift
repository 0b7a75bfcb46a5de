import Foundation
import Reporting

/// The demo's phases with their time budgets (issue #10), timed as they run.
struct DemoPhases {
    struct Phase {
        let name: String
        let budget: Double
        var seconds: Double
    }

    private(set) var phases: [Phase] = []
    /// Printed under the table.
    var notes: [String] = []

    /// Runs `body` as the phase `name`, printing its start and how long it took.
    mutating func run<Result>(_ name: String, budget: Double, _ body: () throws -> Result) rethrows -> Result {
        print("── \(name) (budget \(Int(budget)) s)")
        let start = DispatchTime.now().uptimeNanoseconds
        let result = try body()
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        phases.append(Phase(name: name, budget: budget, seconds: seconds))
        print(String(format: "   %@ took %.1f s", name, seconds))
        return result
    }

    var table: ResultsTable {
        var table = ResultsTable(title: "phases", columns: ["phase", "seconds", "budget"])
        for phase in phases {
            table.append([.text(phase.name), .number(phase.seconds, decimals: 1), .number(phase.budget, decimals: 0)])
        }
        table.append([.text("total"), .number(phases.reduce(0) { $0 + $1.seconds }, decimals: 1),
                      .number(phases.reduce(0) { $0 + $1.budget }, decimals: 0)])
        table.notes = notes
        return table
    }
}
