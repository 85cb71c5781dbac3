import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `tapedeck record` killed with SIGKILL under 100 concurrent streams.
///
/// What "completed" means here, so the guarantee is exact: an interaction is durable once the
/// recorder counts it in `tapedeck_recorder_committed_writes_total` (its transaction committed;
/// SQLite WAL with `synchronous=NORMAL` keeps it through a process crash). The writer starts a
/// transaction as soon as anything is queued — no timer, no batching delay — so a stream is
/// committed about one transaction after its last byte was relayed. An exchange under way is
/// durable as `interrupted` once its open row (written at the response head) is counted in
/// `tapedeck_recorder_committed_open_writes_total`. Guarantee proved: after a SIGKILL the
/// cassette verifies, every interaction counted committed before the kill is there with exactly
/// the frames the client received, any other finished interaction in the file is whole, and
/// every stream in flight at the kill whose open row was committed is listed as `interrupted`
/// with its request and no frames.
@Suite("tapedeck record killed with SIGKILL")
struct RecorderCrashTests {
    /// Stream groups, interleaved by number so every group spans the whole connection range.
    enum Group {
        /// Streams that run to their end before the first checkpoint.
        case finishing
        /// Held mid-stream, then released after the first checkpoint: they end around the kill.
        case releasedBeforeKill
        /// Held mid-stream through the kill.
        case heldThroughKill

        init(stream: Int) {
            switch stream % 10 {
            case 0...3: self = .finishing
            case 4...6: self = .releasedBeforeKill
            default: self = .heldThroughKill
            }
        }
    }

    static let streamCount = 100

    /// Staggered lengths: 3…27 frames; held streams pause after 1…6 of them.
    static func plan(_ stream: Int) -> GatedStreamUpstream.Plan {
        let frames = 3 + (stream * 7) % 25
        switch Group(stream: stream) {
        case .finishing:
            return .init(frames: frames, holdAfter: nil, pacing: .milliseconds(3))
        case .releasedBeforeKill, .heldThroughKill:
            return .init(frames: frames + 6, holdAfter: 1 + stream % 6, pacing: .milliseconds(8))
        }
    }

    static func request(stream: Int) -> String {
        let body = #"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"crash-stream-\#(stream)"}],"stream":true}"#
        return "POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n"
            + "authorization: Bearer sk-proj-FAKEcrashTestSecretValue000000\r\nx-crash-stream: \(stream)\r\n"
            + "content-length: \(body.utf8.count)\r\nconnection: close\r\n\r\n\(body)"
    }

