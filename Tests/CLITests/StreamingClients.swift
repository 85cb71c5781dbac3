import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Many streaming HTTP clients at once, one thread and one blocking socket each, that note when
/// each stream's first frame and its `[DONE]` terminator arrive, so a test can act on observed
/// progress instead of on elapsed time.
final class StreamingClients: @unchecked Sendable {
    private let lock = NSLock()
    private var started: Set<Int> = []
    private var finished: Set<Int> = []
    private var received: [Int: [UInt8]] = [:]
    private let group = DispatchGroup()

    /// Streams whose first frame has arrived.
    var startedStreams: Set<Int> { lock.withLock { started } }
    /// Streams whose terminator has arrived.
    var finishedStreams: Set<Int> { lock.withLock { finished } }
    /// The response body a stream's client received (chunked framing removed).
    func body(of stream: Int) -> [UInt8] { lock.withLock { ResponseBody.decode(received[stream] ?? []) } }

    /// Opens a connection to `port`, sends `request` and reads until the server closes.
    func start(stream: Int, port: Int, request: String) {
        group.enter()
        let thread = Thread { [self] in
            defer { group.leave() }
            run(stream: stream, port: port, request: Array(request.utf8))
        }
        thread.stackSize = 256 << 10
        thread.start()
    }

    /// Waits until every client's connection has closed.
    func waitForAll(timeout: TimeInterval) -> Bool { group.wait(timeout: .now() + timeout) == .success }

    private func run(stream: Int, port: Int, request: [UInt8]) {
        // The receive timeout is a safety net only: a client never waits longer for its next bytes.
        guard let fd = LoopbackSocket.connect(port: port, receiveTimeout: 120) else { return }
        defer { close(fd) }
        guard LoopbackSocket.sendAll(fd, request) else { return }
        let firstFrame = Array("data: {".utf8)
        let terminator = Array(GatedStreamUpstream.terminator.utf8)
        var all: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16_384)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            all += buffer[0..<count]
            // Chunk framing may split a frame across reads, so look in the decoded body.
            let body = ResponseBody.decode(all)
            let sawFrame = body.containsSequence(firstFrame)
            let sawEnd = body.containsSequence(terminator)
            lock.withLock {
                received[stream] = all
                if sawFrame { started.insert(stream) }
                if sawEnd { finished.insert(stream) }
            }
        }
    }
}

extension Array where Element == UInt8 {
    /// Whether `needle` occurs somewhere in the array.
    func containsSequence(_ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, count >= needle.count else { return needle.isEmpty }
        for start in 0...(count - needle.count) where self[start] == needle[0] {
            if self[start..<(start + needle.count)].elementsEqual(needle) { return true }
        }
        return false
    }
}

/// The body of a raw HTTP/1.1 response received so far, with chunked transfer coding removed
/// (a partial last chunk gives what has arrived of it).
enum ResponseBody {
    static func decode(_ response: [UInt8]) -> [UInt8] {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        guard let headEnd = response.firstRange(of: separator) else { return [] }
        let head = String(decoding: response[..<headEnd.lowerBound], as: UTF8.self).lowercased()
        let rest = Array(response[headEnd.upperBound...])
        guard head.contains("transfer-encoding: chunked") else { return rest }
        var body: [UInt8] = []
        var index = 0
        while index < rest.count {
            guard let lineEnd = rest[index...].firstRange(of: Array("\r\n".utf8)) else { break }
            let sizeText = String(decoding: rest[index..<lineEnd.lowerBound], as: UTF8.self)
            guard let size = Int(sizeText.split(separator: ";").first ?? "", radix: 16), size > 0 else { break }
            let start = lineEnd.upperBound
            let end = min(start + size, rest.count)
            body += rest[start..<end]
            index = end + 2
        }
        return body
    }
}
