// Learning-rate schedules: the learning rate as a function of the step (or
// epoch) number t, starting at 0.
//
//   constant:  η(t) = η₀
//   step:      η(t) = η₀ · γ^⌊t / s⌋                       (torch StepLR)
//   cosine with linear warm-up over w steps, to η_min at step T:
//              η(t) = η₀ · (t + 1)/w                        for t < w
//              η(t) = η_min + ½(η₀ − η_min)(1 + cos(π (t − w)/(T − w)))  for t ≥ w
// Warm-up keeps Adam's first, poorly estimated steps small; cosine decay
// lets training settle into a minimum at the end.

import Foundation

/// A learning-rate schedule.
public enum LearningRateSchedule: Sendable, Equatable {
    case constant
    case step(every: Int, factor: Double)
    case cosine(warmup: Int, total: Int, minimum: Double)

    /// The learning rate at step t for base rate η₀.
    public func rate(at t: Int, base: Double) -> Double {
        switch self {
        case .constant:
            return base
        case let .step(every, factor):
            return base * Foundation.pow(factor, Double(t / max(every, 1)))
        case let .cosine(warmup, total, minimum):
            if t < warmup { return base * Double(t + 1) / Double(warmup) }
            let span = Double(max(total - warmup, 1))
            let progress = min(Double(t - warmup) / span, 1)
            return minimum + 0.5 * (base - minimum) * (1 + Foundation.cos(Double.pi * progress))
        }
    }
}
