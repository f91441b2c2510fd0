// Mid-size Float products on the spin team (SpinTeam.swift): the core GEMM
// (SIMDMatmul.swift) wakes the second core only for products of at least
// `parallelThreshold` multiply-adds; one of 2¹⁸ to 2²³ runs on one thread
// unless the spin team's helper is already awake (spinning since a recent
// region: a decoding loop's, or an earlier product of the same training
// step), in which case it is split between the caller and the helper for
// the price of a cache-line hand-off. A lone mid-size product (a small
// model's layer between idle periods) thus never pays a wake-up.

extension PackedGEMM {
    /// Products from this many multiply-adds up to `parallelThreshold` (e.g.
    /// 32×128×64 … a 32-row refill of the baby GPT's KV cache) run on the
    /// spin team when its helper is already awake (`SpinTeam.awake`).
    static let teamThreshold = 1 << 18

    /// A Float product split into up to four chunks of whole row or column
    /// panels (as the Dispatch split above) that the caller and the spin
    /// team's helper claim; each element of C is computed exactly as on one
    /// thread, so the results are bit-identical.
    static func teamRun(_ team: SpinTeam, _ serial: Serial<Float>, m: Int, n: Int, _ a: UnsafePointer<Float>,
                        _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>, splitColumns: Bool) {
        let panels = splitColumns ? (n + 15) / 16 : (m + mr - 1) / mr
        let job = UnsafeMutablePointer<TeamJob>.allocate(capacity: 1)
        job.initialize(to: TeamJob(serial: serial, m: m, n: n, a: a, b: b, c: c, splitColumns: splitColumns,
                                   panels: panels, chunks: min(4, panels)))
        defer { job.deinitialize(count: 1); job.deallocate() }
        team.run(chunks: job.pointee.chunks, context: UnsafeRawPointer(job), teamChunk)
    }

    /// A product handed to the spin team, and the chunk of it that `teamChunk` runs.
    struct TeamJob {
        let serial: Serial<Float>, m: Int, n: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>
        let c: UnsafeMutablePointer<Float>, splitColumns: Bool, panels: Int, chunks: Int
    }

    static let teamChunk: SpinTeam.Body = { context, t in
        let j = context.assumingMemoryBound(to: TeamJob.self).pointee, s = j.serial
        if j.splitColumns {
            let j0 = j.panels * t / j.chunks * 16, j1 = min(j.n, j.panels * (t + 1) / j.chunks * 16)
            guard j0 < j1 else { return }
            s.run(m: j.m, n: j1 - j0, j.a, s.layout == .nt ? j.b + j0 * s.ldb : j.b + j0, j.c + j0)
        } else {
            let i0 = j.panels * t / j.chunks * mr, i1 = min(j.m, j.panels * (t + 1) / j.chunks * mr)
            guard i0 < i1 else { return }
            s.run(m: i1 - i0, n: j.n, s.layout == .tn ? j.a + i0 : j.a + i0 * s.lda, j.b, j.c + i0 * j.n)
        }
    }
}
