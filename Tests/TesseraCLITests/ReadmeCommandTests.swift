import ArgumentParser
import Foundation
@testable import TesseraCLI
import Testing

/// Every `tessera …` command line the README shows parses with today's command tree (STYLE.md 2.10).
struct ReadmeCommandTests {
    static func readmeCommands() throws -> [[String]] {
        let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("README.md")
        let text = try String(contentsOf: readme, encoding: .utf8)
        return text.split(separator: "\n")
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { $0.hasPrefix("tessera ") }
            .map { line in
                // Drop a trailing comment and a shell redirection, then split as a shell would
                // (spaces separate words, double quotes group them).
                var command = line.components(separatedBy: "  #").first ?? line
                command = command.components(separatedBy: " > ").first ?? command
                return Array(Self.words(command).dropFirst())
            }
    }

    static func words(_ command: String) -> [String] {
        var words: [String] = [], current = "", quoted = false
        for character in command {
            if character == "\"" {
                quoted.toggle()
            } else if character == " " && !quoted {
                if !current.isEmpty { words.append(current) }
                current = ""
            } else {
                current.append(character)
            }
        }
        if !current.isEmpty { words.append(current) }
        return words
    }

    @Test func everyReadmeCommandParses() throws {
        let commands = try Self.readmeCommands()
        #expect(commands.count >= 10)
        for arguments in commands {
            #expect(throws: Never.self, "tessera \(arguments.joined(separator: " "))") {
                _ = try Tessera.parseAsRoot(arguments)
            }
        }
    }
}
