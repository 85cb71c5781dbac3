import NIOCore

/// Runs tasks on one event loop, so an exchange's reads and writes on channels of that loop happen
/// without a thread switch: a write from such a task enters the pipeline at once, and a task woken
/// by the loop runs on it next. Shared by `serve` and `record`.
@available(macOS 15.0, *)
public final class EventLoopTaskExecutor: TaskExecutor {
    public let eventLoop: any EventLoop

    public init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
