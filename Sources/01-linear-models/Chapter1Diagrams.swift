// Chapter 1's pictures of ideas, computed with the chapter's own code: one
// logistic unit with a real flower's numbers flowing through it, and gradient
// descent on the bowl-shaped loss of linear regression, below and above the
// stability limit η = 2/λmax.

import BackpropCore
import Figures
import Foundation

extension Chapter1Figures {
    /// A logistic unit (virginica against versicolor from the petals): a
    /// real flower's measurements, standardised, weighted, summed with the
    /// bias and squashed by the sigmoid into a probability.
    static func logisticUnit() throws -> Diagram {
        typealias D = Diagram
        let (model, scaler, petals, labels) = try petalModel()
        // The first virginica whose probability is not a foregone conclusion:
        // the one nearest the boundary among the virginicas.
        let standardised = try scaler.transform(petals)
        let logits = try model.logits(standardised).scalars
        let index = (0..<labels.count).filter { labels[$0] == 1 }.min { abs(logits[$0]) < abs(logits[$1]) }!
        let raw = [Double(petals[index, 0]), Double(petals[index, 1])]
        let x = [Double(standardised[index, 0]), Double(standardised[index, 1])]
        let w = model.weight.scalars.map(Double.init), b = Double(model.bias.scalars[0])
        let z = w[0] * x[0] + w[1] * x[1] + b
        let p = 1 / (1 + exp(-z))
        let n = { (v: Double) in D.number(v, digits: 2) }

        var d = Diagram(width: 900, height: 330, title: "One logistic unit, with a real flower (a virginica) flowing through it")
        let names = ["petal length", "petal width"]
        for i in 0..<2 {
            let y = 110.0 + Double(i) * 110
            d.add(D.box(["\(names[i]) = \(n(raw[i])) cm"], x: 20, y: y - 20, width: 170, height: 40, fill: D.Ink.dataFill))
            d.add(D.arrow(from: SVGPoint(190, y), to: SVGPoint(250, y), color: D.Ink.forward))
            d.add(D.box(["standardise", "x\(i == 0 ? "₁" : "₂") = \(n(x[i]))"], x: 250, y: y - 24, width: 120, height: 48))
            d.add(D.arrow(from: SVGPoint(370, y), to: SVGPoint(520, 165 + Double(i) * 20 - 10), color: D.Ink.forward))
            d.add(D.label("× w\(i == 0 ? "₁" : "₂") = \(n(w[i]))", x: 445, y: y + (i == 0 ? -8 : 22), color: D.Ink.parameter, fontSize: 12))
        }
        d.add(D.box(["z = w₁x₁ + w₂x₂ + b", "= \(n(z))"], x: 520, y: 135, width: 160, height: 60))
        d.add(D.label("+ b = \(n(b))", x: 600, y: 120, color: D.Ink.parameter))
        d.add(D.arrow(from: SVGPoint(680, 165), to: SVGPoint(720, 165), color: D.Ink.forward))
        d.add(D.box(["σ(z) = 1/(1 + e⁻ᶻ)", "p = \(n(p))"], x: 720, y: 135, width: 160, height: 60, fill: D.Ink.highlightFill))
        d.add(D.label("p = P(virginica | petals) \(p >= 0.5 ? "≥" : "<") ½:", x: 880, y: 222, fontSize: 11.5, anchor: .end))
        d.add(D.label("the unit says \(p >= 0.5 ? "virginica, rightly" : "versicolor, wrongly")", x: 880, y: 238, fontSize: 11.5, anchor: .end))
        d.add(D.label("The weights and bias were learned by gradient descent on the cross-entropy (500 steps, η = 0.5, from zero);",
                      x: 20, y: 290, fontSize: 11.5, anchor: .start))
        d.add(D.label("the flower is the virginica nearest the boundary z = 0, where the unit is least sure.",
                      x: 20, y: 308, fontSize: 11.5, anchor: .start))
        return d
    }

