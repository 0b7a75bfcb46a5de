import ArgumentParser
import Reporting

/// `--format text|json` on every command that prints a results table.
extension ResultsTable.Format: ExpressibleByArgument {}
