import CCurl
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One attempt of one request on its own libcurl easy handle: options, callbacks, and the
/// mapping of libcurl's result to `TransportError`.
final class CurlTransfer {
    private let handle: UnsafeMutableRawPointer  // CURL * (a void typedef in curl.h)
    private let url: String
    private let timeout: Double
    private let configuration: CurlClientConfiguration
    /// libcurl writes its message for a failure here (CURLOPT_ERRORBUFFER).
    private let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
    private var headers: UnsafeMutablePointer<curl_slist>?
    /// The response body when it is kept in memory.
    fileprivate var body: [UInt8] = []
    fileprivate var bodyOverflowed = false

    /// Extra request header fields (name → value), e.g. an upload's metadata.
    private let extraHeaders: [String: String]
    /// Polled by libcurl's progress callback; set, it aborts the transfer.
    fileprivate let cancellation: CancellationFlag?

    init(client: CurlClient, path: String, timeout: Double?, headers: [String: String] = [:], cancellation: CancellationFlag? = nil) throws {
        guard let handle = curl_easy_init() else {
            throw TransportError.clientConfigurationInvalid(item: "libcurl", reason: "curl_easy_init failed")
        }
        self.handle = handle
        self.url = client.url(for: path)
        self.timeout = timeout ?? client.configuration.requestTimeout
        self.configuration = client.configuration
        self.extraHeaders = headers
        self.cancellation = cancellation
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
    }

    deinit {
        curl_slist_free_all(headers)
        curl_easy_cleanup(handle)
        errorBuffer.deallocate()
    }

    /// Runs the request, streaming `upload` as a PUT body and the response into `download`
    /// (or memory).
    /// Seconds without a byte moving (the aggregator checking an upload included) after which a
    /// file transfer fails as a timeout.
    static let stallSeconds = 120.0

