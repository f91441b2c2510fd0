// Chapter 2's pictures of ideas: the computational graph of the 2-2-1 network
// worked by hand in the chapter, with every forward value and every gradient
// computed by the library's own layers; and the layer contract, a stack of
// layers with forward caches and the backward pass that walks them back.

import BackpropCore
import Figures

extension Chapter2Figures {
    /// The 2-2-1 network of "Backpropagation by hand" as a graph: forward
    /// values (blue) above the edges, gradients (red) below, parameters above
    /// their operations with their gradients under them.
    static func computationalGraph() throws -> Diagram {
        typealias D = Diagram
        let first = try Linear<Double>(weight: try Tensor(rows: [[0.5, -0.5], [-0.5, 1.0]]), bias: Tensor([0.25, 0]),
                                       backend: .naive)
        let relu = Activation<Double>(.relu, backend: .naive)
        let second = try Linear<Double>(weight: try Tensor(rows: [[1.0, 0.5]]), bias: Tensor([0.5]), backend: .naive)
        let x = try Tensor<Double>(rows: [[1, 2]])
        let target = 1.0
        let (z, zCache) = try first.forward(x, mode: .training)
        let (h, hCache) = try relu.forward(z, mode: .training)
        let (yHat, yCache) = try second.forward(h, mode: .training)
        let loss = 0.5 * (yHat.scalars[0] - target) * (yHat.scalars[0] - target)
        let dyHat = try Tensor<Double>(rows: [[yHat.scalars[0] - target]])
        let dh = try second.backward(dyHat, cache: yCache)
        let dz = try relu.backward(dh, cache: hCache)
        let dx = try first.backward(dz, cache: zCache)

        func vector(_ t: Tensor<Double>) -> String {
            t.count == 1 ? D.number(t.scalars[0], digits: 5) : "(" + t.scalars.map { D.number($0, digits: 4) }.joined(separator: ", ") + ")"
        }
        func matrix(_ t: Tensor<Double>) -> [String] {
            let columns = t.shape[1]
            return (0..<t.shape[0]).map { r in
                "[" + (0..<columns).map { D.number(t.scalars[r * columns + $0], digits: 4) }.joined(separator: ", ") + "]"
            }
        }

        var d = Diagram(width: 960, height: 430, title: "Backpropagation on the 2-2-1 network: forward values and gradients")
        let rowY = 250.0, boxH = 56.0
        // Nodes: (label lines, x, width, fill).
        let nodes: [([String], Double, Double, String)] = [
            (["x", "input"], 20, 70, D.Ink.dataFill),
            (["z = xW₁ᵀ + b₁", "Linear 1"], 190, 130, D.Ink.operationFill),
            (["h = relu(z)", "Activation"], 420, 110, D.Ink.operationFill),
            (["ŷ = hW₂ᵀ + b₂", "Linear 2"], 630, 130, D.Ink.operationFill),
            (["L = ½(ŷ − t)²", "t = \(D.number(target))"], 840, 105, D.Ink.operationFill),
        ]
        for (lines, left, width, fill) in nodes {
            d.add(D.box(lines, x: left, y: rowY - boxH / 2, width: width, height: boxH, fill: fill))
        }
        // Edges between consecutive nodes: forward value above, gradient below.
        let edges: [(forward: String, backward: String)] = [
            ("x = " + vector(x), "dx = " + vector(dx)),
            ("z = " + vector(z), "dz = " + vector(dz)),
            ("h = " + vector(h), "dh = " + vector(dh)),
            ("ŷ = " + vector(yHat), "dŷ = " + vector(dyHat)),
        ]
        for (i, edge) in edges.enumerated() {
            let from = nodes[i].1 + nodes[i].2, to = nodes[i + 1].1
            let mid = (from + to) / 2
            d.add(D.arrow(from: SVGPoint(from, rowY - 8), to: SVGPoint(to, rowY - 8), color: D.Ink.forward))
            d.add(D.arrow(from: SVGPoint(to, rowY + 8), to: SVGPoint(from, rowY + 8), color: D.Ink.backward, dashed: true))
            d.add(D.label(edge.forward, x: mid, y: rowY - 40, color: D.Ink.forward, fontSize: 11.5))
            d.add(D.label(edge.backward, x: mid, y: rowY + 48, color: D.Ink.backward, fontSize: 11.5))
        }
        d.add(D.label("L = " + D.number(loss, digits: 5), x: 892.5, y: rowY - 40, color: D.Ink.forward, fontSize: 11.5))
        d.add(D.label("dL/dL = 1", x: 892.5, y: rowY + 48, color: D.Ink.backward, fontSize: 11.5))
        // Parameters above the two Linear nodes, their gradients below the row.
        let parameters: [(layer: Linear<Double>, node: Int, names: (String, String))] = [
            (first, 1, ("W₁", "b₁")), (second, 3, ("W₂", "b₂")),
        ]
        for p in parameters {
            let centre = nodes[p.node].1 + nodes[p.node].2 / 2
            let lines = ["\(p.names.0) = " + matrix(p.layer.weight.value).joined(separator: " "),
                         "\(p.names.1) = " + vector(p.layer.bias.value)]
            d.add(D.box(lines, x: centre - 95, y: 60, width: 190, height: 52, fill: D.Ink.dataFill, stroke: D.Ink.parameter,
                        fontSize: 11.5))
            d.add(D.arrow(from: SVGPoint(centre, 112), to: SVGPoint(centre, rowY - boxH / 2), color: D.Ink.parameter))
            let gradients = ["d\(p.names.0) = " + matrix(p.layer.weight.grad).joined(separator: " "),
                             "d\(p.names.1) = " + vector(p.layer.bias.grad)]
            d.add(D.arrow(from: SVGPoint(centre, rowY + boxH / 2), to: SVGPoint(centre, 338), color: D.Ink.backward, dashed: true))
            d.add(D.box(gradients, x: centre - 95, y: 340, width: 190, height: 52, fill: D.Ink.dataFill, stroke: D.Ink.backward,
                        fontSize: 11.5))
        }
        d.add(D.label("forward: values (blue), left to right", x: 20, y: 412, color: D.Ink.forward, fontSize: 11.5, anchor: .start))
        d.add(D.label("backward: gradients dv = ∂L/∂v (red, dashed), right to left", x: 940, y: 412, color: D.Ink.backward,
                      fontSize: 11.5, anchor: .end))
        return d
    }

