import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// A loopback provider for the recorder crash test: answers each streaming chat request (numbered
/// by its `x-crash-stream` header) with the frames its plan gives, and can hold a stream in the
/// middle until the test releases it, so the test decides which streams are mid-stream at a kill.
final class GatedStreamUpstream: Sendable {
    /// How one stream is answered.
    struct Plan: Sendable {
        /// Content frames before the `[DONE]` terminator.
        var frames: Int
        /// When set, the stream pauses after this many frames until `release` names it.
        var holdAfter: Int?
        /// Pause between frames.
        var pacing: Duration
    }

    private let listener: NIOAsyncChannel<NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, Never>
    private let plan: @Sendable (Int) -> Plan
    private let gate = StreamGate()
    private let runner = NIOLockedValueBox<Task<Void, Never>?>(nil)
    let port: Int

    init(plan: @escaping @Sendable (Int) -> Plan) async throws {
        self.plan = plan
        listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 256)
            .bind(host: "127.0.0.1", port: 0) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    return try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(wrappingChannelSynchronously: channel)
                }
            }
        port = listener.channel.localAddress?.port ?? 0
        let task = Task<Void, Never> { [listener, self] in
            await withDiscardingTaskGroup { group in
                do {
                    try await listener.executeThenClose { inbound in
                        for try await connection in inbound { group.addTask { await self.serve(connection) } }
                    }
                } catch {
                    // The listener closed: the test is over.
                }
            }
        }
        runner.withLockedValue { $0 = task }
    }

    /// Lets held streams go on to their end.
    func release(_ streams: some Sequence<Int>) { gate.open(streams) }

    func stop() async {
        gate.openAll()
        try? await listener.channel.close()
        let task = runner.withLockedValue { $0 }
        task?.cancel()
        await task?.value
    }

    /// The content frame `index` of stream `stream`, exactly as sent.
    static func frame(stream: Int, index: Int) -> String {
        "data: {\"id\":\"chatcmpl-crash-\(stream)\",\"object\":\"chat.completion.chunk\",\"created\":1750000000,"
            + "\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"word\(index) \"},\"finish_reason\":null}]}\n\n"
    }

    static let terminator = "data: [DONE]\n\n"

    /// Everything stream `stream` sends when it runs to its end.
    static func body(stream: Int, frames: Int) -> String {
        (0..<frames).map { frame(stream: stream, index: $0) }.joined() + terminator
    }

    private func serve(_ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>) async {
        try? await connection.executeThenClose { inbound, outbound in
            var stream: Int?
            for try await part in inbound {
                switch part {
                case .head(let head):
                    stream = head.headers.first(name: "x-crash-stream").flatMap { Int($0) }
                case .body:
                    continue
                case .end:
                    guard let stream else { return }
                    try await answer(stream: stream, outbound: outbound)
                    return
                }
            }
        }
    }

    private func answer(stream: Int, outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>) async throws {
        let steps = self.plan(stream)
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "text/event-stream")
        // One request per connection, and said so: a server that closes a keep-alive connection
        // without saying it races the recorder's reuse of it, and a POST that may have reached
        // the upstream is never sent twice (see docs/recorder.md).
        headers.add(name: "connection", value: "close")
        try await outbound.write(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers)))
        for index in 0..<steps.frames {
            if index == steps.holdAfter { await gate.wait(stream) }
            try await outbound.write(.body(.byteBuffer(ByteBuffer(string: Self.frame(stream: stream, index: index)))))
            try await Task.sleep(for: steps.pacing)
        }
        try await outbound.write(.body(.byteBuffer(ByteBuffer(string: Self.terminator))))
        try await outbound.write(.end(nil))
    }
}

/// Per-stream gates a held stream waits on until the test opens them.
private final class StreamGate: Sendable {
    private struct State {
        var opened: Set<Int> = []
        var openedAll = false
        var waiters: [Int: [CheckedContinuation<Void, Never>]] = [:]
    }

    private let state = NIOLockedValueBox(State())

    func wait(_ stream: Int) async {
        await withCheckedContinuation { continuation in
            let proceed = state.withLockedValue { state -> Bool in
                if state.openedAll || state.opened.contains(stream) { return true }
                state.waiters[stream, default: []].append(continuation)
                return false
            }
            if proceed { continuation.resume() }
        }
    }

    /// Opens every gate, now and for streams that reach theirs later.
    func openAll() {
        let ready = state.withLockedValue { state -> [CheckedContinuation<Void, Never>] in
            state.openedAll = true
            defer { state.waiters = [:] }
            return state.waiters.values.flatMap { $0 }
        }
        for continuation in ready { continuation.resume() }
    }

    func open(_ streams: some Sequence<Int>) {
        let ready = state.withLockedValue { state -> [CheckedContinuation<Void, Never>] in
            var ready: [CheckedContinuation<Void, Never>] = []
            for stream in streams {
                state.opened.insert(stream)
                ready += state.waiters.removeValue(forKey: stream) ?? []
            }
            return ready
        }
        for continuation in ready { continuation.resume() }
    }
}
