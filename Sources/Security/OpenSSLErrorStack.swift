import COpenSSL

/// The entries of OpenSSL's thread-local error queue at the moment an operation failed, oldest first.
///
/// Copied into every `SecurityError` that follows an OpenSSL failure, as swift-nio-ssl's
/// `buildErrorStack()` does, so the message shows OpenSSL's own reason
/// (`error:0480006C:PEM routines::no start line`).
///
/// The stack is diagnostic text: its wording changes between OpenSSL releases. So that callers and
/// tests can match a `SecurityError` case exactly (STYLE.md 2.8) on what failed (the file, the field,
/// the value), any two stacks compare equal.
public struct OpenSSLErrorStack: Sendable, Equatable, CustomStringConvertible {
    /// One line per queue entry, as `ERR_error_string_n` formats it.
    public let entries: [String]

    /// A stack with the given entries; tests and callers usually build an empty one.
    public init(entries: [String] = []) {
        self.entries = entries
    }

    /// Empties the calling thread's OpenSSL error queue into a stack.
    ///
    /// Call it on the thread (in the same synchronous function) that made the failing call.
    public static func drain() -> OpenSSLErrorStack {
        var entries: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            entries.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return OpenSSLErrorStack(entries: entries)
    }

    /// Always true: equality of errors is about what failed, not OpenSSL's wording (see the type's note).
    public static func == (lhs: OpenSSLErrorStack, rhs: OpenSSLErrorStack) -> Bool {
        true
    }

    /// The entries joined by "; ", or a note that OpenSSL recorded none.
    public var description: String {
        entries.isEmpty ? "OpenSSL recorded no error" : "OpenSSL: " + entries.joined(separator: "; ")
    }
}