    /// The layer contract on a three-layer stack: forward keeps a cache per
    /// layer, backward hands each layer the gradient of the one after it and
    /// adds the parameter gradients into `grad`.
    static func layerContract() -> Diagram {
        typealias D = Diagram
        var d = Diagram(width: 900, height: 360, title: "The layer contract: forward returns (output, cache); backward walks the caches back")
        let layers = [("Linear", "cache: x", true), ("ReLU", "cache: (x, y)", false), ("Linear", "cache: h", true)]
        let left = 150.0, step = 220.0, boxW = 130.0, boxY = 120.0, boxH = 60.0
        d.add(D.box(["x"], x: 30, y: boxY + 10, width: 60, height: 40, fill: D.Ink.dataFill))
        d.add(D.box(["loss", "∂L/∂y"], x: left + 3 * step - 20, y: boxY, width: 90, height: boxH, fill: D.Ink.dataFill))
        for (i, layer) in layers.enumerated() {
            let x0 = left + Double(i) * step
            d.add(D.box([layer.0, "forward · backward"], x: x0, y: boxY, width: boxW, height: boxH))
            // The cache the forward pass returns and backward receives.
            d.add(D.box([layer.1], x: x0 + 10, y: boxY + boxH + 50, width: boxW - 20, height: 30, fill: D.Ink.highlightFill, fontSize: 11))
            d.add(D.arrow(from: SVGPoint(x0 + 40, boxY + boxH), to: SVGPoint(x0 + 40, boxY + boxH + 50), color: D.Ink.forward))
            d.add(D.arrow(from: SVGPoint(x0 + boxW - 40, boxY + boxH + 50), to: SVGPoint(x0 + boxW - 40, boxY + boxH),
                          color: D.Ink.backward, dashed: true))
            if layer.2 {
                d.add(D.box(["W, b", "grad += ∂L/∂W, ∂L/∂b"], x: x0 - 5, y: 40, width: boxW + 10, height: 40, fill: D.Ink.dataFill,
                            stroke: D.Ink.parameter, fontSize: 11))
                d.add(D.arrow(from: SVGPoint(x0 + boxW / 2, 80), to: SVGPoint(x0 + boxW / 2, boxY), color: D.Ink.parameter))
            }
            // Edges to the next box: the output forward, its gradient back.
            let from = i == 0 ? 90.0 : x0 - step + boxW
            d.add(D.arrow(from: SVGPoint(from, boxY + 22), to: SVGPoint(x0, boxY + 22), color: D.Ink.forward))
            d.add(D.arrow(from: SVGPoint(x0, boxY + 40), to: SVGPoint(from, boxY + 40), color: D.Ink.backward, dashed: true))
        }
        let last = left + 2 * step + boxW
        d.add(D.arrow(from: SVGPoint(last, boxY + 22), to: SVGPoint(left + 3 * step - 20, boxY + 22), color: D.Ink.forward))
        d.add(D.arrow(from: SVGPoint(left + 3 * step - 20, boxY + 40), to: SVGPoint(last, boxY + 40), color: D.Ink.backward, dashed: true))
        d.add(D.label("1. forward, left to right: each layer returns its output and the cache its backward pass will need",
                      x: 30, y: 300, color: D.Ink.forward, fontSize: 12, anchor: .start))
        d.add(D.label("2. backward, right to left: each layer turns ∂L/∂y and its cache into ∂L/∂x, and adds its parameters' gradients",
                      x: 30, y: 322, color: D.Ink.backward, fontSize: 12, anchor: .start))
        d.add(D.label("3. the optimizer steps every parameter with its grad, then zeroGrad() clears it for the next batch",
                      x: 30, y: 344, color: D.Ink.parameter, fontSize: 12, anchor: .start))
        return d
    }
}
