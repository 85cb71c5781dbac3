import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("tapedeck record")
struct RecordCommandTests {
    @Test("records what passes through in front of tapedeck serve, and SIGTERM drains, flushes and exits 0")
    func recordsAndStopsCleanly() throws {
        let scratch = try ScratchDirectory("record")
        defer { scratch.remove() }
        let cassette = scratch.path("recorded.sqlite")
        let upstreamPort = try FreePort.pick()
        let recorderPort = try FreePort.pick()
        let adminPort = try FreePort.pick()

        let serve = Process()
        serve.executableURL = TapedeckProcess.executable
        serve.arguments = ["serve", "--cassette", Fixtures.url("cassettes/demo.jsonl").path, "--listen", "127.0.0.1:\(upstreamPort)", "--speed", "max"]
        let serveLog = try LogFile(in: scratch, named: "serve.log")
        serve.standardOutput = serveLog.handle
        serve.standardError = serveLog.handle
        try serve.run()
        defer {
            serve.terminate()
            serve.waitUntilExit()
        }
        let record = Process()
        record.executableURL = TapedeckProcess.executable
        record.arguments = [
            "record", "--listen", "127.0.0.1:\(recorderPort)", "--upstream", "openai=http://127.0.0.1:\(upstreamPort)",
            "--cassette", cassette, "--tag", "cli-test", "--admin", "127.0.0.1:\(adminPort)",
        ]
        let output = Pipe()
        record.standardOutput = output
        let recordLog = try LogFile(in: scratch, named: "record.log")
        record.standardError = recordLog.handle
        try record.run()
        defer { if record.isRunning { record.terminate() } }
        try FreePort.waitUntilListening(upstreamPort)
        try FreePort.waitUntilListening(recorderPort)

        let body = #"{"model":"gpt-4o-mini","messages":[{"role":"system","content":"You are a concise assistant."},{"role":"user","content":"What is the capital of France?"}],"stream":true,"stream_options":{"include_usage":true}}"#
        let reply = try RawHTTP.exchange(port: recorderPort, request: """
            POST /openai/v1/chat/completions HTTP/1.1\r
            host: 127.0.0.1\r
            content-type: application/json\r
            authorization: Bearer sk-proj-FAKEcliTestSecretValue0000000\r
            content-length: \(body.utf8.count)\r
            connection: close\r
            \r
            \(body)
            """)
        #expect(reply.hasPrefix("HTTP/1.1 200"), "\(reply)")
        #expect(reply.contains("data: [DONE]"))
        let metrics = try RawHTTP.exchange(port: adminPort, request: "GET /metrics HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        #expect(metrics.contains("tapedeck_recorder_interactions_total{ending=\"complete\"} 1"), "\(metrics)")

        record.terminate()
        record.waitUntilExit()
        #expect(record.terminationStatus == 0)
        let printed = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(printed.contains("Recorded 1 of 1 interactions"), "\(printed)")

        let listing = try TapedeckProcess.run(["cassette", "ls", cassette])
        #expect(listing.status == 0, "\(listing.stderr)")
        #expect(listing.stdout.contains("complete"), "\(listing.stdout)")
        let raw = try Data(contentsOf: URL(fileURLWithPath: cassette))
        #expect(!String(decoding: raw, as: UTF8.self).contains("cliTestSecretValue"))
    }

    @Test("bad options are one clear sentence and a non-zero exit", arguments: [
        (["record", "--cassette", "x.sqlite"], "no --upstream was given"),
        (["record", "--cassette", "x.sqlite", "--upstream", "ftp://example.com"], "the scheme must be http or https"),
        (["record", "--cassette", "x.sqlite", "--upstream", "http://a.example", "--upstream", "http://b.example"], "more than one bare --upstream"),
    ])
    func badOptions(arguments: [String], message: String) throws {
        let result = try TapedeckProcess.run(arguments)
        #expect(result.status != 0)
        #expect(result.stderr.contains(message), "\(result.stderr)")
    }
}

/// One HTTP exchange over a plain socket: writes the request, reads until the server closes.
enum RawHTTP {
    /// With `halfClose`, the sending side is shut after the request, as a client that gives up
    /// mid-body does.
    static func exchange(port: Int, request: String, halfClose: Bool = false) throws -> String {
        guard let fd = LoopbackSocket.connect(port: port, receiveTimeout: 15) else { throw CocoaError(.fileReadUnknown) }
        defer { close(fd) }
        guard LoopbackSocket.sendAll(fd, Array(request.utf8)) else { throw CocoaError(.fileWriteUnknown) }
        if halfClose { shutdown(fd, Int32(SHUT_WR)) }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16_384)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            response += buffer[0..<count]
        }
        return String(decoding: response, as: UTF8.self)
    }
}
