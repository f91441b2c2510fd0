// Tests of the fixture loader (Tests/TestSupport/Fixture.swift)
// and of the naive kernels against the PyTorch fixtures `softmax_rows` and
// `matmul_layouts` (written by Tests/Fixtures/make_fixtures.py).

import Foundation
import Testing

import BackpropCore
import TestSupport

/// Locates the committed fixture files: Tests/Fixtures/<name>.json.
fileprivate enum FixtureFiles {
    static func url(_ name: String) -> URL {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()  // Tests/BackpropCoreTests
            .deletingLastPathComponent()  // Tests
            .appendingPathComponent("Fixtures/\(name).json")
    }
}

/// A fresh directory for files a test writes; removed by the caller.
fileprivate func temporaryDirectory() throws -> URL {
    let dir = FileManager.default.temporaryDirectory
        .appendingPathComponent("FixtureLoaderTests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
}

/// Writes `text` to `<dir>/<name>.json` and returns its URL.
fileprivate func write(_ text: String, named name: String, in dir: URL) throws -> URL {
    let url = dir.appendingPathComponent("\(name).json")
    try text.write(to: url, atomically: true, encoding: .utf8)
    return url
}

/// |a − b| ≤ tol·max(|a|, |b|), with exact equality always accepted.
fileprivate func relativelyClose(_ a: Double, _ b: Double, _ tol: Double = 1e-12) -> Bool {
    a == b || abs(a - b) <= tol * max(abs(a), abs(b))
}

fileprivate let goodFixture = """
    {
      "name": "tiny",
      "description": "a hand-written fixture",
      "torch_version": "0.0",
      "dtype": "float64",
      "tensors": {
        "m": {"shape": [2, 3], "data": [1.0, 2.0, 3.0, 4.0, 5.0, 0.1]},
        "v": {"shape": [2], "data": [-0.5, 1e-300]},
        "s": {"shape": [], "data": [7.25]}
      },
      "scalars": {"loss": 0.123, "third": 0.3333333333333333}
    }
    """

@Suite("FixtureLoader")
struct FixtureLoaderTests {
    @Test("a good file loads with its shapes and exact values")
    func loadsGoodFile() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let fixture = try Fixture.load(try write(goodFixture, named: "tiny", in: dir))

        #expect(fixture.name == "tiny")
        #expect(fixture.description == "a hand-written fixture")
        #expect(fixture.torchVersion == "0.0")
        #expect(fixture.dtype == "float64")
        #expect(fixture.tensorNames == ["m", "s", "v"])
        #expect(fixture.scalarNames == ["loss", "third"])

        let m = try fixture.tensor("m", as: Double.self)
        #expect(m.shape == [2, 3])
        #expect(m.scalars == [1, 2, 3, 4, 5, 0.1])
        #expect(m[1, 2] == 0.1)
        let v: Tensor<Double> = try fixture.tensor("v")
        #expect(v.shape == [2])
        #expect(v.scalars == [-0.5, 1e-300])
        let s = try fixture.tensor("s", as: Double.self)
        #expect(s.shape == [])
        #expect(s.scalars == [7.25])

        let mf = try fixture.tensor("m", as: Float.self)
        #expect(mf.shape == [2, 3])
        #expect(mf.scalars == [1, 2, 3, 4, 5, Float(0.1)])

        #expect(try fixture.scalar("loss") == 0.123)
        #expect(try fixture.scalar("third") == 1.0 / 3.0)
    }

    @Test("every committed fixture loads and records torch and float64")
    func committedFixturesLoad() throws {
        let folder = FixtureFiles.url("x").deletingLastPathComponent()
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .filter { $0.hasSuffix(".json") }
            .map { String($0.dropLast(".json".count)) }
        #expect(names.count >= 8)
        for name in names {
            let fixture = try Fixture.load(FixtureFiles.url(name))
            #expect(fixture.name == name)
            #expect(!fixture.description.isEmpty)
            #expect(!fixture.torchVersion.isEmpty)
            #expect(fixture.dtype == "float64")
        }
    }

    @Test("the chapter-1 fixtures have the documented keys and shapes")
    func chapterOneShapes() throws {
        let expected: [String: [String: [Int]]] = [
            "linear_forward_backward": [
                "x": [5, 3], "W": [2, 3], "b": [2], "dy": [5, 2],
                "y": [5, 2], "dx": [5, 3], "dW": [2, 3], "db": [2],
            ],
            "mse_loss": ["prediction": [6, 1], "target": [6, 1], "dprediction": [6, 1]],
            "bce_with_logits": ["logits": [7], "targets": [7], "dlogits": [7]],
            "bce_with_logits_soft": ["logits": [7], "targets": [7], "dlogits": [7]],
            "logistic_regression_step": [
                "x": [8, 2], "targets": [8], "W": [1, 2], "b": [1], "logits": [8],
                "dW": [1, 2], "db": [1], "W_after": [1, 2], "b_after": [1],
            ],
            "linear_regression_normal_equations": [
                "X": [10, 2], "y": [10], "w": [2], "w_true": [2],
            ],
            "softmax_rows": ["x": [3, 5], "y": [3, 5]],
            "matmul_layouts": [
                "A": [4, 3], "B": [3, 5], "At": [3, 4], "Bt": [5, 3],
                "C_nn": [4, 5], "C_tn": [4, 5], "C_nt": [4, 5],
            ],
        ]
        let scalars: [String: [String]] = [
            "mse_loss": ["loss"],
            "bce_with_logits": ["loss"],
            "bce_with_logits_soft": ["loss"],
            "logistic_regression_step": ["loss", "lr"],
            "linear_regression_normal_equations": ["b", "b_true", "rss"],
        ]
        for (name, tensors) in expected {
            let fixture = try Fixture.load(FixtureFiles.url(name))
            #expect(fixture.tensorNames == tensors.keys.sorted(), "\(name)")
            for (key, shape) in tensors {
                #expect(try fixture.tensor(key, as: Double.self).shape == shape, "\(name).\(key)")
            }
            #expect(fixture.scalarNames == (scalars[name] ?? []).sorted(), "\(name)")
        }
    }

    @Test("a missing file throws unreadable, naming the path")
    func missingFile() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("absent.json")

        let error = #expect(throws: FixtureError.self) { try Fixture.load(url) }
        guard case let .unreadable(path, reason)? = error else {
            Issue.record("expected .unreadable, got \(String(describing: error))")
            return
        }
        #expect(path == url.path)
        #expect(reason.contains("no such file"))
        #expect(error?.description.contains("absent.json") == true)
    }

    @Test("bad JSON throws malformed, naming the path")
    func malformedJSON() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = try write(#"{"name": "broken", "tensors": {"#, named: "broken", in: dir)

        let error = #expect(throws: FixtureError.self) { try Fixture.load(url) }
        guard case let .malformed(path, reason)? = error else {
            Issue.record("expected .malformed, got \(String(describing: error))")
            return
        }
        #expect(path == url.path)
        #expect(reason.contains("invalid JSON"))
        #expect(error?.description.contains("broken.json") == true)
    }

    @Test("a missing required field throws malformed, naming the field")
    func missingField() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = try write(
            #"{"name": "nodesc", "tensors": {}}"#, named: "nodesc", in: dir)

        let error = #expect(throws: FixtureError.self) { try Fixture.load(url) }
        guard case let .malformed(_, reason)? = error else {
            Issue.record("expected .malformed, got \(String(describing: error))")
            return
        }
        #expect(reason.contains("'description'"))
    }

    @Test("data that does not fill the shape throws malformed, naming tensor and counts")
    func countMismatch() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let text = """
            {"name": "short", "description": "d",
             "tensors": {"x": {"shape": [4, 3], "data": [1.0, 2.0, 3.0]}},
             "scalars": {}}
            """
        let url = try write(text, named: "short", in: dir)

        let error = #expect(throws: FixtureError.self) { try Fixture.load(url) }
        guard case let .malformed(path, reason)? = error else {
            Issue.record("expected .malformed, got \(String(describing: error))")
            return
        }
        #expect(path == url.path)
        #expect(reason.contains("'x'"))
        #expect(reason.contains("[4, 3]"))
        #expect(reason.contains("12"))
        #expect(reason.contains("3"))
    }

    @Test("a missing tensor or scalar key throws missingKey")
    func missingKey() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let fixture = try Fixture.load(try write(goodFixture, named: "tiny", in: dir))

        let tensorError = #expect(throws: FixtureError.self) {
            try fixture.tensor("nope", as: Double.self)
        }
        #expect(tensorError == .missingKey(fixture: "tiny", key: "nope"))
        #expect(tensorError?.description.contains("'nope'") == true)
        #expect(tensorError?.description.contains("tiny") == true)

        // A scalar is not a tensor, and the other way round.
        #expect(throws: FixtureError.missingKey(fixture: "tiny", key: "loss")) {
            try fixture.tensor("loss", as: Double.self)
        }
        #expect(throws: FixtureError.missingKey(fixture: "tiny", key: "m")) {
            try fixture.scalar("m")
        }
    }

    // MARK: Naive kernels against PyTorch

    @Test("Naive.softmaxRows matches torch.softmax(dim=1) within 1e-12 relative")
    func softmaxMatchesTorch() throws {
        let fixture = try Fixture.load(FixtureFiles.url("softmax_rows"))
        let x = try fixture.tensor("x", as: Double.self)
        let expected = try fixture.tensor("y", as: Double.self)
        let (rows, cols) = try x.matrixShape("softmax_rows")

        var y = [Double](repeating: .nan, count: rows * cols)
        x.scalars.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { yp in
                Naive.softmaxRows(rows: rows, cols: cols, xp.baseAddress!, yp.baseAddress!)
            }
        }
        for (i, (got, want)) in zip(y, expected.scalars).enumerated() {
            #expect(relativelyClose(got, want), "element \(i): \(got) vs torch \(want)")
        }
    }

    @Test("Naive.matmul matches torch for layouts nn, tn, nt within 1e-12 relative",
          arguments: MatmulLayout.allCases)
    func matmulMatchesTorch(layout: MatmulLayout) throws {
        let fixture = try Fixture.load(FixtureFiles.url("matmul_layouts"))
        let (aKey, bKey) = switch layout {
        case .nn: ("A", "B")
        case .tn: ("At", "B")
        case .nt: ("A", "Bt")
        }
        let a = try fixture.tensor(aKey, as: Double.self)
        let b = try fixture.tensor(bKey, as: Double.self)
        let expected = try fixture.tensor("C_\(layout.rawValue)", as: Double.self)
        let (m, n) = try expected.matrixShape("matmul_layouts")
        let k = layout == .tn ? a.shape[0] : a.shape[1]

        var c = [Double](repeating: .nan, count: m * n)
        a.scalars.withUnsafeBufferPointer { ap in
            b.scalars.withUnsafeBufferPointer { bp in
                c.withUnsafeMutableBufferPointer { cp in
                    Naive.matmul(
                        layout, m: m, n: n, k: k, ap.baseAddress!, bp.baseAddress!,
                        cp.baseAddress!, accumulate: false)
                }
            }
        }
        for (i, (got, want)) in zip(c, expected.scalars).enumerated() {
            #expect(relativelyClose(got, want), "\(layout) element \(i): \(got) vs torch \(want)")
        }
    }
}
