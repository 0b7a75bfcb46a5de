import Foundation

/// The directory of the built products: the test runner sits beside the executables that
/// `swift build --build-tests` built.
public let builtProductsDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()

/// No loopback port could be bound.
public struct LoopbackPortUnavailable: Error, CustomStringConvertible {
    public var description: String { "cannot bind a loopback port" }
}

/// A free loopback port, bound and released at once: a server restarted by a test must come back
/// on the same port, which a configured port 0 would not give.
public func freeLoopbackPort() throws -> Int {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    try withUnsafeMutablePointer(to: &address) { pointer in
        try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
            guard bind(descriptor, socketAddress, length) == 0, getsockname(descriptor, socketAddress, &length) == 0 else {
                throw LoopbackPortUnavailable()
            }
        }
    }
    return Int(UInt16(bigEndian: address.sin_port))
}