    func perform(upload: FileDescriptor?, download: FileDescriptor?) throws -> CurlClient.Response {
        try configure()
        let transfer = Unmanaged.passUnretained(self).toOpaque()
        if upload != nil || download != nil {
            // A file transfer's total time depends on the link; what marks a dead one is a stall.
            try set(CURLOPT_LOW_SPEED_LIMIT, 1)
            try set(CURLOPT_LOW_SPEED_TIME, Int(Self.stallSeconds))
        }
        if let upload {
            try set(CURLOPT_UPLOAD, 1)
            try check(tessera_curl_setopt_off_t(handle, CURLOPT_INFILESIZE_LARGE, curl_off_t(upload.size)), "CURLOPT_INFILESIZE_LARGE")
            try check(tessera_curl_setopt_read_callback(handle) { buffer, size, count, context in
                guard let buffer, let context else { return Int(CURL_READFUNC_ABORT) }
                let source = Unmanaged<FileDescriptor>.fromOpaque(context).takeUnretainedValue()
                let result = read(source.descriptor, buffer, size * count)
                guard result >= 0 else {
                    source.failure = String(cString: strerror(errno))
                    return Int(CURL_READFUNC_ABORT)
                }
                return result
            }, "CURLOPT_READFUNCTION")
            try check(tessera_curl_setopt_pointer(handle, CURLOPT_READDATA, Unmanaged.passUnretained(upload).toOpaque()), "CURLOPT_READDATA")
        }
        if let download {
            try check(tessera_curl_setopt_write_callback(handle) { buffer, size, count, context in
                guard let buffer, let context else { return 0 }
                let sink = Unmanaged<FileDescriptor>.fromOpaque(context).takeUnretainedValue()
                var offset = 0
                let total = size * count
                while offset < total {
                    let written = write(sink.descriptor, buffer + offset, total - offset)
                    guard written > 0 else {
                        sink.failure = String(cString: strerror(errno))
                        return 0  // anything short of `total` makes libcurl abort with CURLE_WRITE_ERROR
                    }
                    offset += written
                }
                return total
            }, "CURLOPT_WRITEFUNCTION")
            try check(tessera_curl_setopt_pointer(handle, CURLOPT_WRITEDATA, Unmanaged.passUnretained(download).toOpaque()), "CURLOPT_WRITEDATA")
        } else {
            try check(tessera_curl_setopt_write_callback(handle) { buffer, size, count, context in
                guard let buffer, let context else { return 0 }
                let transfer = Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue()
                let total = size * count
                guard transfer.body.count + total <= CurlClient.maximumInMemoryBody else {
                    transfer.bodyOverflowed = true
                    return 0
                }
                buffer.withMemoryRebound(to: UInt8.self, capacity: total) {
                    transfer.body.append(contentsOf: UnsafeBufferPointer(start: $0, count: total))
                }
                return total
            }, "CURLOPT_WRITEFUNCTION")
            try check(tessera_curl_setopt_pointer(handle, CURLOPT_WRITEDATA, transfer), "CURLOPT_WRITEDATA")
        }

        if cancellation != nil {
            // libcurl calls this often while data flows and about once a second while idle (a long poll).
            try check(tessera_curl_setopt_xferinfo_callback(handle) { context, _, _, _, _ in
                guard let context else { return 0 }
                return Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue().cancellation?.isSet() == true ? 1 : 0
            }, "CURLOPT_XFERINFOFUNCTION")
            try check(tessera_curl_setopt_pointer(handle, CURLOPT_XFERINFODATA, transfer), "CURLOPT_XFERINFODATA")
            try set(CURLOPT_NOPROGRESS, 0)
        }
        let code = withExtendedLifetime((upload, download)) { curl_easy_perform(handle) }
        if code == CURLE_ABORTED_BY_CALLBACK, cancellation?.isSet() == true { throw CancellationError() }
        if let failure = upload?.failure, let path = upload?.path {
            throw TransportError.fileFailed(path: path, reason: "read failed during upload: \(failure)")
        }
        if let failure = download?.failure, let path = download?.path {
            throw TransportError.fileFailed(path: path, reason: "write failed during download: \(failure)")
        }
        guard code == CURLE_OK else { throw error(for: code) }

        var status = 0
        try check(tessera_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status), "CURLINFO_RESPONSE_CODE")
        guard (200...299).contains(status) else {
            let errorBody = download.map { Self.prefix(ofFileAt: $0.path) } ?? body
            throw Self.httpError(url: url, status: status, body: errorBody)
        }
        return CurlClient.Response(status: status, body: body)
    }

    private func configure() throws {
        try set(CURLOPT_URL, url)
        try set(CURLOPT_PROTOCOLS_STR, "https")  // never plain HTTP, not even through a redirect
        try set(CURLOPT_NOSIGNAL, 1)
        try check(tessera_curl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer), "CURLOPT_ERRORBUFFER")
        try set(CURLOPT_SSLCERT, configuration.certificateFile.path)
        try set(CURLOPT_SSLCERTTYPE, "PEM")
        try set(CURLOPT_SSLKEY, configuration.privateKeyFile.path)
        try set(CURLOPT_CAINFO, configuration.trustAnchorFile.path)
        // No directory of system CAs: the consortium CA is the only anchor.
        try check(tessera_curl_setopt_string(handle, CURLOPT_CAPATH, nil), "CURLOPT_CAPATH")
        try set(CURLOPT_SSL_VERIFYPEER, 1)
        try set(CURLOPT_SSL_VERIFYHOST, 2)
        try set(CURLOPT_SSLVERSION, Int(configuration.allowsTLS12 ? CURL_SSLVERSION_TLSv1_2 : CURL_SSLVERSION_TLSv1_3))
        try set(CURLOPT_CONNECTTIMEOUT_MS, Int(configuration.connectTimeout * 1000))
        try set(CURLOPT_TIMEOUT_MS, Int(timeout * 1000))
        // Large buffers: fewer callbacks and full 16 KiB TLS records on uploads.
        try set(CURLOPT_UPLOAD_BUFFERSIZE, 2 << 20)
        try set(CURLOPT_BUFFERSIZE, 512 << 10)
        if let proxy = configuration.proxy { try set(CURLOPT_PROXY, proxy) }
        if let noProxy = configuration.noProxy { try set(CURLOPT_NOPROXY, noProxy) }
        // No "Expect: 100-continue" round trip before uploads.
        var lines = ["Expect:", "Content-Type: application/octet-stream"]
        for (name, value) in extraHeaders.sorted(by: { $0.key < $1.key }) {
            guard !name.contains(where: { $0 == ":" || $0.isNewline }), !value.contains(where: \.isNewline) else {
                throw TransportError.clientConfigurationInvalid(item: "header \(name)", reason: "names and values must be single-line, names without ':'")
            }
            lines.append("\(name): \(value)")
        }
        for line in lines {
            // On a failed allocation curl_slist_append returns NULL and leaves the list as it was,
            // which stays in `headers` to be freed with the transfer.
            guard let extended = curl_slist_append(headers, line) else {
                throw TransportError.clientConfigurationInvalid(item: "libcurl", reason: "cannot allocate headers")
            }
            headers = extended
        }
        try check(tessera_curl_setopt_slist(handle, CURLOPT_HTTPHEADER, headers), "CURLOPT_HTTPHEADER")
    }

    private func set(_ option: CURLoption, _ value: Int) throws {
        try check(tessera_curl_setopt_long(handle, option, value), "\(option)")
    }

    private func set(_ option: CURLoption, _ value: String) throws {
        try check(tessera_curl_setopt_string(handle, option, value), "\(option)")
    }

    private func check(_ code: CURLcode, _ item: String) throws {
        guard code == CURLE_OK else {
            throw TransportError.clientConfigurationInvalid(
                item: "libcurl option \(item)", reason: String(cString: curl_easy_strerror(code)))
        }
    }

    // MARK: Error mapping

    /// The case that tells IT what to fix, from libcurl's code, its message and what it recorded.
    private func error(for code: CURLcode) -> TransportError {
        let message = String(cString: errorBuffer)
        let detail = message.isEmpty ? String(cString: curl_easy_strerror(code)) : message
        let host = URLComponents(string: url)?.host ?? url
        switch code {
        case CURLE_COULDNT_RESOLVE_HOST:
            return .dnsResolutionFailed(host: host, detail: detail)
        case CURLE_COULDNT_RESOLVE_PROXY:
            return .proxyResolutionFailed(proxy: proxyInUse ?? "(from the environment)", detail: detail)
        case CURLE_OPERATION_TIMEDOUT:
            return .timedOut(url: url, seconds: timeout, detail: detail)
        case CURLE_PEER_FAILED_VERIFICATION where detail.contains("host name"):
            // libcurl checks the name itself after OpenSSL accepted the chain, and says so in its message.
            return .serverNameMismatch(url: url, detail: detail)
        case CURLE_PEER_FAILED_VERIFICATION:
            var result = 0
            _ = tessera_curl_getinfo_long(handle, CURLINFO_SSL_VERIFYRESULT, &result)  // 0 when unavailable
            switch result {
            case 9, 10:  // X509_V_ERR_CERT_NOT_YET_VALID, X509_V_ERR_CERT_HAS_EXPIRED
                return .serverCertificateExpired(url: url, detail: detail)
            default:
                return .serverCertificateUntrusted(url: url, detail: detail)
            }
        case CURLE_SSL_CERTPROBLEM:
            return .clientConfigurationInvalid(item: "site certificate or key \(configuration.certificateFile.path)", reason: detail)
        case CURLE_SSL_CACERT_BADFILE:
            return .clientConfigurationInvalid(item: "consortium CA certificate \(configuration.trustAnchorFile.path)", reason: detail)
        case CURLE_WRITE_ERROR where bodyOverflowed:
            return .transferFailed(url: url, detail: "the answer exceeds \(CurlClient.maximumInMemoryBody) bytes")
        default:
            break
        }
        var connectStatus = 0
        _ = tessera_curl_getinfo_long(handle, CURLINFO_HTTP_CONNECTCODE, &connectStatus)
        if let proxy = proxyInUse, connectStatus >= 300 || (code == CURLE_COULDNT_CONNECT && detail.contains(Self.host(of: proxy))) {
            return .proxyRefused(proxy: proxy, detail: connectStatus >= 300 ? "CONNECT answered \(connectStatus): \(detail)" : detail)
        }
        // TLS 1.3 servers refuse a client certificate after the client's Finished: the alert
        // arrives as a read or write error.
        if code == CURLE_RECV_ERROR || code == CURLE_SEND_ERROR, detail.contains("alert") {
            return .tlsHandshakeRejected(url: url, detail: detail)
        }
        switch code {
        case CURLE_COULDNT_CONNECT:
            return .connectionFailed(url: url, detail: detail)
        case CURLE_SSL_CONNECT_ERROR:
            return .tlsHandshakeRejected(url: url, detail: detail)
        case CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE:
            return .transferFailed(url: url, detail: detail)
        default:
            return .curlFailure(url: url, code: Int(code.rawValue), detail: detail)
        }
    }

    /// The proxy this request goes through, if one is configured or in the environment.
    private var proxyInUse: String? {
        if let proxy = configuration.proxy { return proxy }
        // libcurl 7.88 cannot say which proxy it used; read the variables it reads, in its order.
        let environment = ProcessInfo.processInfo.environment
        return ["https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"].lazy.compactMap { environment[$0] }.first { !$0.isEmpty }
    }

    private static func host(of proxy: String) -> String {
        let withScheme = proxy.contains("://") ? proxy : "http://" + proxy
        return URLComponents(string: withScheme)?.host ?? proxy
    }

    /// `TransportError.httpStatus` with the code and message of a JSON error body, if it has one.
    static func httpError(url: String, status: Int, body: [UInt8]) -> TransportError {
        struct ErrorBody: Decodable {
            struct Detail: Decodable {
                let code: String?
                let message: String?
            }
            let error: Detail
        }
        // try?: a body that is not Tessera's JSON error still gives the status.
        let parsed = try? JSONDecoder().decode(ErrorBody.self, from: Data(body))
        return .httpStatus(url: url, status: status, code: parsed?.error.code, message: parsed?.error.message)
    }

    /// The first 64 KiB of a downloaded file, to read an error body.
    private static func prefix(ofFileAt path: String) -> [UInt8] {
        // try?: an unreadable partial download only loses the error message, not the status.
        guard let handle = FileHandle(forReadingAtPath: path), let data = try? handle.read(upToCount: 64 << 10) else {
            return []
        }
        try? handle.close()  // read-only: closing cannot lose data
        return Array(data)
    }
}
