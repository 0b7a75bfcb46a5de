import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import SiteAgent

/// `tessera-site run`: the agent, until SIGTERM or SIGINT.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Take part in the federation: poll the aggregator, train each open round, upload the update, keep the receipts.",
        discussion: """
            Connects out only (HTTPS to the aggregator, through the configured or environment proxy). A \
            restart resumes a round from its last checkpoint or re-sends its stored update; SIGTERM and \
            SIGINT stop at the next request or training checkpoint.
            """)

    @OptionGroup var config: ConfigurationOption

    func run() async throws {
        let configuration = try config.load()
        try configuration.checkPaths()
        let training = try configuration.checkTrainer()
        let logger = LogSetup.bootstrap(configuration.logFormat)
        logger.info("\(training)")
        let connection = try CurlAggregatorConnection(configuration: configuration, logger: logger)
        let agent = try SiteAgent(configuration: configuration, connection: connection, logger: logger,
                                  showsProgressLine: isatty(STDERR_FILENO) == 1 && configuration.logFormat == .text)
        let group = ServiceGroup(configuration: .init(services: [agent], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}
