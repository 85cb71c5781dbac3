// Writes interactions into a cassette until it is killed, for the crash test: after each flush
// it prints `committed <id>` for every interaction it knows is stored, so the test can check
// that all of them survive a SIGKILL that lands in the middle of the next transaction.
import Cassettes
import Dialects
import Foundation

/// Writes a line straight to the pipe (unbuffered), so the parent sees it before any kill.
func emit(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }

let arguments = CommandLine.arguments
guard arguments.count >= 2 else {
    FileHandle.standardError.write(Data("usage: cassette-crash-writer CASSETTE [PREFIX]\n".utf8))
    exit(2)
}
let path = arguments[1]
let prefix = arguments.count > 2 ? arguments[2] : "crash"

func interaction(_ number: Int) -> Interaction {
    let frames = (0..<60).map { index in
        Frame(
            offsetMicros: Int64(index) * 15_000,
            bytes: Array("data: {\"id\":\"chatcmpl-\(number)\",\"object\":\"chat.completion.chunk\",\"created\":1750000000,\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\" word\(index)\"},\"finish_reason\":null}]}\n\n".utf8))
    } + [Frame(offsetMicros: 900_000, bytes: Array("data: [DONE]\n\n".utf8))]
    let body = "{\"model\":\"gpt-4o-mini\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"question \(number)\"}]}"
    return Interaction(
        id: "\(prefix)-\(number)", recordedAt: Date(), dialect: .openAIChat, provider: "openai",
        endpoint: "/v1/chat/completions", model: "gpt-4o-mini", stream: true,
        request: RecordedRequest(method: "POST", target: "/v1/chat/completions",
                                 headers: [HTTPField("content-type", "application/json")], body: Array(body.utf8)),
        response: ResponseHead(status: 200, headers: [HTTPField("content-type", "text/event-stream")], offsetMicros: 120_000),
        content: .frames(frames), ending: .complete, durationMicros: 910_000)
}

/// Ids the writer reported as not stored, so they are never claimed as committed.
final class FailedIDs: @unchecked Sendable {
    private let lock = NSLock()
    private var ids: Set<String> = []
    func add(_ more: [String]) { lock.lock(); ids.formUnion(more); lock.unlock() }
    func contains(_ id: String) -> Bool { lock.lock(); defer { lock.unlock() }; return ids.contains(id) }
}

do {
    let failed = FailedIDs()
    let store = try CassetteStore(path: path, mode: .createIfMissing)
    let writer = CassetteWriter(store: store) { failure in
        failed.add(failure.interactionIDs)
        FileHandle.standardError.write(Data("write failed: \(failure.error)\n".utf8))
    }
    emit("ready")
    var number = 0
    while true {
        var batch: [String] = []
        for _ in 0..<25 {
            number += 1
            let next = interaction(number)
            if writer.enqueue(next) { batch.append(next.id) }
        }
        await writer.flush()
        for id in batch where !failed.contains(id) { emit("committed \(id)") }
    }
} catch {
    FileHandle.standardError.write(Data("\(error)\n".utf8))
    exit(1)
}
