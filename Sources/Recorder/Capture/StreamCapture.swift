import Cassettes
import Dialects
import SSE

/// Tees one response as it passes: the head, every SSE block as a `Frame` with the offset at which
/// its last byte arrived (or the plain body), the dialect's terminator and in-band errors, parsed
/// incrementally so nothing waits for the end of the stream.
public struct StreamCapture: Sendable {
    /// What a finished capture holds.
    public struct Result: Sendable, Hashable {
        public var head: ResponseHead?
        public var content: ResponseContent
        public var ending: Ending
        /// Whether the capture limit cut the stored content (the relay went on).
        public var overLimit: Bool
        public var relayedBytes: Int
    }

    private var dialect: Dialect? {
        didSet { codec = dialect?.codec }
    }
    /// The dialect's codec, made once (the registry builds a new one per call).
    private var codec: (any DialectCodec)?
    private let maxCapturedBytes: Int
    private var head: ResponseHead?
    private var isEventStream = false
    private var parser = SSEParser()
    private var frames: [Frame] = []
    private var body: [UInt8] = []
    private var capturedBytes = 0
    private var lastArrival: Int64 = 0
    private(set) var overLimit = false
    private(set) var sawTerminator = false
    private(set) var sawInBandError = false
    /// Bytes relayed so far.
    public private(set) var relayedBytes = 0
    /// Frames completed so far (SSE blocks; none for plain bodies).
    public private(set) var frameCount = 0

    /// A capture for a request of `dialect` (nil: detected from the stream, if it is one).
    public init(dialect: Dialect?, maxCapturedBytes: Int = 64 << 20) {
        self.dialect = dialect
        self.codec = dialect?.codec
        self.maxCapturedBytes = maxCapturedBytes
    }

    /// Records the response head.
    public mutating func receiveHead(status: Int, headers: [HTTPField], at offsetMicros: Int64) {
        head = ResponseHead(status: status, headers: headers, offsetMicros: offsetMicros)
        isEventStream = headers.contains {
            $0.name.lowercased() == "content-type" && $0.value.lowercased().contains("text/event-stream")
        }
    }

    /// Takes one transport chunk; returns how many frames it completed.
    @discardableResult
    public mutating func receive<Bytes: Collection>(_ chunk: Bytes, at offsetMicros: Int64) -> Int
    where Bytes.Element == UInt8 {
        relayedBytes += chunk.count
        lastArrival = offsetMicros
        guard isEventStream else {
            if store(chunk.count) { body.append(contentsOf: chunk) }
            return 0
        }
        let completed = parser.feed(chunk)
        for frame in completed { take(frame, at: offsetMicros) }
        return completed.count
    }

    /// Ends the capture; the pending unterminated block, if any, is kept as a last frame.
    public mutating func finish(_ termination: UpstreamTermination, at offsetMicros: Int64) -> Result {
        if isEventStream {
            for frame in parser.finish() { take(frame, at: lastArrival) }
        }
        let observation = EndingPolicy.Observation(
            status: head?.status, sawInBandError: sawInBandError, isEventStream: isEventStream,
            sawTerminator: dialect == nil ? nil : sawTerminator, termination: termination)
        return Result(
            head: head, content: isEventStream ? .frames(frames) : .body(body),
            ending: EndingPolicy.ending(for: observation), overLimit: overLimit, relayedBytes: relayedBytes)
    }

    private mutating func take(_ frame: SSEFrame, at offsetMicros: Int64) {
        frameCount += 1
        if store(frame.raw.count) { frames.append(Frame(offsetMicros: offsetMicros, bytes: frame.raw)) }
        guard frame.isTerminated, let event = frame.event else { return }
        if dialect == nil { dialect = Dialect.detect(frames: [frame]) }
        guard let codec else { return }
        if !sawTerminator && codec.isTerminator(event) { sawTerminator = true }
        // Every dialect's error event mentions "error" or "failed"; others skip the JSON parse.
        if !sawInBandError && Self.mayBeError(frame.raw) && codec.classify(inBand: event) != nil {
            sawInBandError = true
        }
    }

    /// Whether `count` more bytes still fit under the capture limit.
    private mutating func store(_ count: Int) -> Bool {
        guard !overLimit else { return false }
        guard capturedBytes + count <= maxCapturedBytes else {
            overLimit = true
            return false
        }
        capturedBytes += count
        return true
    }

    /// Whether the bytes contain `error` or `failed`, in one pass.
    static func mayBeError(_ raw: [UInt8]) -> Bool {
        raw.withUnsafeBufferPointer { bytes in
            ByteLanes.firstMatch(in: bytes, from: 0, to: bytes.count - 4, reading: 18, mayHold: mayStartError(in:at:)) {
                startsError(bytes, at: $0) ? true : nil
            } ?? false
        }
    }

    /// Whether `error` or `failed` starts at `index` (at least five bytes remain).
    @inline(__always)
    private static func startsError(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> Bool {
        switch bytes[index] {
        case UInt8(ascii: "e"):
            return bytes[index + 1] == UInt8(ascii: "r") && bytes[index + 2] == UInt8(ascii: "r")
                && bytes[index + 3] == UInt8(ascii: "o") && bytes[index + 4] == UInt8(ascii: "r")
        case UInt8(ascii: "f"):
            return index + 6 <= bytes.count && bytes[index + 1] == UInt8(ascii: "a") && bytes[index + 2] == UInt8(ascii: "i")
                && bytes[index + 3] == UInt8(ascii: "l") && bytes[index + 4] == UInt8(ascii: "e")
                && bytes[index + 5] == UInt8(ascii: "d")
        default:
            return false
        }
    }

    /// Whether `err` or `fai` starts at one of the 16 positions from `offset` (18 bytes are read).
    @inline(__always)
    private static func mayStartError(in bytes: UnsafeRawPointer, at offset: Int) -> Bool {
        typealias Lanes = ByteLanes.Lanes
        let first = ByteLanes.load(bytes, at: offset)
        let second = ByteLanes.load(bytes, at: offset + 1)
        let third = ByteLanes.load(bytes, at: offset + 2)
        func byte(_ character: Unicode.Scalar) -> Lanes { Lanes(repeating: UInt8(ascii: character)) }
        let err = (first .== byte("e")) .& (second .== byte("r")) .& (third .== byte("r"))
        let fai = (first .== byte("f")) .& (second .== byte("a")) .& (third .== byte("i"))
        return ByteLanes.any(err .| fai)
    }
}
