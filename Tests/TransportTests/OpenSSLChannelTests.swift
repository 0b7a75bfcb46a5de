import Foundation
import Testing
import Transport

/// The HTTP layer behind `OpenSSLChannel`, driven by the `curl` command line.
@Suite("OpenSSLChannel with curl")
struct OpenSSLChannelTests {
    private static func curl(port: Int, pki: TestPKI, path: String = "/healthz", withCertificate: Bool = true,
                             extra: [String] = []) async throws -> ExternalTool.Output {
        var arguments = ["--silent", "--show-error", "--cacert", pki.caFile.path, "--max-time", "20",
                         "--write-out", "\n%{http_code}"]
        if withCertificate {
            arguments += ["--cert", pki.file("site-a.pem").path, "--key", pki.file("site-a-key.pem").path]
        }
        return try await ExternalTool.run("/usr/bin/curl", arguments + extra + ["https://127.0.0.1:\(port)\(path)"])
    }

    @Test("curl with the site's certificate gets /healthz; without it, the connection fails")
    func curlNeedsClientCertificate() async throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        try await TestServer.run(pki: pki) { server in
            let good = try await Self.curl(port: server.port, pki: pki)
            #expect(good.status == 0, "\(good.combined)")
            #expect(good.standardOutput == "ok site-a\n200", "\(good.combined)")

            let anonymous = try await Self.curl(port: server.port, pki: pki, withCertificate: false)
            #expect(anonymous.status != 0, "\(anonymous.combined)")
            #expect(!anonymous.standardOutput.contains("ok"), "\(anonymous.combined)")
        }
    }

    @Test("an unknown route answers 404 with a JSON error body")
    func unknownRouteIsJSON404() async throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        try await TestServer.run(pki: pki) { server in
            let output = try await Self.curl(port: server.port, pki: pki, path: "/v1/nothing")
            #expect(output.standardOutput.hasSuffix("\n404"), "\(output.combined)")
            let body = try #require(output.standardOutput.split(separator: "\n").first)
            let json = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: [String: String]]
            #expect(json?["error"]?["code"] == "not-found", "\(body)")
            #expect(json?["error"]?["message"] != nil, "\(body)")
        }
    }

    @Test("a body over the limit gets 413 too-large, declared or streamed")
    func oversizedBodyIs413() async throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        let file = pki.file("body.bin")
        try Data(repeating: 7, count: 200_000).write(to: file)
        try await TestServer.run(pki: pki, limits: HTTPServerLimits(maxRequestBodyBytes: 100_000)) { server in
            let declared = try await Self.curl(port: server.port, pki: pki, path: "/upload",
                                               extra: ["--upload-file", file.path])
            #expect(declared.standardOutput.hasSuffix("\n413"), "\(declared.combined)")
            #expect(declared.standardOutput.contains("\"code\":\"too-large\""), "\(declared.combined)")

            // From standard input curl sends the body chunked, with no Content-Length.
            let chunked = try await ExternalTool.run("/usr/bin/curl", [
                "--silent", "--cacert", pki.caFile.path, "--cert", pki.file("site-a.pem").path,
                "--key", pki.file("site-a-key.pem").path, "--max-time", "20", "--write-out", "\n%{http_code}",
                "--upload-file", "-", "https://127.0.0.1:\(server.port)/upload",
            ], input: String(repeating: "x", count: 200_000))
            #expect(chunked.standardOutput.hasSuffix("\n413"), "\(chunked.combined)")
            #expect(chunked.standardOutput.contains("\"code\":\"too-large\""), "\(chunked.combined)")
            #expect(!chunked.standardOutput.contains("200000 "), "\(chunked.combined)")
        }
    }

    /// 24 MB answered as one buffer, read at 12 MB/s: about 2 s, most of it after the server has
    /// written the response's last part. The head timeout (300 ms) must not start until the bytes
    /// have left, or the connection closes with megabytes still queued.
    @Test("a download longer than the head timeout arrives whole")
    func slowDownloadArrivesWhole() async throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        let count = 24_000_000
        try await TestServer.run(pki: pki, limits: HTTPServerLimits(requestHeadTimeout: .milliseconds(300))) { server in
            let output = try await Self.curl(port: server.port, pki: pki, path: "/blob/\(count)",
                                             extra: ["--limit-rate", "12M", "--output", "/dev/null", "--write-out", "\n%{http_code}\n%{size_download}"])
            #expect(output.status == 0, "\(output.combined)")
            #expect(output.standardOutput.hasSuffix("\n200\n\(count)"), "\(output.combined)")
        }
    }

    @Test("a keep-alive connection left idle after its response is closed at the head timeout")
    func closesIdleKeepAliveConnection() async throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        try await TestServer.run(pki: pki, limits: HTTPServerLimits(requestHeadTimeout: .milliseconds(300))) { server in
            // -ign_eof keeps the connection open after the request: only the server can end it.
            let output = try await ExternalTool.run("/usr/bin/openssl", [
                "s_client", "-connect", "127.0.0.1:\(server.port)", "-CAfile", pki.caFile.path,
                "-cert", pki.file("site-a.pem").path, "-key", pki.file("site-a-key.pem").path, "-ign_eof", "-quiet",
            ], input: "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", timeout: 20)
            #expect(output.standardOutput.contains("ok site-a"), "\(output.combined)")
            #expect(!output.wasKilledAtDeadline, "\(output.combined)")
        }
    }

    @Test("a client that completes the handshake but sends no request is cut off at the head timeout")
    func cutsOffSilentClient() async throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        let limits = HTTPServerLimits(requestHeadTimeout: .milliseconds(300))
        try await TestServer.run(pki: pki, limits: limits) { server in
            let output = try await ExternalTool.run("/usr/bin/openssl", [
                "s_client", "-connect", "127.0.0.1:\(server.port)", "-CAfile", pki.caFile.path,
                "-cert", pki.file("site-a.pem").path, "-key", pki.file("site-a-key.pem").path, "-ign_eof", "-quiet",
            ], timeout: 20)
            #expect(!output.wasKilledAtDeadline, "\(output.combined)")
        }
    }
}
