#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOPosix

/// What one `recv` on a raw socket gave.
enum RawRead: Equatable, Sendable {
    case bytes([UInt8])
    /// The peer closed the connection in order (FIN).
    case endOfStream
    /// Nothing arrived within the timeout, and the connection is still open.
    case timedOut
    /// The read failed with this errno, e.g. ECONNRESET for a peer's RST.
    case failed(errno: Int32)
}

/// Failures of the raw test client itself.
struct RawSocketError: Error, CustomStringConvertible {
    var description: String
}

/// A plain blocking TCP client, so tests see exactly what the kernel sees: every byte, an orderly
/// close, or "connection reset by peer". Blocking calls run on a thread pool of their own.
struct RawSocket: Sendable {
    let descriptor: Int32

    private static let pool: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 16)
        pool.start()
        return pool
    }()

    static func open(port: Int) async throws -> RawSocket {
        try await pool.runIfActive {
            #if canImport(Glibc)
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            #else
            let descriptor = socket(AF_INET, SOCK_STREAM, 0)
            #endif
            guard descriptor >= 0 else { throw RawSocketError(description: "socket() failed: errno \(errno)") }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let result = withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard result == 0 else {
                let code = errno
                close(descriptor)
                throw RawSocketError(description: "connect() to port \(port) failed: errno \(code)")
            }
            return RawSocket(descriptor: descriptor)
        }
    }

    func write(_ text: String) async throws {
        let bytes = Array(text.utf8)
        try await Self.pool.runIfActive {
            var offset = 0
            while offset < bytes.count {
                let sent = bytes[offset...].withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, 0) }
                guard sent > 0 else { throw RawSocketError(description: "send() failed: errno \(errno)") }
                offset += sent
            }
        }
    }

    /// One `recv` of up to `maximum` bytes, giving up after `timeout` of silence.
    func read(timeout: Duration, maximum: Int = 65536) async throws -> RawRead {
        try await Self.pool.runIfActive {
            let (seconds, attoseconds) = timeout.components
            var limit = timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
            setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
            var buffer = [UInt8](repeating: 0, count: maximum)
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count > 0 { return .bytes(Array(buffer[..<count])) }
            if count == 0 { return .endOfStream }
            let code = errno
            if code == EAGAIN || code == EWOULDBLOCK { return .timedOut }
            return .failed(errno: code)
        }
    }

    /// Reads until the connection ends or falls silent for `timeout`; returns the bytes and how it stopped.
    func readUntilEnd(timeout: Duration = .seconds(10)) async throws -> (bytes: [UInt8], ending: RawRead) {
        var collected: [UInt8] = []
        while true {
            let result = try await read(timeout: timeout)
            guard case .bytes(let bytes) = result else { return (collected, result) }
            collected += bytes
        }
    }

    /// Reads until at least `count` bytes arrived in all, or the connection stops giving any.
    func read(atLeast count: Int, timeout: Duration = .seconds(10)) async throws -> (bytes: [UInt8], ending: RawRead?) {
        var collected: [UInt8] = []
        while collected.count < count {
            let result = try await read(timeout: timeout)
            guard case .bytes(let bytes) = result else { return (collected, result) }
            collected += bytes
        }
        return (collected, nil)
    }

    func disconnect() {
        _ = close(descriptor)
    }
}

/// Splits a raw HTTP response into its head text and body bytes.
struct RawResponse {
    var head: String
    var body: [UInt8]

    init?(_ bytes: [UInt8]) {
        let separator = Array("\r\n\r\n".utf8)
        guard let end = bytes.firstRange(of: separator) else { return nil }
        head = String(decoding: bytes[..<end.lowerBound], as: UTF8.self)
        body = Array(bytes[end.upperBound...])
    }

    /// Header lines lowercased, without the status line.
    var headerLines: [String] {
        head.split(separator: "\r\n").dropFirst().map { $0.lowercased() }
    }

    var statusLine: Substring { head.split(separator: "\r\n").first ?? "" }
}

/// The request bytes of a bodyless GET.
func rawGet(_ path: String, extraHeaders: String = "") -> String {
    "GET \(path) HTTP/1.1\r\nhost: 127.0.0.1\r\n\(extraHeaders)\r\n"
}

/// One chunk of a chunked body, as it appears on the wire.
func chunk(_ bytes: [UInt8]) -> [UInt8] {
    Array(String(bytes.count, radix: 16).utf8) + Array("\r\n".utf8) + bytes + Array("\r\n".utf8)
}

let chunkedTerminator = Array("0\r\n\r\n".utf8)
