import AggregatorCore
import ArgumentParser
import Foundation
import Subprocesses

/// `tessera-aggregator serve`: the HTTPS API and the round driver.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the federation API over mutual TLS and run the campaign's rounds until SIGTERM.",
        discussion: "Prints `listening on https://HOST:PORT` once the port is bound (port 0 picks a free one)."
    )

    @OptionGroup var options: ConfigOption

    func run() async throws {
        // The state directory is held before anything in it is opened (the database, the blobs'
        // leftover temporaries): two servers on one state would publish a round twice.
        let configuration = try AggregatorConfiguration(contentsOf: URL(fileURLWithPath: options.config))
        let lock: DirectoryLock
        do {
            try FileManager.default.createDirectory(at: configuration.stateDirectory, withIntermediateDirectories: true)
            lock = try DirectoryLock(directory: configuration.stateDirectory, name: "aggregator.lock")
        } catch let error as DirectoryLock.Failure {
            switch error {
            case let .held(directory, holder): throw AggregatorError.stateInUse(directory: directory, holder: holder)
            case let .unopenable(file, reason): throw AggregatorError.storageFailed(path: file, reason: reason)
            }
        } catch {
            throw AggregatorError.storageFailed(path: configuration.stateDirectory.path, reason: error.localizedDescription)
        }
        defer { withExtendedLifetime(lock) {} }
        let aggregator = try Opening.aggregator(configuration: configuration)
        let host = aggregator.configuration.host
        try await AggregatorServer(aggregator: aggregator, logger: Opening.logger(label: "tessera.aggregator", format: aggregator.configuration.logFormat))
            .run { port in
                // Written unbuffered: the demo and tests read the port from it while the server runs.
                FileHandle.standardOutput.write(Data("listening on https://\(host):\(port)\n".utf8))
            }
    }
}

/// `tessera-aggregator config template`.
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config", abstract: "Configuration files.", subcommands: [Template.self])

    struct Template: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a commented configuration file.")
        func run() { print(AggregatorConfiguration.template) }
    }
}
