import Cassettes
import Foundation
import NIOSSL
import Recorder
import Testing

@Suite("Upstream connections")
struct UpstreamConnectionTests {
    static func answer(_ request: UpstreamRequest, _ responder: UpstreamResponder) async throws {
        let body = "{\"n\":\(request.indexOnConnection)}"
        try await responder.head(.ok, [("content-type", "application/json"), ("content-length", "\(body.utf8.count)")])
        try await responder.send(body)
        try await responder.end()
    }

    @Test("connections to an upstream are kept and reused after clean responses")
    func pooled() async throws {
        let harness = try await RecorderHarness(script: Self.answer)
        defer { harness.remove() }
        // One client connection: its exchanges run on one event loop, whose pool they share.
        let client = try await harness.connect()
        for _ in 0..<4 {
            try await client.send(.POST, "/v1/chat/completions", body: Array("{}".utf8))
            let reply = await client.response()
            #expect(reply.status == 200)
        }
        await client.close()
        #expect(harness.upstream.acceptedConnections == 1)
        #expect(harness.upstream.requests.map(\.indexOnConnection) == [0, 1, 2, 3])
        #expect(try await harness.finish().count == 4)
    }

    @Test("a response that ends the connection is not reused")
    func connectionClose() async throws {
        let harness = try await RecorderHarness { request, responder in
            try await responder.head(.ok, [("content-length", "2"), ("connection", "close")])
            try await responder.send("{}")
            try await responder.end()
            await responder.cut()
        }
        defer { harness.remove() }
        let client = try await harness.connect()
        for _ in 0..<2 {
            try await client.send(.POST, "/v1/chat/completions", body: Array("{}".utf8))
            let reply = await client.response()
            #expect(reply.status == 200)
            #expect(reply.headers.first(name: "connection") == nil)
        }
        await client.close()
        #expect(harness.upstream.acceptedConnections == 2)
        #expect(try await harness.finish().map(\.ending) == [.complete, .complete])
    }
}

/// A self-signed certificate for `localhost`, made with the openssl tool when it is installed.
struct TestCertificate {
    let certificatePath: String
    let keyPath: String

    static let opensslPath = ["/usr/bin/openssl", "/usr/local/bin/openssl"].first { FileManager.default.isExecutableFile(atPath: $0) }

    static func make(in directory: ScratchDirectory) throws -> TestCertificate {
        let certificate = directory.path("cert.pem")
        let key = directory.path("key.pem")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: opensslPath ?? "openssl")
        process.arguments = [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", certificate, "-days", "1",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return TestCertificate(certificatePath: certificate, keyPath: key)
    }

    func serverContext() throws -> NIOSSLContext {
        try NIOSSLContext(configuration: .makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(certificatePath).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: keyPath, format: .pem))))
    }
}

@Suite("HTTPS upstreams", .enabled(if: TestCertificate.opensslPath != nil, "needs the openssl tool to make a certificate"))
struct TLSUpstreamTests {
    @Test("an https upstream is relayed byte for byte and recorded, its certificate checked against the given authority")
    func trusted() async throws {
        // A certificate and its private key are inputs made for the test, not recorder output.
        let scratch = try ScratchDirectory("recorder-tls", purpose: .inputs)
        defer { scratch.remove() }
        let certificate = try TestCertificate.make(in: scratch)
        let stream = try Fixtures.bytes("streams/anthropic_messages/text-end-turn.sse")
        let harness = try await RecorderHarness(
            upstreamTLS: try certificate.serverContext(),
            configure: { $0.upstreamTrustRootsFile = certificate.certificatePath }
        ) { _, responder in
            try await responder.head(.ok, [("content-type", "text/event-stream")])
            try await responder.send(stream)
            try await responder.end()
        }
        defer { harness.remove() }
        let reply = try await harness.send(
            "/v1/messages", body: #"{"model":"claude-sonnet-4-5","max_tokens":64,"messages":[{"role":"user","content":"Hi"}],"stream":true}"#)
        #expect(reply.status == 200)
        #expect(reply.body == stream)
        #expect(harness.upstream.requests.first?.head.headers.first(name: "host") == "localhost:\(harness.upstream.port)")
        let recorded = try await harness.finish()
        #expect(recorded.first?.ending == .complete)
        #expect(recorded.first?.content.bytes == stream)
    }

    @Test("an https upstream whose certificate no trusted authority signed is refused: 502, recorded without a response")
    func untrusted() async throws {
        // A certificate and its private key are inputs made for the test, not recorder output.
        let scratch = try ScratchDirectory("recorder-tls", purpose: .inputs)
        defer { scratch.remove() }
        let certificate = try TestCertificate.make(in: scratch)
        let harness = try await RecorderHarness(upstreamTLS: try certificate.serverContext()) { _, responder in
            try await responder.head(.ok, [("content-length", "2")])
            try await responder.send("{}")
            try await responder.end()
        }
        defer { harness.remove() }
        let reply = try await harness.send("/v1/chat/completions", body: "{}")
        #expect(reply.status == 502)
        #expect(harness.upstream.requests.isEmpty)
        let recorded = try await harness.finish()
        #expect(recorded.first?.ending == .reset)
        #expect(recorded.first?.response == nil)
    }
}
