import Foundation
import Logging
import Reporting
import SiteAgent

/// The process's logging, set once by the commands that log: text lines or JSON lines on
/// standard error, at info and above.
enum LogSetup {
    static func bootstrap(_ format: SiteConfiguration.LogFormat) -> Logger {
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler
            switch format {
            case .text: handler = StreamLogHandler.standardError(label: label)
            case .json: handler = JSONLogHandler(label: label)
            }
            handler.logLevel = .info
            return handler
        }
        return Logger(label: "tessera-site")
    }
}
