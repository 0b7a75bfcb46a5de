import COpenSSL
import Logging
import NIOCore
import Security

/// The server side of a mutual-TLS connection, as a SwiftNIO handler over OpenSSL memory BIOs.
///
/// Ciphertext from the socket is written into the `SSL`'s inbound memory BIO; OpenSSL's output
/// (handshake messages, records, alerts) is collected from the outbound memory BIO and written to
/// the socket. Plaintext goes up the pipeline as `ByteBuffer`s once the handshake has verified the
/// client, and plaintext written down the pipeline is encrypted on flush (writes made before the
/// handshake completes wait for it). This is the structure swift-nio-ssl uses over BoringSSL,
/// written over the system's libssl.
///
/// The client must present a certificate that chains to the consortium CA and that
/// `OpenSSLServerContext`'s `RevocationCheck` does not report revoked; otherwise OpenSSL sends an
/// alert (certificate_required, unknown_ca, certificate_revoked…) and the connection closes. A
/// handshake that does not finish within the policy's timeout is cut off. On success the
/// handler records the `PeerIdentity` for the channel (`PeerIdentity.of(channel)`) and fires
/// `TLSHandshakeCompleted`.
///
/// Each failure is reported once: logged once (info, `tls.*` metadata), fired once as a
/// `TransportError` through `errorCaught`, then the connection is closed.
/// Closing sends close_notify first.
public final class OpenSSLHandler: ChannelDuplexHandler, RemovableChannelHandler {
    public typealias InboundIn = ByteBuffer
    public typealias InboundOut = ByteBuffer
    public typealias OutboundIn = ByteBuffer
    public typealias OutboundOut = ByteBuffer

    private enum State {
        /// Created; the channel is not active yet.
        case idle
        case handshaking
        case active
        /// close_notify sent or received; nothing more is read or written.
        case closed
    }

    /// Plaintext buffers handed up the pipeline hold up to this many bytes (4 full TLS records).
    private static let plaintextChunkSize = 64 * 1024

    private let serverContext: OpenSSLServerContext
    private var logger: Logger
    private let ssl: OpaquePointer
    /// Ciphertext from the network, read by OpenSSL; owned by `ssl`.
    private let inboundBIO: OpaquePointer
    /// Ciphertext OpenSSL produced, to send; owned by `ssl`.
    private let outboundBIO: OpaquePointer
    private var state = State.idle
    private var bufferedWrites = CircularBuffer<(data: ByteBuffer, promise: EventLoopPromise<Void>?)>()
    /// A flush arrived during the handshake: send the buffered writes as soon as it completes.
    private var flushRequested = false
    private var handshakeTimeout: Scheduled<Void>?
    private var hasReportedFailure = false
    /// Why the verify callback refused the certificate, for a precise error.
    private var verificationRefusal: TransportError?
    private var peerDescription = "unknown peer"

    /// The verified client, once the handshake has completed.
    public private(set) var peerIdentity: PeerIdentity?

    /// A handler for one accepted connection.
    /// - Parameters:
    ///   - context: the server's shared TLS context.
    ///   - logger: where refusals and failures are logged (once each, at info).
    /// - Throws: `TransportError.serverConfigurationInvalid` if OpenSSL cannot allocate the connection.
    public init(context: OpenSSLServerContext, logger: Logger) throws {
        guard let ssl = SSL_new(context.pointer) else {
            throw TransportError.serverConfigurationInvalid(item: "SSL", reason: "OpenSSL cannot create a connection",
                                                            openSSL: .drain())
        }
        let inboundOrNil = BIO_new(BIO_s_mem()), outboundOrNil = BIO_new(BIO_s_mem())
        guard let inbound = inboundOrNil, let outbound = outboundOrNil else {
            BIO_free(inboundOrNil)  // BIO_free(NULL) is a no-op
            BIO_free(outboundOrNil)
            SSL_free(ssl)
            throw TransportError.serverConfigurationInvalid(item: "BIO", reason: "OpenSSL cannot create memory BIOs",
                                                            openSSL: .drain())
        }
        SSL_set_bio(ssl, inbound, outbound)  // `ssl` owns both from here
        SSL_set_accept_state(ssl)
        self.serverContext = context
        self.logger = logger
        self.ssl = ssl
        self.inboundBIO = inbound
        self.outboundBIO = outbound
    }

    deinit {
        SSL_free(ssl)
    }

    // MARK: Lifecycle

    public func handlerAdded(context: ChannelHandlerContext) {
        // The verify callback finds this handler through the SSL's app data; the SSL never outlives it.
        _ = tessera_SSL_set_app_data(ssl, Unmanaged.passUnretained(self).toOpaque())
        if context.channel.isActive { startHandshake(context: context) }
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        handshakeTimeout?.cancel()
        PeerIdentity.forget(context.channel)
        failBufferedWrites(with: ChannelError.ioOnClosedChannel)
    }

