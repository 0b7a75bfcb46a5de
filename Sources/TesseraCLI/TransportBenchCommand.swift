import ArgumentParser
import Foundation
import Hummingbird
import Logging
import Protocols
import Reporting
import Security
import ServiceLifecycle
import Transport

/// `tessera bench transport`: a large upload from the site's libcurl client to the aggregator's
/// OpenSSL server over mutual TLS on loopback, against `openssl speed -evp aes-128-gcm`.
struct TransportBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transport",
        abstract: "Benchmark the delta container (size, encode/decode vs memcpy) and a mutual-TLS upload vs openssl speed.",
        discussion: """
            Issues a throw-away CA, server and site certificate in a temporary directory, starts the \
            server on 127.0.0.1, uploads a file of --megabytes MiB with CurlClient (one warm-up, then the \
            median of --runs), and runs `openssl speed -evp aes-128-gcm` (16 KiB blocks) in the same \
            run as the single-core cipher baseline. Use a release build.
            """)

    @Option(help: "Upload size in MiB.")
    var megabytes = 256

    @Option(help: "Timed uploads; the median is reported.")
    var runs = 3

    @Option(help: "Output format: text or json.")
    var format: ResultsTable.Format = .text

    func run() throws {
        print(try containerTable().rendered(as: format), terminator: format == .text ? "\n" : "")
        let result = try runBlocking { try await measure() }
        let cipher = try opensslSpeed()
        var table = ResultsTable(title: "mutual-TLS upload on loopback vs openssl speed (same run)",
                                 columns: ["measure", "MB/s", "ratio to aes-128-gcm"])
        table.append([.text("upload \(megabytes) MiB, CurlClient → OpenSSLChannel"),
                      .number(result.megabytesPerSecond, decimals: 0), .number(result.megabytesPerSecond / cipher, decimals: 3)])
        table.append([.text("openssl speed -evp aes-128-gcm, 16 KiB blocks"), .number(cipher, decimals: 0), .number(1, decimals: 3)])
        table.notes.append("TLS: \(result.cipherSuite); target ≥ 400 MB/s end to end; MB = 10^6 bytes")
        table.notes.append("cores: \(ProcessInfo.processInfo.activeProcessorCount); client, server and openssl share them")
        print(table.rendered(as: format), terminator: format == .text ? "\n" : "")
    }

    /// The delta container on a realistic LoRA update (rank 16 on q/v of 8 layers of width 2048,
    /// Gaussian-like values): sizes against the raw fp32 safetensors, speeds against memcpy.
    private func containerTable() throws -> ResultsTable {
        let result = try ContainerBenchmark.run(layers: 8, width: 2048, rank: 16, repetitions: 7)
        let memcpy = result.megabytesPerSecond(result.memcpySeconds)
        var table = ResultsTable(title: "delta container, \(result.tensorCount) tensors, \(result.rawBytes) bytes of fp32 safetensors",
                                 columns: ["encoding", "size / raw fp32", "encode MB/s", "decode MB/s", "encode / memcpy", "decode / memcpy"])
        for (name, bytes, encode, decode) in [("fp32 (lossless)", result.fp32ContainerBytes, result.fp32EncodeSeconds, result.fp32DecodeSeconds),
                                              ("bf16", result.bf16ContainerBytes, result.bf16EncodeSeconds, result.bf16DecodeSeconds)] {
            let encodeRate = result.megabytesPerSecond(encode), decodeRate = result.megabytesPerSecond(decode)
            table.append([.text(name), .number(Double(bytes) / Double(result.rawBytes), decimals: 3), .number(encodeRate, decimals: 0),
                          .number(decodeRate, decimals: 0), .number(encodeRate / memcpy, decimals: 4), .number(decodeRate / memcpy, decimals: 4)])
        }
        table.notes.append(String(format: "memcpy of the same bytes: %.0f MB/s; targets: size ≤ 0.86 (fp32), ≤ 0.37 (bf16); one core", memcpy))
        return table
    }

    struct Measurement: Sendable {
        var megabytesPerSecond: Double
        var cipherSuite: String
    }

    func measure() async throws -> Measurement {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-bench-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }  // best effort: a temp dir
        let authority = try CertificateAuthority.initialise(directory: directory.appendingPathComponent("ca"),
                                                            commonName: "Tessera Bench CA")
        let server = try authority.issueServerCertificate(dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"])
        let site = try authority.issueSiteCertificate(siteID: "bench-site")
        let siteCertificate = directory.appendingPathComponent("site.pem")
        let siteKey = directory.appendingPathComponent("site-key.pem")
        try site.write(certificateTo: siteCertificate, privateKeyTo: siteKey)
        let body = directory.appendingPathComponent("body.bin")
        try writeBody(to: body, bytes: megabytes << 20)

        var logger = Logger(label: "tessera.bench.transport")
        logger.logLevel = .warning
        let tls = try OpenSSLServerContext(
            configuration: TLSServerConfiguration(certificateChain: [server.certificate], privateKeyPEM: server.privateKeyPEM,
                                                  trustAnchor: authority.certificate),
            revocationCheck: .serials([]))
        let router = Router(context: MutualTLSRequestContext.self)
        router.add(middleware: JSONErrorMiddleware())
        router.put("/upload") { request, _ in
            var count = 0
            for try await buffer in request.body { count += buffer.readableBytes }
            return "\(count)"
        }
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: router, server: .mutualTLS(context: tls),
            configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                portContinuation.yield(channel.localAddress?.port ?? 0)
                portContinuation.finish()
            },
            logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                defer { portContinuation.finish() }  // a server that fails before it listens ends the wait below
                try await group.run()
            }
            defer { tasks.cancelAll() }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next(), port > 0 else {
                await group.triggerGracefulShutdown()
                throw ValidationError("the bench server did not start on 127.0.0.1")
            }
            let client = try CurlClient(
                configuration: CurlClientConfiguration(
                    baseURL: "https://127.0.0.1:\(port)", certificateFile: siteCertificate, privateKeyFile: siteKey,
                    trustAnchorFile: authority.directory.appendingPathComponent("ca.pem"), noProxy: "*",
                    retry: RetryPolicy(maximumAttempts: 1)),
                logger: logger)
            var seconds: [Double] = []
            for attempt in 0...runs {
                let start = DispatchTime.now().uptimeNanoseconds
                let response = try await client.upload(file: body, to: "/upload")
                let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                guard String(decoding: response.body, as: UTF8.self) == "\(megabytes << 20)" else {
                    throw ValidationError("the server received a different byte count than was sent")
                }
                if attempt > 0 { seconds.append(elapsed) }  // attempt 0 is the warm-up
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            seconds.sort()
            let median = seconds[seconds.count / 2]
            // The server's preference decides among the suites libcurl offers: the policy's first.
            let suite = TLSPolicy.tls13CipherSuites.split(separator: ":").first.map(String.init) ?? "TLS 1.3"
            return Measurement(megabytesPerSecond: Double(megabytes << 20) / median / 1e6, cipherSuite: suite)
        }
    }

    private func writeBody(to url: URL, bytes: Int) throws {
        _ = FileManager.default.createFile(atPath: url.path, contents: nil)  // a failure shows in the next line's error
        let handle = try FileHandle(forWritingTo: url)
        var generator = SystemRandomNumberGenerator()
        let chunk = (0..<(1 << 20) / 8).map { _ in generator.next() as UInt64 }
        let data = chunk.withUnsafeBytes { Data($0) }
        for _ in 0..<(bytes >> 20) { try handle.write(contentsOf: data) }
        try handle.close()
    }

    /// `openssl speed -evp aes-128-gcm` on 16 KiB blocks, in MB/s (its "k" is 1000 bytes).
    private func opensslSpeed() throws -> Double {
        let text = try ChildProcess.run("/usr/bin/openssl", ["speed", "-evp", "aes-128-gcm", "-bytes", "16384", "-seconds", "2"]).output
        guard let line = text.split(separator: "\n").last(where: { $0.uppercased().hasPrefix("AES-128-GCM") }),
              let field = line.split(separator: " ").last, field.hasSuffix("k"),
              let kilobytes = Double(field.dropLast())
        else {
            throw ValidationError("could not read `openssl speed -evp aes-128-gcm` output: \(text.suffix(200))")
        }
        return kilobytes * 1000 / 1e6
    }
}

/// Runs async work from a synchronous command and waits for it (the root command is synchronous).
func runBlocking<Result: Sendable>(_ body: @escaping @Sendable () async throws -> Result) throws -> Result {
    let semaphore = DispatchSemaphore(value: 0)
    let box = ResultBox<Result>()
    Task {
        do {
            box.result = .success(try await body())
        } catch {
            box.result = .failure(error)
        }
        semaphore.signal()
    }
    semaphore.wait()
    guard let result = box.result else { throw ValidationError("the benchmark did not complete") }
    return try result.get()
}

/// Hands a result from a task to the waiting thread; the semaphore orders the write before the read.
private final class ResultBox<Value: Sendable>: @unchecked Sendable {
    var result: Swift.Result<Value, any Error>?
}
