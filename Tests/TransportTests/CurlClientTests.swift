import Foundation
import InMemoryLogging
import Logging
import Security
import Testing
import TestSupport
import Transport

/// The site's libcurl client against the live mutual-TLS server.
@Suite("CurlClient")
struct CurlClientTests {
    private static func client(pki: TestPKI, port: Int, site: String = "site-a", proxy: String? = nil,
                               logs: InMemoryLogHandler = InMemoryLogHandler(), requestTimeout: Double = 60,
                               retry: RetryPolicy = RetryPolicy(maximumAttempts: 1)) throws -> CurlClient {
        try CurlClient(configuration: CurlClientConfiguration(
            baseURL: "https://127.0.0.1:\(port)", certificateFile: pki.file("\(site).pem"),
            privateKeyFile: pki.file("\(site)-key.pem"), trustAnchorFile: pki.caFile,
            proxy: proxy, noProxy: proxy == nil ? nil : "", connectTimeout: 10, requestTimeout: requestTimeout, retry: retry),
            logger: Logger(label: "tessera.test-client") { _ in logs })
    }

    @Test("GET through mutual TLS returns the body, and the server saw the site id")
    func getsHealth() async throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        try await TestServer.run(pki: pki) { server in
            let response = try await Self.client(pki: pki, port: server.port).get("/healthz")
            #expect(response.status == 200)
            #expect(String(decoding: response.body, as: UTF8.self) == "ok site-a")
        }
    }

    @Test("a server certificate for another host name is refused as a name mismatch")
    func refusesWrongHostName() async throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        try await TestServer.run(pki: pki, certificate: "wrong-host") { server in
            await #expect {
                try await Self.client(pki: pki, port: server.port).get("/healthz")
            } throws: { error in
                guard case .serverNameMismatch? = error as? TransportError else { return false }
                return true
            }
        }
    }

    @Test("a server certificate from another CA is refused as untrusted")
    func refusesForeignServer() async throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        try await TestServer.run(pki: pki, certificate: "foreign-server") { server in
            await #expect {
                try await Self.client(pki: pki, port: server.port).get("/healthz")
            } throws: { error in
                guard case .serverCertificateUntrusted? = error as? TransportError else { return false }
                return true
            }
        }
    }

    @Test("a revoked site is told its certificate was rejected, and no retry is made")
    func revokedSiteIsRejected() async throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        let logs = InMemoryLogHandler()
        try await TestServer.run(pki: pki, revokedSerials: { [pki.revokedSerial] }) { server in
            let client = try Self.client(pki: pki, port: server.port, site: "site-revoked", logs: logs,
                                         retry: RetryPolicy(maximumAttempts: 3, initialDelay: 0.01))
            await #expect {
                try await client.get("/healthz")
            } throws: { error in
                guard case .tlsHandshakeRejected? = error as? TransportError else { return false }
                return true
            }
            #expect(logs.entries.isEmpty, "a certificate problem is not retried")
        }
    }

    @Test("an HTTP error carries the JSON error code and message")
    func httpErrorCarriesJSONBody() async throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        try await TestServer.run(pki: pki) { server in
            await #expect {
                try await Self.client(pki: pki, port: server.port).get("/v1/nothing")
            } throws: { error in
                guard case let .httpStatus(_, status, code, message)? = error as? TransportError else { return false }
                return status == 404 && code == "not-found" && message != nil
            }
        }
    }

    @Test("a refused connection is transient: retried with backoff, then reported")
    func retriesRefusedConnection() async throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        let logs = InMemoryLogHandler()
        // Port 1 on loopback: nothing listens there.
        let client = try Self.client(pki: pki, port: 1, logs: logs,
                                     retry: RetryPolicy(maximumAttempts: 3, initialDelay: 0.01, maximumDelay: 0.02))
        await #expect {
            try await client.get("/healthz")
        } throws: { error in
            guard case .connectionFailed? = error as? TransportError else { return false }
            return true
        }
        #expect(logs.entries.filter { $0.message.description == "request failed, retrying" }.count == 2)
    }

    /// Asserts that `request` fails with the case `matches` accepts, whose description names `needle`.
    private static func expectFailure(_ request: () async throws -> Void, named needle: String,
                                      _ matches: (TransportError) -> Bool) async {
        do {
            try await request()
            Issue.record("the request succeeded")
        } catch let error as TransportError {
            #expect(matches(error), "\(error)")
            #expect(error.description.contains(needle), "\(error.description)")
        } catch {
            Issue.record("not a TransportError: \(error)")
        }
    }

    @Test("what IT must fix is named: an unknown host, a proxy that refuses, a server that never answers, an expired server certificate")
    func namesWhatToFix() async throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        let unknownHost = try CurlClient(configuration: CurlClientConfiguration(
            baseURL: "https://aggregator.tessera-test.invalid:8443", certificateFile: pki.file("site-a.pem"),
            privateKeyFile: pki.file("site-a-key.pem"), trustAnchorFile: pki.caFile, noProxy: "*",
            retry: RetryPolicy(maximumAttempts: 1)), logger: Logger(label: "tessera.test-client"))
        await Self.expectFailure({ _ = try await unknownHost.get("/healthz") }, named: "aggregator.tessera-test.invalid") {
            if case .dnsResolutionFailed(host: "aggregator.tessera-test.invalid", _) = $0 { return true }
            return false
        }

        // Port 1 on loopback: nothing listens, so the proxy connection is refused.
        let deadProxy = try Self.client(pki: pki, port: 8443, proxy: "http://127.0.0.1:1")
        await Self.expectFailure({ _ = try await deadProxy.get("/healthz") }, named: "127.0.0.1:1") {
            if case .proxyRefused(proxy: "http://127.0.0.1:1", _) = $0 { return true }
            return false
        }

        // A listener that accepts and never answers: the TLS handshake times out.
        let silent = try SilentListener()
        defer { silent.close() }
        let slow = try Self.client(pki: pki, port: silent.port, requestTimeout: 1)
        await Self.expectFailure({ _ = try await slow.get("/healthz") }, named: "no complete answer") {
            if case .timedOut = $0 { return true }
            return false
        }

        try await TestServer.run(pki: pki, certificate: "expired-server") { server in
            await Self.expectFailure({ _ = try await Self.client(pki: pki, port: server.port).get("/healthz") }, named: "expired") {
                if case .serverCertificateExpired = $0 { return true }
                return false
            }
        }
    }

    @Test("cancelling the task stops a long poll the server holds, before the server answers it")
    func cancellationStopsLongPoll() async throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        try await TestServer.run(pki: pki) { server in
            let client = try Self.client(pki: pki, port: server.port)
            let request = Task { try await client.get("/hold") }
            // Cancelled once the server holds the request (libcurl polls the flag about once a
            // second when idle); the server answers 10 s after it entered.
            while server.holds.entered.withLockedValue({ $0 }) == 0 { try await Task.sleep(for: .milliseconds(10)) }
            request.cancel()
            await #expect(throws: CancellationError.self) { try await request.value }
            #expect(server.holds.answered.withLockedValue { $0 } == 0, "the request ended only when the server answered it")
        }
    }

    @Test("works through an HTTP CONNECT proxy")
    func worksThroughConnectProxy() async throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        let proxy = try await ConnectProxy.start()
        do {
            try await TestServer.run(pki: pki) { server in
                let client = try Self.client(pki: pki, port: server.port, proxy: "http://127.0.0.1:\(proxy.port)")
                let response = try await client.get("/healthz")
                #expect(String(decoding: response.body, as: UTF8.self) == "ok site-a")
                #expect(proxy.tunnelledTargets == ["127.0.0.1:\(server.port)"])
            }
        } catch {
            try await proxy.stop()
            throw error
        }
        try await proxy.stop()
    }

    @Test("a 64 MB upload streams from a file and round-trips its SHA-256; a download streams to a file")
    func streamsLargeUploadAndDownload() async throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        let size = 64 << 20
        let file = pki.file("upload.bin")
        let hasher = try SHA256()
        FileManager.default.createFile(atPath: file.path, contents: nil)
        let handle = try FileHandle(forWritingTo: file)
        for offset in stride(from: 0, to: size, by: 1 << 20) {
            let chunk = pattern(offset: offset, count: 1 << 20)
            try hasher.update(chunk)
            try handle.write(contentsOf: chunk)
        }
        try handle.close()
        let digest = try hasher.finalize().hex

        try await TestServer.run(pki: pki) { server in
            let client = try Self.client(pki: pki, port: server.port)
            let response = try await client.upload(file: file, to: "/upload")
            #expect(String(decoding: response.body, as: UTF8.self) == "\(size) \(digest)")

            let downloaded = pki.file("download.bin")
            _ = try await client.download("/bytes/\(3 << 20)", to: downloaded)
            let bytes = try Data(contentsOf: downloaded)
            #expect(bytes.count == 3 << 20)
            #expect(Array(bytes) == pattern(offset: 0, count: 3 << 20))
            #expect(!FileManager.default.fileExists(atPath: downloaded.path + ".partial"))
        }
    }

    @Test("backoff doubles from the initial delay, is capped, and jitters within [50%, 100%]")
    func backoffIsBounded() {
        let policy = RetryPolicy(maximumAttempts: 5, initialDelay: 1, maximumDelay: 10)
        #expect(policy.delay(afterAttempt: 1, jitter: 1) == 1)
        #expect(policy.delay(afterAttempt: 3, jitter: 1) == 4)
        #expect(policy.delay(afterAttempt: 3, jitter: 0) == 2)
        #expect(policy.delay(afterAttempt: 9, jitter: 1) == 10)
        #expect(TransportError.httpStatus(url: "u", status: 503, code: nil, message: nil).isTransient)
        #expect(TransportError.httpStatus(url: "u", status: 429, code: nil, message: nil).isTransient)
        #expect(!TransportError.httpStatus(url: "u", status: 404, code: nil, message: nil).isTransient)
        #expect(!TransportError.serverCertificateUntrusted(url: "u", detail: "d").isTransient)
    }
}

/// A loopback listener that accepts connections and never answers.
struct SilentListener {
    let descriptor: Int32
    let port: Int

    init() throws {
        (descriptor, port) = try boundLoopbackSocket()
        guard listen(descriptor, 4) == 0 else { throw TransportError.connectionFailed(url: "127.0.0.1:\(port)", detail: "cannot listen") }
    }

    func close() { _ = Glibc.close(descriptor) }
}