    public func channelActive(context: ChannelHandlerContext) {
        startHandshake(context: context)
        context.fireChannelActive()
    }

    public func channelInactive(context: ChannelHandlerContext) {
        handshakeTimeout?.cancel()
        if case .handshaking = state {
            report(.closedDuringHandshake(peer: peerDescription), context: context, level: .debug)
        }
        state = .closed
        PeerIdentity.forget(context.channel)
        failBufferedWrites(with: ChannelError.ioOnClosedChannel)
        context.fireChannelInactive()
    }

    private func startHandshake(context: ChannelHandlerContext) {
        guard case .idle = state else { return }
        state = .handshaking
        peerDescription = context.channel.remoteAddress.map { "\($0)" } ?? "unknown peer"
        logger[metadataKey: "tls.peer"] = "\(peerDescription)"
        let timeout = serverContext.policy.handshakeTimeout
        handshakeTimeout = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [weak self] in
            guard let self, case .handshaking = self.state else { return }
            let seconds = Double(timeout.nanoseconds) / 1e9
            self.report(.handshakeTimedOut(peer: self.peerDescription, seconds: seconds), context: context)
        }
        advanceHandshake(context: context)
    }

    // MARK: Inbound

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        switch state {
        case .idle, .closed:
            return  // nothing to decrypt for: ignore bytes before activation or after close
        case .handshaking, .active:
            guard feedInbound(buffer, context: context) else { return }
        }
        if case .handshaking = state { advanceHandshake(context: context) }
        if case .active = state { decryptAvailable(context: context) }
    }

    public func channelReadComplete(context: ChannelHandlerContext) {
        // Keep reading while the handshake needs bytes, even if the layer above turned autoRead off.
        if case .handshaking = state, context.channel.isActive { context.read() }
        context.fireChannelReadComplete()
    }

    public func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, case .inputClosed = event, case .handshaking = state {
            report(.closedDuringHandshake(peer: peerDescription), context: context, level: .debug)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// Appends ciphertext to the inbound BIO; a memory BIO takes all of it or fails allocating.
    private func feedInbound(_ buffer: ByteBuffer, context: ChannelHandlerContext) -> Bool {
        let written = buffer.withUnsafeReadableBytes { bytes -> Int32 in
            guard let base = bytes.baseAddress, !bytes.isEmpty else { return 0 }
            return BIO_write(inboundBIO, base, Int32(bytes.count))
        }
        guard written == buffer.readableBytes else {
            report(.recordFailed(peer: peerDescription, openSSL: .drain()), context: context)
            return false
        }
        return true
    }

    private func advanceHandshake(context: ChannelHandlerContext) {
        ERR_clear_error()
        let result = SSL_do_handshake(ssl)
        if result == 1 {
            sendOutbound(context: context, promises: [])
            completeHandshake(context: context)
            return
        }
        switch SSL_get_error(ssl, result) {
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
            // A memory BIO never blocks writing: WANT_WRITE only means "send what is pending".
            sendOutbound(context: context, promises: [])
        default:
            let openSSL = OpenSSLErrorStack.drain()
            sendOutbound(context: context, promises: [])  // the alert OpenSSL queued
            report(verificationRefusal ?? handshakeError(openSSL), context: context)
        }
    }

    /// The case for a failed handshake: the verify result names certificate problems precisely.
    private func handshakeError(_ openSSL: OpenSSLErrorStack) -> TransportError {
        let verifyResult = SSL_get_verify_result(ssl)
        if verifyResult != X509_V_OK {
            return .clientCertificateRejected(
                peer: peerDescription, reason: String(cString: X509_verify_cert_error_string(verifyResult)))
        }
        if openSSL.entries.contains(where: { $0.contains("peer did not return a certificate") }) {
            return .clientCertificateMissing(peer: peerDescription)
        }
        return .handshakeFailed(peer: peerDescription, openSSL: openSSL)
    }

    private func completeHandshake(context: ChannelHandlerContext) {
        handshakeTimeout?.cancel()
        guard let identity = peerIdentity else {
            // Unreachable with SSL_VERIFY_FAIL_IF_NO_PEER_CERT; refuse rather than serve anonymously.
            report(.clientCertificateMissing(peer: peerDescription), context: context)
            return
        }
        state = .active
        PeerIdentity.record(identity, for: context.channel)
        logger[metadataKey: "site.id"] = "\(identity.siteID)"
        let event = TLSHandshakeCompleted(
            peer: identity, protocolVersion: String(cString: SSL_get_version(ssl)),
            cipherSuite: SSL_get_current_cipher(ssl).map { String(cString: SSL_CIPHER_get_name($0)) } ?? "",
            applicationProtocol: negotiatedApplicationProtocol())
        logger.debug("TLS handshake completed", metadata: [
            "tls.certificate.serial": "\(identity.serialNumber)",
            "tls.version": "\(event.protocolVersion)", "tls.cipher": "\(event.cipherSuite)",
        ])
        context.fireUserInboundEventTriggered(event)
        if flushRequested { encryptBufferedWrites(context: context) }
        decryptAvailable(context: context)  // application data that came with the client's Finished
    }

    private func negotiatedApplicationProtocol() -> String? {
        var data: UnsafePointer<UInt8>?
        var length: UInt32 = 0
        SSL_get0_alpn_selected(ssl, &data, &length)
        guard let data, length > 0 else { return nil }
        return String(decoding: UnsafeBufferPointer(start: data, count: Int(length)), as: UTF8.self)
    }

    /// Decrypts every complete record in the inbound BIO and passes the plaintext up.
    private func decryptAvailable(context: ChannelHandlerContext) {
        var plaintext = context.channel.allocator.buffer(capacity: Self.plaintextChunkSize)
        var status: Int32 = SSL_ERROR_NONE
        while status == SSL_ERROR_NONE {
            ERR_clear_error()
            plaintext.writeWithUnsafeMutableBytes(minimumWritableBytes: 1) { space in
                var count = 0
                let result = SSL_read_ex(ssl, space.baseAddress, space.count, &count)
                status = result == 1 ? SSL_ERROR_NONE : SSL_get_error(ssl, result)
                return result == 1 ? count : 0
            }
            if plaintext.writableBytes == 0 {
                context.fireChannelRead(wrapInboundOut(plaintext))
                plaintext = context.channel.allocator.buffer(capacity: Self.plaintextChunkSize)
            }
        }
        if plaintext.readableBytes > 0 { context.fireChannelRead(wrapInboundOut(plaintext)) }
        switch status {
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
            sendOutbound(context: context, promises: [])  // e.g. a KeyUpdate answer
        case SSL_ERROR_ZERO_RETURN:
            // The client sent close_notify: answer with ours and close.
            state = .closed
            ERR_clear_error()
            _ = SSL_shutdown(ssl)
            sendOutbound(context: context, promises: [])
            context.close(promise: nil)
        default:
            let openSSL = OpenSSLErrorStack.drain()
            sendOutbound(context: context, promises: [])
            report(.recordFailed(peer: peerDescription, openSSL: openSSL), context: context)
        }
    }

    // MARK: Outbound

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch state {
        case .closed:
            promise?.fail(ChannelError.ioOnClosedChannel)
        case .idle, .handshaking, .active:
            bufferedWrites.append((unwrapOutboundIn(data), promise))
        }
    }

    public func flush(context: ChannelHandlerContext) {
        switch state {
        case .active:
            encryptBufferedWrites(context: context)
        case .idle, .handshaking:
            flushRequested = true
        case .closed:
            failBufferedWrites(with: ChannelError.ioOnClosedChannel)
        }
    }

    public func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        if case .active = state, mode != .input {
            state = .closed
            ERR_clear_error()
            _ = SSL_shutdown(ssl)  // queues close_notify; the peer's answer is not awaited
            ERR_clear_error()
            sendOutbound(context: context, promises: [])
        }
        context.close(mode: mode, promise: promise)
    }

    /// Encrypts every buffered write and sends the records, completing the writes' promises with
    /// the socket write.
    private func encryptBufferedWrites(context: ChannelHandlerContext) {
        flushRequested = false
        var promises: [EventLoopPromise<Void>] = []
        while let (data, promise) = bufferedWrites.popFirst() {
            var remaining = data
            while remaining.readableBytes > 0 {
                ERR_clear_error()
                var written = 0
                let result = remaining.withUnsafeReadableBytes { bytes in
                    SSL_write_ex(ssl, bytes.baseAddress, bytes.count, &written)
                }
                if result == 1 {
                    remaining.moveReaderIndex(forwardBy: written)
                } else if SSL_get_error(ssl, result) == SSL_ERROR_WANT_WRITE {
                    sendOutbound(context: context, promises: [])
                } else {
                    let error = TransportError.recordFailed(peer: peerDescription, openSSL: .drain())
                    promise?.fail(error)
                    promises.forEach { $0.fail(error) }
                    report(error, context: context)
                    return
                }
            }
            if let promise { promises.append(promise) }
        }
        sendOutbound(context: context, promises: promises)
    }

    /// Writes and flushes whatever OpenSSL has put in the outbound BIO. With nothing to send, the
    /// promises go with an empty write all the same: NIO completes writes in order, so they are
    /// fulfilled only once the records written before them have left (an HTTP response's final
    /// part is such an empty write, and its promise says the response has been sent).
    private func sendOutbound(context: ChannelHandlerContext, promises: [EventLoopPromise<Void>]) {
        let pending = Int(BIO_ctrl_pending(outboundBIO))
        guard pending > 0 || !promises.isEmpty else { return }
        var buffer = context.channel.allocator.buffer(capacity: pending)
        if pending > 0 {
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: pending) { space in
                Int(max(0, BIO_read(outboundBIO, space.baseAddress, Int32(pending))))
            }
        }
        var writePromise: EventLoopPromise<Void>?
        if promises.count == 1 {
            writePromise = promises[0]
        } else if !promises.isEmpty {
            let combined = context.eventLoop.makePromise(of: Void.self)
            combined.futureResult.whenComplete { result in promises.forEach { $0.completeWith(result) } }
            writePromise = combined
        }
        context.writeAndFlush(wrapOutboundOut(buffer), promise: writePromise)
    }

    private func failBufferedWrites(with error: any Error) {
        while let (_, promise) = bufferedWrites.popFirst() { promise?.fail(error) }
    }

    // MARK: Failure

    /// Logs `error` once, fires it once, and closes the connection.
    private func report(_ error: TransportError, context: ChannelHandlerContext, level: Logger.Level = .info) {
        guard !hasReportedFailure else { return }
        hasReportedFailure = true
        handshakeTimeout?.cancel()
        state = .closed
        logger.log(level: level, "TLS connection refused or failed", metadata: ["tls.error": "\(error)"])
        failBufferedWrites(with: error)
        context.fireErrorCaught(error)
        context.close(promise: nil)
    }

    // MARK: Certificate verification

    /// OpenSSL's verify callback: after OpenSSL has verified the chain, reads the client
    /// certificate and asks the revocation check about its serial.
    static func verifyPeer(preverified: Int32, storeContext: OpaquePointer?) -> Int32 {
        guard let storeContext else { return 0 }
        // Intermediate and anchor results stand as OpenSSL found them; the decision is at the leaf.
        guard X509_STORE_CTX_get_error_depth(storeContext) == 0 else { return preverified }
        guard preverified == 1 else { return 0 }
        guard let sslPointer = X509_STORE_CTX_get_ex_data(storeContext, SSL_get_ex_data_X509_STORE_CTX_idx()),
              let handlerPointer = tessera_SSL_get_app_data(OpaquePointer(sslPointer))
        else { return 0 }
        let handler = Unmanaged<OpenSSLHandler>.fromOpaque(handlerPointer).takeUnretainedValue()
        guard handler.acceptVerifiedLeaf(X509_STORE_CTX_get_current_cert(storeContext)) else {
            X509_STORE_CTX_set_error(storeContext, X509_V_ERR_CERT_REVOKED)
            return 0
        }
        return 1
    }

    /// Records the verified client certificate, or a refusal, after asking the revocation check.
    private func acceptVerifiedLeaf(_ leaf: OpaquePointer?) -> Bool {
        guard let leaf, let certificate = Self.certificate(leaf), let siteID = certificate.commonName else {
            verificationRefusal = .clientCertificateRejected(peer: peerDescription, reason: "no readable subject common name")
            return false
        }
        let serial = certificate.serialNumber
        do {
            guard try !serverContext.revocationCheck.isRevoked(serial) else {
                verificationRefusal = .clientCertificateRevoked(peer: peerDescription, siteID: siteID, serial: serial)
                return false
            }
        } catch {
            verificationRefusal = .revocationCheckFailed(peer: peerDescription, serial: serial, reason: "\(error)")
            return false
        }
        peerIdentity = PeerIdentity(siteID: siteID, serialNumber: serial, certificate: certificate)
        return true
    }

    private static func certificate(_ pointer: OpaquePointer) -> X509Certificate? {
        var der: UnsafeMutablePointer<UInt8>?
        let length = i2d_X509(pointer, &der)
        guard length > 0, let der else { return nil }
        defer { tessera_OPENSSL_free(der) }
        // try?: a certificate OpenSSL just verified but Security cannot read is refused, not reported twice.
        return try? X509Certificate(der: Array(UnsafeBufferPointer(start: der, count: Int(length))), source: "client certificate")
    }
}

/// Fired up the pipeline by `OpenSSLHandler` when a client has been verified.
public struct TLSHandshakeCompleted: Sendable, Equatable {
    /// The verified site.
    public let peer: PeerIdentity
    /// "TLSv1.3" or "TLSv1.2".
    public let protocolVersion: String
    /// OpenSSL's name of the negotiated cipher suite ("TLS_AES_256_GCM_SHA384").
    public let cipherSuite: String
    /// The ALPN protocol agreed ("http/1.1"), nil when the client offered none.
    public let applicationProtocol: String?
}
