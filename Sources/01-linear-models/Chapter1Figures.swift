// The figures of chapters/01-linear-models.md, made by the code.
// `backprop figures` writes them to chapters/figures/; a test checks the
// committed files are exactly what this code produces.

import BackpropCore
import Datasets
import Figures

/// Builds chapter 1's figures (seed 42, like `backprop tour`).
public enum Chapter1Figures {
    /// Every figure with its file name.
    public static func all(seed: UInt64 = 42) throws -> [(String, any Figure)] {
        [
            ("01-linear-regression.svg", try regression(seed: seed).fit),
            ("01-linear-regression-loss.svg", try regression(seed: seed).loss),
            ("01-perceptron-updates.svg", try perceptronUpdates(seed: seed)),
            ("01-perceptron-mistakes.svg", try perceptronMistakes(seed: seed)),
            ("01-logistic-boundary.svg", try logisticBoundary(seed: seed)),
            ("01-xor.svg", try xor(seed: seed)),
            ("01-logistic-unit.svg", try logisticUnit()),
            ("01-gradient-descent-bowl.svg", try gradientDescentBowl(seed: seed)),
        ]
    }

    /// The noisy line with the normal-equation fit and the gradient-descent
    /// fit, and gradient descent's loss per epoch against the exact optimum.
    static func regression(seed: UInt64) throws -> (fit: ScatterPlot, loss: LinePlot) {
        let data = try SyntheticData.noisyLine(count: 100, seed: seed)
        let exact = try NormalEquations.fit(data.x, data.y)
        // Trained in Double so the loss curve shows the convergence rate, not
        // Float rounding (the same generic code trains in Float elsewhere).
        var model = try LinearRegression<Double>(features: 1)
        let history = try model.fit(data.x.converted(), data.y.converted(), epochs: 60, learningRate: 0.1)
        let w = model.weight.scalars[0], b = model.bias.scalars[0]
        let points = (0..<data.y.count).map { [Double(data.x.scalars[$0]), Double(data.y.scalars[$0])] }
        // Residual loss of the exact solution: the floor gradient descent approaches.
        var optimum = 0.0
        for p in points { let r = exact.weights[0] * p[0] + exact.bias - p[1]; optimum += r * r }
        optimum /= Double(points.count)
        let fit = ScatterPlot(
            title: "Linear regression on a noisy line (y = 2x − 1 + noise)", xLabel: "x", yLabel: "y",
            points: points, labels: Array(repeating: 0, count: points.count), classNames: ["data"],
            lines: [
                ReferenceLine(.segment(x1: -3, y1: exact.weights[0] * -3 + exact.bias, x2: 3, y2: exact.weights[0] * 3 + exact.bias),
                              name: "normal equations", color: Palette.color(1)),
                ReferenceLine(.segment(x1: -3, y1: w * -3 + b, x2: 3, y2: w * 3 + b),
                              name: "gradient descent, 60 epochs", color: Palette.color(2), dashed: true),
            ])
        let epochs = (0..<history.count).map(Double.init)
        // The excess loss L − L* falls geometrically (a straight line on a log
        // scale) until it reaches Float's rounding level.
        let loss = LinePlot(
            title: "Gradient descent: excess loss over the normal-equation optimum", xLabel: "epoch",
            yLabel: "L − L* (mean squared error)",
            series: [.init(name: "", x: epochs, y: history.map { $0 - optimum })], logY: true)
        return (fit, loss)
    }

    /// Setosa against versicolor (sepal length × petal length, in cm) with the
    /// perceptron's boundary after successive updates.
    static func perceptronUpdates(seed: UInt64) throws -> ScatterPlot {
        let data = try setosaVersicolor()
        var p = Perceptron(features: 2)
        let report = try p.fit(data, epochs: 100, learningRate: 0.1, seed: seed, recordSnapshots: true)
        let snaps = report.snapshots
        // Show up to five boundaries that cross the plotted region.
        let visible = snaps.indices.filter { k in
            ReferenceLine(.boundary(w1: Double(snaps[k].0[0]), w2: Double(snaps[k].0[1]), b: Double(snaps[k].1)))
                .clipped(x0: 4.3, x1: 7.0, y0: 1.0, y1: 5.1) != nil
        }
        let shown = Array(Set([0, visible.count / 4, visible.count / 2, 3 * visible.count / 4, visible.count - 1]
            .filter { $0 >= 0 && $0 < visible.count }.map { visible[$0] })).sorted()
        let lines = shown.enumerated().map { (i, k) -> ReferenceLine in
            let (w, b) = snaps[k]
            let last = k == snaps.count - 1
            return ReferenceLine(
                .boundary(w1: Double(w[0]), w2: Double(w[1]), b: Double(b)),
                name: last ? "update \(k + 1): converged" : "after update \(k + 1)",
                color: last ? "#222222" : Palette.color(i + 2), dashed: !last)
        }
        return ScatterPlot(
            title: "The perceptron's boundary after successive updates (iris)", xLabel: "sepal length (cm)",
            yLabel: "petal length (cm)", points: rows(data.features), labels: data.labels, classNames: data.classNames,
            lines: lines)
    }

