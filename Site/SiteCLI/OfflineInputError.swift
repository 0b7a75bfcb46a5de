/// An input file of an offline command that cannot be used.
struct OfflineInputError: Error, CustomStringConvertible {
    var file: String
    var reason: String
    var description: String { "\(file): \(reason)" }
}
