import Cassettes
import Dialects
import Faults
import Foundation
import Logging
import Recorder
import Replay
import SSE
import Testing

/// `tapedeck serve` (the replay server, in process) as the provider behind the recorder.
@Suite("Round trip through the replay server", .serialized)
struct RoundTripTests {
    static let quiet: Logger = {
        var logger = Logger(label: "test.replay")
        logger.logLevel = .error
        return logger
    }()

    static func startReplay(_ cassette: String) async throws -> (library: RecordingLibrary, server: ReplayServer) {
        let library = try RecordingLibrary.load(path: Fixtures.url(cassette).path)
        let service = ReplayService(library: library, faults: FaultBook(), pacing: .none, logger: quiet)
        let server = try await ReplayServer.start(
            configuration: .init(host: "127.0.0.1", port: 0), responder: service, logger: quiet)
        return (library, server)
    }

    static func recorder(before server: ReplayServer, idleTimeout: Duration = .seconds(30)) async throws -> RecorderHarness {
        try await RecorderHarness(configure: { configuration in
            if let routes = try? RouteTable([UpstreamRoute(parsing: "http://127.0.0.1:\(server.port)")]) {
                configuration.routes = routes
            }
            configuration.idleTimeout = idleTimeout
        }) { _, _ in }
    }

    /// The SSE blocks of an interaction's content, or its body as one block.
    static func blocks(_ content: ResponseContent) -> [[UInt8]] {
        switch content {
        case .frames(let frames): return SSEParser.parse(frames.flatMap(\.bytes)).map(\.raw)
        case .body(let body): return [body]
        }
    }

    @Test("recording what the replay server plays back gives the original's frames, statuses and endings")
    func roundTrip() async throws {
        let (library, server) = try await Self.startReplay("cassettes/demo.jsonl")
        let harness = try await Self.recorder(before: server)
        defer { harness.remove() }
        let originals = library.recordings.map(\.interaction)
        #expect(Set(originals.map(\.ending)).isSuperset(of: [.complete, .httpError, .inBandError, .truncated]))
        for original in originals {
            let reply = try await harness.send(
                original.request.target, body: String(decoding: original.request.body, as: UTF8.self),
                headers: [("content-type", "application/json"), ("x-tapedeck-session", original.id)])
            #expect(reply.status == original.status, "\(original.id)")
            #expect(reply.body == original.content.bytes, "\(original.id): the client got other bytes than the replay sent")
        }
        let recorded = try await harness.finish()
        await server.stop()
        #expect(recorded.count == originals.count)
        for original in originals {
            guard let copy = recorded.first(where: { $0.sessionID == original.id }) else {
                Issue.record("\(original.id) was not recorded")
                continue
            }
            #expect(copy.ending == original.ending, "\(original.id)")
            #expect(copy.status == original.status, "\(original.id)")
            #expect(copy.content.frameCount == original.content.frameCount, "\(original.id)")
            #expect(Self.blocks(copy.content) == Self.blocks(original.content), "\(original.id)")
            #expect(copy.dialect == original.dialect && copy.model == original.model && copy.stream == original.stream)
            #expect(copy.fingerprint == original.fingerprint, "\(original.id)")
        }
    }

    /// A fault the replay server injects into a clean stream, and what the recorder must make of it.
    struct FaultCase: Sendable, CustomTestStringConvertible {
        var spec: String
        var ending: Ending
        /// How many of the recording's frames pass before the fault (nil: none, no head either).
        var framesBefore: Int?
        var clientStatus: Int?
        var testDescription: String { spec }
    }

    static let faultCases: [FaultCase] = [
        FaultCase(spec: "http_error:status=429,retry_after=2", ending: .httpError, framesBefore: nil, clientStatus: 429),
        FaultCase(spec: "reset_before_headers", ending: .reset, framesBefore: nil, clientStatus: nil),
        FaultCase(spec: "error_event:kind=overloaded,after=2", ending: .inBandError, framesBefore: 2, clientStatus: 200),
        FaultCase(spec: "cut:after=2", ending: .truncated, framesBefore: 2, clientStatus: 200),
        FaultCase(spec: "reset:after=2", ending: .reset, framesBefore: 2, clientStatus: 200),
        FaultCase(spec: "stall:after=2,seconds=5", ending: .timeout, framesBefore: 2, clientStatus: 200),
        FaultCase(spec: "drop_terminator", ending: .truncated, framesBefore: nil, clientStatus: 200),
        FaultCase(spec: "no_response:seconds=5", ending: .timeout, framesBefore: nil, clientStatus: 504),
    ]

    @Test("every fault the replay server injects is recorded with its ending, the frames before it intact", arguments: faultCases)
    func injectedFault(_ fault: FaultCase) async throws {
        let (library, server) = try await Self.startReplay("cassettes/demo.jsonl")
        // Longer than any gap of a loaded CI machine, shorter than the 5 s stall it must detect.
        let harness = try await Self.recorder(before: server, idleTimeout: .seconds(2))
        defer { harness.remove() }
        let original = try #require(library.recordings.first { $0.id == "demo-openai-paris" }?.interaction)
        let reply = try await harness.send(
            original.request.target, body: String(decoding: original.request.body, as: UTF8.self),
            headers: [("content-type", "application/json"), ("x-tapedeck-fault", fault.spec)])
        #expect(reply.status == fault.clientStatus)
        let recorded = try await harness.finish()
        await server.stop()
        let copy = try #require(recorded.first)
        #expect(copy.ending == fault.ending)
        let originalBlocks = Self.blocks(original.content)
        let copyBlocks = Self.blocks(copy.content)
        if let before = fault.framesBefore {
            #expect(Array(copyBlocks.prefix(before)) == Array(originalBlocks.prefix(before)))
            #expect(copyBlocks.count >= before)
        }
        if fault.spec == "drop_terminator" {
            #expect(copyBlocks == Array(originalBlocks.dropLast()))
        }
        if fault.clientStatus == 200 {
            // What the client got is what the recorder stored, byte for byte.
            #expect(reply.body == copy.content.bytes)
        }
        if fault.framesBefore == nil && fault.clientStatus != 200 && fault.clientStatus != 429 {
            #expect(copy.response == nil)
        }
    }
}
