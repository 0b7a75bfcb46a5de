import AggregatorCore
import ArgumentParser
import Foundation
import Logging
import Reporting

/// Opening the state directory for a command, with the configured log format.
enum Opening {
    /// The configuration and an ``Aggregator`` over its state directory.
    static func aggregator(_ option: ConfigOption, label: String = "tessera.aggregator") throws -> Aggregator {
        try aggregator(configuration: try AggregatorConfiguration(contentsOf: URL(fileURLWithPath: option.config)), label: label)
    }

    static func aggregator(configuration: AggregatorConfiguration, label: String = "tessera.aggregator") throws -> Aggregator {
        try Aggregator(configuration: configuration, logger: logger(label: label, format: configuration.logFormat))
    }

    static func logger(label: String, format: String) -> Logger {
        Logger(label: label) { label in
            if format == "json" { return JSONLogHandler(label: label) }
            return StreamLogHandler.standardError(label: label)
        }
    }
}
