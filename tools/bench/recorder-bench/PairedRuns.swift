/// The same traffic run direct and through the recorder, several rounds, alternating which goes
/// first: on a shared machine whose speed drifts from second to second (other tenants, frequency),
/// a figure from one run of each is mostly noise, while the per-round differences and the figures
/// over all rounds are steady.
struct PairedRuns {
    var direct: [BenchSamples] = []
    var recorder: [BenchSamples] = []
    /// The recorder's CPU time over its runs (user + system).
    var recorderCPUMicros = 0

    /// Runs `traffic` `rounds` times each way: with nil to go direct, with the recorder's port to
    /// go through it.
    static func measure(rounds: Int, recorder: RecorderProcess, traffic: (Int?) async -> BenchSamples) async -> PairedRuns {
        var runs = PairedRuns()
        for round in 0..<rounds {
            for throughRecorder in round.isMultiple(of: 2) ? [false, true] : [true, false] {
                if throughRecorder {
                    let before = recorder.cpuMicros
                    runs.recorder.append(await traffic(recorder.port))
                    runs.recorderCPUMicros += recorder.cpuMicros - before
                } else {
                    runs.direct.append(await traffic(nil))
                }
            }
        }
        return runs
    }
}
