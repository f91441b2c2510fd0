// The playground page (GET /) in a real browser: headless Chromium loads
// `/?selftest=PROMPT`, whose script draws a "0" on the canvas, sends it to
// /v1/predict, shows the bars, and streams a continuation of PROMPT from
// /v1/generate; `--dump-dom` prints the page after its script has run.
// The test checks what the page did against the server itself: the class
// it shows is the model's class for the input the page sent, the top bar is
// that class, and the streamed text equals the non-streamed answer for the
// same prompt, seed and sampling.
//
// Needs Chromium (Debian: `apt-get install chromium`; `.ci/run` installs it
// when missing). Without a browser on the PATH the test is skipped, with a
// message saying so. BACKPROP_BROWSER=/path/to/chrome picks another one.

import BackpropCore
import Foundation
import Storage
import Testing
import Backpropagation
@testable import ModelAsAService

@Suite struct PlaygroundBrowserTests {
    static let browser: String? = {
        if let chosen = ProcessInfo.processInfo.environment["BACKPROP_BROWSER"] { return chosen }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            for name in ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"] {
                let candidate = "\(dir)/\(name)"
                if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            }
        }
        return nil
    }()

    @Test("the page is served at / as HTML, with no external assets")
    func pageIsServed() throws {
        let (server, port) = try startServer()
        defer { server.stop() }
        let response = try HTTPClient(port: port).get("/")
        #expect(response.status == 200)
        #expect(response.header("Content-Type")?.hasPrefix("text/html") == true)
        let html = String(decoding: response.body, as: UTF8.self)
        #expect(html.contains("<canvas id=\"pad\""))
        // offline: nothing is fetched from another origin
        #expect(!html.contains("http://") && !html.contains("https://") && !html.contains("//cdn"))
    }

    @Test("in headless Chromium a drawn digit is classified and a prompt streams text",
          .enabled(if: browser != nil, "no Chromium on the PATH: `apt-get install chromium` (or set BACKPROP_BROWSER) to run it"),
          .timeLimit(.minutes(2)))
    func browserDrawsAndStreams() throws {
        // an untrained but seeded 64-16-10 MLP: the page needs an 8×8 input, not a good model
        let model: Sequential<Float> = try MultilayerPerceptron.make(inputs: 64, hidden: [16], outputs: 10, seed: 9)
        let classifier = try NetworkClassifier.mlp(MLPClassifier(
            model: model, inputs: 64, hidden: [16], outputs: 10, activation: .relu, dropout: 0,
            classNames: (0..<10).map(String.init), preprocessing: .none).checkpoint())
        let (server, port) = try startServer(classifier: classifier, generator: ToyTextGenerator())
        defer { server.stop() }

        let prompt = "abc"
        let dom = try Self.dumpDOM("http://127.0.0.1:\(port)/?selftest=\(prompt)")
        let report = try #require(Self.element("output", id: "selftest", in: dom), "the page's report is in the DOM")
        #expect(report.attributes["data-state"] == "done", "the self-test ran to the end")

        // the digit: the class shown is the server's class for the input the page sent
        let inputText = try #require(report.attributes["data-input"]?.replacingOccurrences(of: "&quot;", with: "\""))
        let input = try #require(try JSONParser.parse(inputText).arrayValue?.compactMap(\.doubleValue))
        #expect(input.count == 64 && input.contains { $0 > 0 } && input.allSatisfy { $0 >= 0 && $0 <= 16 },
                "an 8×8 image with grey levels 0–16 and some ink")
        let expected = try classifier.predict([input])[0].`class`
        #expect(report.attributes["data-predicted"] == String(expected))
        #expect(report.attributes["data-top-bar"] == String(expected), "the highlighted bar is the predicted class")

        // the text: streamed token by token, the same as the server's whole answer
        let body = #"{"prompt": "\#(prompt)", "max_tokens": 40, "temperature": 0.8, "seed": 7}"#
        let whole = try HTTPClient(port: port).post("/v1/generate", json: body)
        let text = try #require(try JSONParser.parse(String(decoding: whole.body, as: UTF8.self))["text"]?.stringValue)
        #expect(report.attributes["data-generated"] == String(text.count))
        #expect(report.text == text)
    }

    /// The DOM after the page's script ran (Chromium's --dump-dom), within a minute.
    static func dumpDOM(_ url: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: browser!)
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("backprop-chromium-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: profile) }
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--user-data-dir=\(profile.path)",
                             "--virtual-time-budget=20000", "--dump-dom", url]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let killer = DispatchWorkItem { process.terminate() }
        DispatchQueue.global().asyncAfter(deadline: .now() + 60, execute: killer)
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        killer.cancel()
        return String(decoding: data, as: UTF8.self)
    }

    /// The first `<tag id="id" …>text<` in serialized HTML: its attributes and text.
    static func element(_ tag: String, id: String, in html: String) -> (attributes: [String: String], text: String)? {
        guard let start = html.range(of: "<\(tag) id=\"\(id)\"") else { return nil }
        guard let close = html[start.upperBound...].firstIndex(of: ">") else { return nil }
        var attributes: [String: String] = [:]
        let pattern = /([a-z-]+)="([^"]*)"/
        for match in html[start.upperBound..<close].matches(of: pattern) {
            attributes[String(match.output.1)] = String(match.output.2)
        }
        let rest = html[html.index(after: close)...]
        let text = rest.prefix { $0 != "<" }
        let unescaped = String(text).replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&amp;", with: "&")
        return (attributes, unescaped)
    }
}
