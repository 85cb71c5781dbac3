import ArgumentParser

/// A `host:port` to listen on; a bare port means loopback.
struct ListenAddress: ExpressibleByArgument, CustomStringConvertible, Sendable {
    var host: String
    var port: Int

    init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    init?(argument: String) {
        let parts = argument.split(separator: ":", omittingEmptySubsequences: false)
        switch parts.count {
        case 1:
            guard let port = Int(parts[0]), (0...65535).contains(port) else { return nil }
            self.init(host: "127.0.0.1", port: port)
        case 2:
            guard !parts[0].isEmpty, let port = Int(parts[1]), (0...65535).contains(port) else { return nil }
            self.init(host: String(parts[0]), port: port)
        default:
            return nil
        }
    }

    var description: String { "\(host):\(port)" }
    static var defaultValueDescription: String { "127.0.0.1:PORT" }
}