    /// Setosa and versicolor flowers by sepal length and petal length (cm): separable.
    static func setosaVersicolor() throws -> Dataset {
        let iris = try BundledData.iris()
        let keep = (0..<iris.count).filter { iris.labels[$0] < 2 }
        let x = try Tensor<Float>(shape: [keep.count, 2], scalars: keep.flatMap { [iris.features[$0, 0], iris.features[$0, 2]] })
        return try Dataset(name: "setosa-versicolor", features: x, labels: keep.map { iris.labels[$0] },
                           classNames: ["setosa", "versicolor"])
    }

    /// Mistakes per epoch: to zero on separable data, never on XOR.
    static func perceptronMistakes(seed: UInt64) throws -> LinePlot {
        var a = Perceptron(features: 2), b = Perceptron(features: 2)
        let blobs = try a.fit(try setosaVersicolor(), epochs: 30, learningRate: 0.1, seed: seed)
        let xor = try b.fit(try SyntheticData.xor(copies: 50, noise: 0.1, seed: seed), epochs: 30, seed: seed)
        return LinePlot(
            title: "Perceptron mistakes per epoch", xLabel: "epoch", yLabel: "mistakes",
            series: [
                .init(name: "iris setosa vs versicolor (separable)", x: blobs.mistakesPerEpoch.indices.map { Double($0 + 1) },
                      y: blobs.mistakesPerEpoch.map(Double.init)),
                .init(name: "XOR, 200 noisy points", x: xor.mistakesPerEpoch.indices.map { Double($0 + 1) },
                      y: xor.mistakesPerEpoch.map(Double.init)),
            ])
    }

    /// Logistic regression's P(virginica) over petal length × width.
    /// Logistic regression of virginica against versicolor on the two petal
    /// measurements, standardised: 500 full-batch steps at η = 0.5 from zero.
    static func petalModel() throws -> (model: LogisticRegression<Float>, scaler: Standardizer, petals: Tensor<Float>, labels: [Int]) {
        let iris = try BundledData.iris()
        let keep = (0..<iris.count).filter { iris.labels[$0] != 0 }
        let petals = try Tensor<Float>(
            shape: [keep.count, 2], scalars: keep.flatMap { [iris.features[$0, 2], iris.features[$0, 3]] })
        let labels = keep.map { iris.labels[$0] == 2 ? 1 : 0 }
        let scaler = try Standardizer(fitting: petals)
        var model = try LogisticRegression<Float>(features: 2)
        try model.fit(try scaler.transform(petals), Tensor(labels.map { Float($0) }), epochs: 500, learningRate: 0.5)
        return (model, scaler, petals, labels)
    }

    static func logisticBoundary(seed: UInt64) throws -> DecisionBoundaryPlot {
        let (model, scaler, petals, labels) = try petalModel()
        let w = model.weight.scalars.map(Double.init), b = Double(model.bias.scalars[0])
        let mu = scaler.mean.map(Double.init), sd = scaler.std.map(Double.init)
        return DecisionBoundaryPlot(
            title: "Logistic regression: P(virginica | petal size)", xLabel: "petal length (cm)", yLabel: "petal width (cm)",
            xRange: 2.8...7.2, yRange: 0.8...2.7, resolution: 60,
            classifier: .probability { x, y in
                let z = w[0] * (x - mu[0]) / sd[0] + w[1] * (y - mu[1]) / sd[1] + b
                return 1 / (1 + (-z).exp)
            },
            points: rows(petals), labels: labels, classNames: ["versicolor", "virginica"])
    }

    /// XOR's corners and the best a line can do: three of four.
    static func xor(seed: UInt64) throws -> DecisionBoundaryPlot {
        let data = try SyntheticData.xor()
        return DecisionBoundaryPlot(
            title: "XOR: the line x₁ + x₂ = ½ gets 3 of 4 corners; none gets all 4", xLabel: "x₁", yLabel: "x₂",
            xRange: -0.5...1.5, yRange: -0.5...1.5, resolution: 40,
            classifier: .classes { x, y in x + y - 0.5 > 0 ? 1 : 0 },
            points: rows(data.features), labels: data.labels, classNames: data.classNames)
    }

    static func rows(_ t: Tensor<Float>) -> [[Double]] {
        (0..<t.shape[0]).map { i in (0..<t.shape[1]).map { Double(t[i, $0]) } }
    }
}

extension Double {
    fileprivate var exp: Double { Double.exp(self) }
}
