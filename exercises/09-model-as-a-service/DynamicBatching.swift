// Exercise 9.3 — a dynamic-batching policy
// (chapters/09-model-as-a-service.md, "Batching: latency against throughput").
//
// A server collects requests into batches so that one forward pass serves
// several of them. Waiting longer fills bigger batches (more throughput) but
// makes the first request in a batch wait (more latency). The policy bounds
// both with a maximum batch size and a maximum wait.
//
// Requests 0, 1, …, n − 1 arrive at times arrivals[0] ≤ arrivals[1] ≤ … (in
// milliseconds). Dispatching takes no time and the server is always free.
// Batches are formed one after another:
//
//   • The first request not yet in a batch opens a new batch; if it arrives
//     at t₀, the batch's deadline is t₀ + maxWait.
//   • The next requests join it, in order, while it holds fewer than
//     maxBatchSize requests and they arrive at or before the deadline
//     (arrival ≤ t₀ + maxWait, inclusive).
//   • A batch that reaches maxBatchSize requests is dispatched at once, at the
//     arrival time of the request that filled it. Otherwise it is dispatched
//     at its deadline t₀ + maxWait (the server cannot know nobody else is
//     coming).
//
// Return the batches in order, each as (dispatch time, the indices of its
// requests in increasing order). No arrivals → no batches. maxBatchSize ≥ 1,
// maxWait ≥ 0.
//
// Worked example: arrivals [0, 4, 30, 31, 33, 50], maxBatchSize 3,
// maxWait 5 → [(5, [0, 1]), (33, [2, 3, 4]), (55, [5])]: the first batch times
// out at 0 + 5, the second fills up when request 4 arrives at 33, the third
// waits alone until 50 + 5.
//
// Replace the `throw` with your code, then run:
//   swift test --package-path exercises/09-model-as-a-service --filter Chapter09Exercises/dynamicBatches

import ExerciseKit

public func dynamicBatches(
    arrivals: [Double], maxBatchSize: Int, maxWait: Double
) throws -> [(dispatchTime: Double, requests: [Int])] {
    throw NotAttempted()
}