    /// Gradient descent on the loss L(w, b) of chapter 1's noisy line, drawn
    /// as contours of L − L* around the normal-equation optimum, for three
    /// step sizes: well inside, just inside and just outside 0 < η < 2/λmax.
    static func gradientDescentBowl(seed: UInt64) throws -> Diagram {
        typealias D = Diagram
        let data = try SyntheticData.noisyLine(count: 100, seed: seed)
        let x = data.x.scalars.map(Double.init), y = data.y.scalars.map(Double.init)
        let count = Double(x.count)
        let exact = try NormalEquations.fit(data.x, data.y)
        let optimum = (exact.weights[0], exact.bias)
        // H = (2/n)·AᵀA with A = [x 1]: constant, so L − L* = ½ eᵀHe exactly.
        let sxx = x.reduce(0) { $0 + $1 * $1 }, sx = x.reduce(0, +)
        let h = [[2 * sxx / count, 2 * sx / count], [2 * sx / count, 2.0]]
        let mean = (h[0][0] + h[1][1]) / 2, gap = (((h[0][0] - h[1][1]) / 2) * ((h[0][0] - h[1][1]) / 2) + h[0][1] * h[0][1]).squareRoot()
        let lambdas = [mean + gap, mean - gap]
        // Unit eigenvectors of the symmetric 2 × 2 matrix.
        let vectors = lambdas.map { l -> (Double, Double) in
            let v = abs(h[0][1]) > 1e-12 ? (h[0][1], l - h[0][0]) : (l == h[0][0] ? (1.0, 0.0) : (0.0, 1.0))
            let norm = (v.0 * v.0 + v.1 * v.1).squareRoot()
            return (v.0 / norm, v.1 / norm)
        }
        let limit = 2 / lambdas[0]

        // Gradient descent from zero with the chapter's own gradient.
        func path(_ eta: Double, steps: Int) throws -> [(Double, Double)] {
            var model = try LinearRegression<Double>(features: 1, backend: .naive)
            var points = [(0.0, 0.0)]
            let xs: Tensor<Double> = data.x.converted(), ys: Tensor<Double> = data.y.converted()
            for _ in 0..<steps {
                let g = try model.lossAndGradients(xs, ys)
                model.weight.scalars[0] -= eta * g.dWeight.scalars[0]
                model.bias.scalars[0] -= eta * g.dBias.scalars[0]
                points.append((model.weight.scalars[0], model.bias.scalars[0]))
            }
            return points
        }
        let runs: [(String, String, Double, Int)] = [
            ("η = 0.1", "converges", 0.1, 25),
            ("η = 0.29", "< 2/λmax: zig-zags in", 0.29, 40),
            ("η = 0.30", "> 2/λmax = \(D.number(limit, digits: 3)): diverges", 0.30, 40),
        ]
        var d = Diagram(width: 960, height: 400, title: "Gradient descent on linear regression's loss: the step size against the curvature")
        let wRange = (-0.8, 4.8), bRange = (-3.0, 1.0)
        let panel = 280.0, top = 60.0
        for (k, run) in runs.enumerated() {
            let left = 40 + Double(k) * 310
            func px(_ w: Double, _ b: Double) -> SVGPoint {
                SVGPoint(left + (w - wRange.0) / (wRange.1 - wRange.0) * panel, top + (bRange.1 - b) / (bRange.1 - bRange.0) * panel)
            }
            func inside(_ w: Double, _ b: Double) -> Bool {
                w >= wRange.0 && w <= wRange.1 && b >= bRange.0 && b <= bRange.1
            }
            var children: [SVGElement] = [.rect(x: left, y: top, width: panel, height: panel,
                                               style: .init(fill: D.Ink.dataFill, stroke: D.Ink.neutral, strokeWidth: 1))]
            // Contours ½ eᵀHe = c: e = √(2c/λ₁)·cos t·v₁ + √(2c/λ₂)·sin t·v₂.
            for c in [0.25, 1, 2.5, 5, 9] {
                let a1 = (2 * c / lambdas[0]).squareRoot(), a2 = (2 * c / lambdas[1]).squareRoot()
                let ring = (0...96).map { i -> SVGPoint in
                    let t = Double(i) / 96 * 2 * Double.pi
                    let e = (a1 * cos(t) * vectors[0].0 + a2 * sin(t) * vectors[1].0, a1 * cos(t) * vectors[0].1 + a2 * sin(t) * vectors[1].1)
                    let wb = (optimum.0 + e.0, optimum.1 + e.1)
                    return px(min(max(wb.0, wRange.0), wRange.1), min(max(wb.1, bRange.0), bRange.1))
                }
                children.append(.polyline(points: ring, style: .init(stroke: "#B8C4D6", strokeWidth: 1)))
            }
            let points = try path(run.2, steps: run.3)
            var segments: [SVGPoint] = []
            for p in points {
                guard inside(p.0, p.1) else { break }
                segments.append(px(p.0, p.1))
            }
            children.append(.polyline(points: segments, style: .init(stroke: D.Ink.backward, strokeWidth: 1.4)))
            for s in segments { children.append(.circle(cx: s.x, cy: s.y, r: 2.2, style: .init(fill: D.Ink.backward))) }
            let star = px(optimum.0, optimum.1)
            children.append(.circle(cx: star.x, cy: star.y, r: 4, style: .init(fill: D.Ink.forward)))
            children.append(D.label("θ*", x: star.x + 8, y: star.y - 6, color: D.Ink.forward, anchor: .start))
            let start = px(0, 0)
            children.append(D.label("start", x: start.x + 6, y: start.y - 6, fontSize: 11, anchor: .start))
            children.append(D.label("\(run.0): \(run.1)", x: left + panel / 2, y: top - 10, fontSize: 12, bold: true))
            children.append(D.label("slope w", x: left + panel / 2, y: top + panel + 18, fontSize: 11))
            children.append(D.label("\(D.number(wRange.0)) … \(D.number(wRange.1))", x: left + panel / 2, y: top + panel + 32, fontSize: 10))
            children.append(.text("intercept b (\(D.number(bRange.0)) … \(D.number(bRange.1)))", x: left - 8, y: top + panel / 2,
                                  anchor: .middle, rotation: -90, style: .init(fill: D.Ink.neutral, fontSize: 10)))
            d.add(.group(children))
        }
        d.add(D.label("Contours: L − L* = 0.25, 1, 2.5, 5, 9 around the normal-equation optimum θ*. λmax = \(D.number(lambdas[0], digits: 3)), "
                      + "λmin = \(D.number(lambdas[1], digits: 3)); each step multiplies the error along an eigenvector by 1 − ηλ.",
                      x: 480, y: 392, fontSize: 11))
        return d
    }
}