    @Test("a recorder killed with SIGKILL under 100 concurrent streams leaves a cassette that verifies and holds every committed interaction whole")
    func killUnderLoad() async throws {
        let directory = try ScratchDirectory("tapedeck-record-crash")
        defer { directory.remove() }
        let cassette = directory.path("killed.sqlite")
        let upstream = try await GatedStreamUpstream { Self.plan($0) }
        let recorderPort = try FreePort.pick()
        let adminPort = try FreePort.pick()

        let record = Process()
        record.executableURL = TapedeckProcess.executable
        record.arguments = [
            "record", "--listen", "127.0.0.1:\(recorderPort)", "--upstream", "http://127.0.0.1:\(upstream.port)",
            "--cassette", cassette, "--admin", "127.0.0.1:\(adminPort)",
        ]
        let log = try LogFile(in: directory, named: "record.log")
        record.standardOutput = log.handle
        record.standardError = log.handle
        try record.run()
        defer { if record.isRunning { kill(record.processIdentifier, SIGKILL) } }
        try FreePort.waitUntilListening(recorderPort)
        try FreePort.waitUntilListening(adminPort)

        let streams = 0..<Self.streamCount
        let finishing = Set(streams.filter { Group(stream: $0) == .finishing })
        let released = Set(streams.filter { Group(stream: $0) == .releasedBeforeKill })
        let held = Set(streams.filter { Group(stream: $0) == .heldThroughKill })
        let clients = StreamingClients()
        for stream in streams { clients.start(stream: stream, port: recorderPort, request: Self.request(stream: stream)) }

        // Checkpoint 1: the finishing streams ended at their clients, every other stream is
        // mid-stream, and the recorder counts exactly the finishing ones committed (nothing else
        // has ended, so the count names them).
        try await Self.waitUntil(
            "finishing streams end and held ones start",
            detail: {
                "not started: \(released.union(held).subtracting(clients.startedStreams).sorted()), "
                    + "finishing not ended: \(finishing.subtracting(clients.finishedStreams).sorted())"
            }
        ) {
            clients.finishedStreams == finishing && clients.startedStreams.isSuperset(of: released.union(held))
        }
        try await Self.waitUntil("the recorder commits the finished streams") {
            try Self.committedCount(adminPort: adminPort) >= finishing.count
        }
        #expect(try Self.committedCount(adminPort: adminPort) == finishing.count)
        // Every exchange's open row is queued at its response head, before its first body byte
        // reaches the client, and counted once: all of them are committed once the count says so.
        try await Self.waitUntil("the recorder commits every exchange's open row") {
            try Self.committedCount(adminPort: adminPort, metric: "tapedeck_recorder_committed_open_writes_total") >= streams.count
        }
        #expect(try Self.committedCount(adminPort: adminPort, metric: "tapedeck_recorder_committed_open_writes_total") == streams.count)

        // Checkpoint 2: let a third of the streams go on, and kill as soon as a third of those
        // have ended at their clients, so the kill lands while interactions are being queued and
        // committed.
        upstream.release(released)
        try await Self.waitUntil("some released streams end") {
            clients.finishedStreams.intersection(released).count >= released.count / 3
        }
        let committedBeforeKill = try Self.committedCount(adminPort: adminPort)
        kill(record.processIdentifier, SIGKILL)
        record.waitUntilExit()
        #expect(record.terminationReason == .uncaughtSignal, "the recorder was not killed but exited")
        let endedBeforeKill = clients.finishedStreams
        await upstream.stop()
        #expect(clients.waitForAll(timeout: 60), "clients still connected after the recorder died")

        let verify = try TapedeckProcess.run(["cassette", "verify", cassette])
        #expect(verify.status == 0, "verify failed: \(verify.stdout) \(verify.stderr)")

        let stored = try Self.exportedStreams(cassette: cassette, into: directory.path("killed.jsonl"))
        let complete = Set(stored.filter { $0.value.ending == "complete" }.keys)
        let interrupted = Set(stored.filter { $0.value.ending == "interrupted" }.keys)
        // Every exchange had its open row committed before the kill, so none is missing: each is
        // either whole or interrupted.
        #expect(Set(stored.keys) == Set(streams), "streams missing after the kill: \(Set(streams).subtracting(stored.keys).sorted())")
        #expect(complete.union(interrupted).count == stored.count, "other endings: \(stored.values.map(\.ending))")
        // Every interaction counted committed before the kill: all finishing streams, plus
        // `committedBeforeKill - finishing.count` of the released ones.
        #expect(finishing.isSubset(of: complete), "committed interactions lost: \(finishing.subtracting(complete).sorted())")
        #expect(complete.count >= committedBeforeKill, "\(complete.count) stored, \(committedBeforeKill) counted committed")
        #expect(held.isSubset(of: interrupted), "streams in flight at the kill not interrupted: \(held.subtracting(interrupted).sorted())")
        #expect(complete.isSubset(of: endedBeforeKill.union(released)))
        #expect(verify.stdout.contains("\(interrupted.count) interrupted"), "\(verify.stdout)")
        for (stream, interaction) in stored where interaction.ending == "complete" {
            let frames = Self.plan(stream).frames
            #expect(interaction.body == GatedStreamUpstream.body(stream: stream, frames: frames),
                    "stream \(stream): stored frames differ from what was sent")
            // What is stored is what the client got: the relay and the capture agree.
            let client = String(decoding: clients.body(of: stream), as: UTF8.self)
            #expect(client == interaction.body, "stream \(stream): the client received other bytes than were stored")
        }
        for stream in interrupted {
            let interaction = stored[stream]
            #expect(interaction?.body == "", "stream \(stream): an interrupted interaction holds frames")
            #expect(interaction?.status == 200, "stream \(stream): the response head is missing")
            #expect(interaction?.redacted == true, "stream \(stream): the authorization header is not redacted")
        }

