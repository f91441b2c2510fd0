// Reference solution to exercise 9.3: open a batch at the first waiting
// request, take followers up to the size limit and the deadline, dispatch
// when full or at the deadline.

import ExerciseKit

public func dynamicBatches(
    arrivals: [Double], maxBatchSize: Int, maxWait: Double
) throws -> [(dispatchTime: Double, requests: [Int])] {
    var batches: [(dispatchTime: Double, requests: [Int])] = []
    var next = 0
    while next < arrivals.count {
        let deadline = arrivals[next] + maxWait
        var members = [next]
        next += 1
        while members.count < maxBatchSize, next < arrivals.count, arrivals[next] <= deadline {
            members.append(next)
            next += 1
        }
        let full = members.count == maxBatchSize
        batches.append((full ? arrivals[members.last!] : deadline, members))
    }
    return batches
}
