import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOSSL

/// Opens and pools HTTP/1.1 connections to the upstreams, TLS for `https`. A connection goes back
/// to the pool only after a response that ended cleanly, and is dropped if it stays idle longer
/// than `idleTimeout` or the upstream closes it meanwhile.
final class UpstreamClient: Sendable {
    private struct Key: Hashable {
        var scheme: String
        var host: String
        var port: Int
        /// Connections are pooled per event loop, so an exchange gets one on its own loop.
        var eventLoop: ObjectIdentifier
    }

    private let tls: NIOSSLContext
    private let connectTimeout: TimeAmount
    private let idleTimeout: TimeAmount
    private let maxIdlePerHost: Int
    private let idle = NIOLockedValueBox<(connections: [Key: [UpstreamConnection]], closed: Bool)>(([:], false))

    /// `trustRootsFile`: a PEM file of extra certificate authorities for upstream TLS.
    init(
        trustRootsFile: String?, connectTimeout: TimeAmount = .seconds(10),
        idleTimeout: TimeAmount = .seconds(20), maxIdlePerHost: Int = 256
    ) throws {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.applicationProtocols = ["http/1.1"]
        if let trustRootsFile {
            configuration.additionalTrustRoots = [.file(trustRootsFile)]
        }
        self.tls = try NIOSSLContext(configuration: configuration)
        self.connectTimeout = connectTimeout
        self.idleTimeout = idleTimeout
        self.maxIdlePerHost = maxIdlePerHost
    }

    /// A connection to the route's upstream on `eventLoop`: a pooled one when `reuse` allows and
    /// one is usable, else a new one. `reused` tells which.
    func lease(_ route: UpstreamRoute, on eventLoop: any EventLoop, reuse: Bool = true) async throws
        -> (connection: UpstreamConnection, reused: Bool)
    {
        let key = Key(scheme: route.scheme, host: route.host, port: route.port, eventLoop: ObjectIdentifier(eventLoop))
        if reuse {
            let now = NIODeadline.now()
            while let candidate = popIdle(key) {
                if candidate.isUsable && now - candidate.idleStart < idleTimeout { return (candidate, true) }
                candidate.close()
            }
        }
        let connection = try await UpstreamConnection.open(
            host: route.host, port: route.port, tls: route.scheme == "https" ? tls : nil, eventLoop: eventLoop,
            connectTimeout: connectTimeout)
        return (connection, false)
    }

    /// Hands a connection back: pooled when `reusable`, closed otherwise.
    func release(_ connection: UpstreamConnection, route: UpstreamRoute, reusable: Bool) {
        guard reusable, connection.isUsable else {
            connection.close()
            return
        }
        connection.idleStart = .now()
        let key = Key(
            scheme: route.scheme, host: route.host, port: route.port, eventLoop: ObjectIdentifier(connection.channel.eventLoop))
        let kept = idle.withLockedValue { idle -> Bool in
            guard !idle.closed, idle.connections[key, default: []].count < maxIdlePerHost else { return false }
            idle.connections[key, default: []].append(connection)
            return true
        }
        if !kept { connection.close() }
    }

    /// Closes every pooled connection and pools no more.
    func shutdown() {
        let all = idle.withLockedValue { idle -> [UpstreamConnection] in
            idle.closed = true
            defer { idle.connections = [:] }
            return idle.connections.values.flatMap { $0 }
        }
        for connection in all { connection.close() }
    }

    private func popIdle(_ key: Key) -> UpstreamConnection? {
        idle.withLockedValue { $0.connections[key]?.popLast() }
    }
}