        // The killed file still lists and shows, interrupted interactions included.
        let listing = try TapedeckProcess.run(["cassette", "ls", cassette, "--json"])
        #expect(listing.status == 0, "\(listing.stderr)")
        let listed = try JSONSerialization.jsonObject(with: Data(listing.stdout.utf8)) as? [[String: Any]]
        #expect(listed?.count == stored.count)
        #expect(listed?.filter { $0["ending"] as? String == "interrupted" }.count == interrupted.count)
        if let id = stored[finishing.min() ?? 0]?.id {
            let shown = try TapedeckProcess.run(["cassette", "show", cassette, id])
            #expect(shown.status == 0, "\(shown.stderr)")
            #expect(shown.stdout.contains("complete"), "\(shown.stdout)")
        }
        if let id = stored[held.min() ?? 0]?.id {
            let shown = try TapedeckProcess.run(["cassette", "show", cassette, id])
            #expect(shown.status == 0, "\(shown.stderr)")
            #expect(shown.stdout.contains("interrupted"), "\(shown.stdout)")
        }
    }

    /// An interaction as exported, reduced to what the test compares.
    struct StoredStream {
        var id: String
        var ending: String
        /// The stored frames' bytes, concatenated.
        var body: String
        var status: Int?
        /// Whether the authorization header was stored without its secret.
        var redacted: Bool
    }

    /// Exports the cassette to JSONL and returns its interactions by stream number.
    static func exportedStreams(cassette: String, into file: String) throws -> [Int: StoredStream] {
        let export = try TapedeckProcess.run(["cassette", "export", cassette, "--format", "jsonl", "--out", file])
        try #require(export.status == 0, "export failed: \(export.stderr)")
        var result: [Int: StoredStream] = [:]
        for line in try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n") {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let request = try #require(object["request"] as? [String: Any])
            let requestBody = try #require((request["body"] as? [String: Any])?["text"] as? String)
            let marker = try #require(requestBody.range(of: "crash-stream-"))
            let stream = try #require(Int(requestBody[marker.upperBound...].prefix(while: \.isNumber)))
            let frames = try #require(object["frames"] as? [[String: Any]])
            #expect(!result.keys.contains(stream), "stream \(stream) stored twice")
            let response = object["response"] as? [String: Any]
            result[stream] = StoredStream(
                id: try #require(object["id"] as? String), ending: try #require(object["ending"] as? String),
                body: frames.compactMap { $0["text"] as? String }.joined(), status: response?["status"] as? Int,
                redacted: !line.contains("FAKEcrashTestSecretValue"))
        }
        return result
    }

    /// One of the recorder's committed counters (interactions by default), read from its admin port.
    static func committedCount(adminPort: Int, metric: String = "tapedeck_recorder_committed_writes_total") throws -> Int {
        let metrics = try RawHTTP.exchange(port: adminPort, request: "GET /metrics HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        let prefix = metric + " "
        let line = try #require(metrics.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }), "no committed counter in /metrics")
        return try #require(Int(line.dropFirst(prefix.count)))
    }

    /// Polls a condition on observed progress. The timeout is a safety net so a broken recorder
    /// fails the test instead of hanging it; it never decides the outcome of a passing run.
    static func waitUntil(
        _ what: String, timeout: Duration = .seconds(120), detail: () -> String = { "" }, _ condition: () throws -> Bool
    ) async throws {
        let start = ContinuousClock.now
        while try !condition() {
            if ContinuousClock.now - start > timeout {
                let detail = detail()
                Issue.record("timed out waiting until \(what)\(detail.isEmpty ? "" : " (\(detail))")")
                throw CancellationError()
            }
            try await Task.sleep(for: .milliseconds(5))
        }
    }
}
