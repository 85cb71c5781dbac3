import Foundation

/// Prints the fuzz cases in flight when the process traps, then lets the trap proceed as before.
///
/// The labels live in preallocated C buffers so the signal handler only reads memory and calls
/// `write`; slots let fuzz tests that run in parallel each keep their own label.
final class CrashReporter: @unchecked Sendable {
    static let shared = CrashReporter()

    private static let slotCount = 32
    private static let slotSize = 512
    private let lock = NSLock()
    private var used = [Bool](repeating: false, count: CrashReporter.slotCount)

    private init() {
        reporterSlots = UnsafeMutablePointer<CChar>.allocate(capacity: Self.slotCount * Self.slotSize)
        reporterSlots.initialize(repeating: 0, count: Self.slotCount * Self.slotSize)
        for signal in [SIGILL, SIGTRAP, SIGSEGV, SIGBUS, SIGABRT, SIGFPE] { Self.install(on: signal) }
    }

    func claimSlot() -> Int {
        lock.withLock {
            guard let free = used.firstIndex(of: false) else { return -1 }
            used[free] = true
            return free
        }
    }

    func release(_ slot: Int) {
        guard slot >= 0 else { return }
        reporterSlots[slot * Self.slotSize] = 0
        lock.withLock { used[slot] = false }
    }

    func record(_ label: String, in slot: Int) {
        guard slot >= 0 else { return }
        let base = reporterSlots + slot * Self.slotSize
        let bytes = Array(label.utf8.prefix(Self.slotSize - 1))
        // Terminator first, so a handler never reads a half-written label past its end.
        base[0] = 0
        for (offset, byte) in bytes.enumerated().dropFirst() { base[offset] = CChar(bitPattern: byte) }
        base[bytes.count] = 0
        if let first = bytes.first { base[0] = CChar(bitPattern: first) }
    }

    private static func install(on signal: Int32) {
        let action = UnsafeMutablePointer<sigaction>.allocate(capacity: 1)
        memset(action, 0, MemoryLayout<sigaction>.size)
        action.pointee.__sigaction_handler.sa_handler = reporterHandler
        sigemptyset(&action.pointee.sa_mask)
        _ = sigaction(signal, action, reporterPrevious + Int(signal))
        action.deallocate()
    }
}

nonisolated(unsafe) private var reporterSlots = UnsafeMutablePointer<CChar>.allocate(capacity: 1)
nonisolated(unsafe) private let reporterPrevious: UnsafeMutablePointer<sigaction> = {
    let table = UnsafeMutablePointer<sigaction>.allocate(capacity: 65)
    memset(table, 0, 65 * MemoryLayout<sigaction>.size)
    return table
}()

/// Writes every recorded label to stderr, restores the previous handler and returns, so the
/// faulting instruction runs again and the previous handler (the Swift backtracer) takes over.
private func reporterHandler(_ signal: Int32) {
    let header = "\nfuzz cases in flight when the process received a fatal signal:\n"
    _ = header.withCString { write(2, $0, strlen($0)) }
    for slot in 0..<32 {
        let base = reporterSlots + slot * 512
        guard base[0] != 0 else { continue }
        _ = write(2, "  ", 2)
        _ = write(2, base, strlen(base))
        _ = write(2, "\n", 1)
    }
    _ = sigaction(signal, reporterPrevious + Int(signal), nil)
    if signal == SIGABRT { raise(signal) }
}
