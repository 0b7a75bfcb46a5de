import Foundation

/// The directory of the built products: the test runner sits beside the executables that
/// `swift build --build-tests` built.
public let builtProductsDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()

/// No loopback port could be bound.
public struct LoopbackPortUnavailable: Error, CustomStringConvertible {
    public var description: String { "cannot bind a loopback port" }
}

/// A TCP socket bound to `port` on 127.0.0.1, or to a free port for 0 (the caller closes it).
public func boundLoopbackSocket(port: Int = 0) throws -> (descriptor: Int32, port: Int) {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0 }
    }
    guard bound else {
        close(descriptor)
        throw LoopbackPortUnavailable()
    }
    return (descriptor, Int(UInt16(bigEndian: address.sin_port)))
}

/// A free loopback port for a server that a test restarts on the same port (a configured port 0
/// would not give the same one again). It is drawn below the kernel's ephemeral range, which the
/// other suites running meanwhile take their client and port-0 ports from, so no connection of
/// theirs can occupy it between a kill and the restart; it is checked free by binding it.
public func freeLoopbackPort() throws -> Int {
    let range = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8))?  // try?: the usual default below
        .split(whereSeparator: \.isWhitespace).compactMap { Int($0) } ?? []
    let (ephemeralStart, ephemeralEnd) = range.count == 2 ? (range[0], range[1]) : (32_768, 60_999)
    // Below the range when it leaves room there, else above it; failing both, any free port.
    let outside = ephemeralStart - 10_000 >= 1_000 ? 10_000..<ephemeralStart
        : 65_535 - ephemeralEnd >= 1_000 ? (ephemeralEnd + 1)..<65_536 : nil
    guard let outside else {
        let (descriptor, port) = try boundLoopbackSocket()
        close(descriptor)
        return port
    }
    for _ in 0..<200 {
        if let (descriptor, port) = try? boundLoopbackSocket(port: Int.random(in: outside)) {  // try?: taken, draw another
            close(descriptor)
            return port
        }
    }
    throw LoopbackPortUnavailable()
}

/// Runs `executable` with `arguments` (in `directory` when given) and waits: its exit status and
/// its standard output and error together.
public func runProcess(_ executable: String, _ arguments: [String], in directory: URL? = nil) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = directory }
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return (process.terminationStatus, output)
}

/// Whether process `pid` is gone (or a zombie) within `seconds`.
public func processExits(_ pid: pid_t, within seconds: Double) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    func running() -> Bool {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }  // try?: gone
        return !status.contains(") Z ")
    }
    while running() && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
    return !running()
}
