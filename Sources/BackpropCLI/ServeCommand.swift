// `backprop serve`: chapter 7's HTTP service for a trained model.

import BackpropCore
import Foundation
import ModelServing

enum ServeCommand {
    static let flags = [
        Flag(name: "model", value: "PATH", help: "checkpoint to serve (chapter 2's mlp for now)"),
        Flag(name: "demo", value: nil, help: "serve a digits MLP trained now (a few seconds in release builds)"),
        Flag(name: "host", value: "IP", help: "IPv4 address to bind (default 127.0.0.1)"),
        Flag(name: "port", value: "N", help: "port (default 8080; 0 picks a free one)"),
        Flag(name: "max-batch", value: "N", help: "rows per forward pass for dynamic batching (default 64; 1 = no batching)"),
        Flag(name: "max-wait-ms", value: "X", help: "longest a request waits for others to batch with (default 2)"),
        Flag(name: "max-connections", value: "N", help: "open connections at most; more get 503 (default 256)"),
        Flag(name: "read-timeout", value: "S", help: "seconds for a request to arrive before 408 (default 10)"),
        Flag(name: "seed", value: "S", help: "seed for --demo training (default 42)"),
    ]

    static func run(_ words: [String]) throws {
        let args = try Arguments(command: "serve", words: words, flags: flags)
        if args.wantsHelp {
            print(helpText(
                usage: "backprop serve (--model PATH | --demo) [--host 127.0.0.1] [--port 8080] [--max-batch N] [--max-connections N]",
                summary: "Serve a model over HTTP/1.1 until Ctrl-C (SIGINT) or SIGTERM; requests in flight are finished first.",
                flags: flags,
                details: """
                routes: GET /healthz, GET /v1/model,
                        POST /v1/predict  {"inputs": [[…], …]}
                        POST /v1/generate {"prompt": "…", "max_tokens": 64, "temperature": 1, "top_k": 5, "seed": 1, "stream": false}
                example: curl -s localhost:8080/v1/predict -d '{"inputs": [[0,0,5,13,9,1,0,0, …]]}'
                """))
            return
        }
        guard args.positionals.isEmpty else { throw UsageError("backprop serve: unexpected argument '\(args.positionals[0])'") }
        var configuration = ModelServerConfiguration()
        configuration.batching.maxBatchRows = try args.int("max-batch", default: 64, range: 1...4096)
        configuration.batching.maxWait = try args.string("max-wait-ms") == nil ? 0.002 : args.double("max-wait-ms", default: 2) / 1000
        configuration.http.maxConnections = try args.int("max-connections", default: 256, range: 1...10_000)
        configuration.http.readTimeout = try args.double("read-timeout", default: 10)
        let host = args.string("host") ?? "127.0.0.1"
        let port = try args.int("port", default: 8080, range: 0...65535)

        let predictor: (any BatchPredictor)?
        let generator: (any TextGenerating)?
        switch (args.string("model"), args.has("demo")) {
        case (let path?, false):
            (predictor, generator) = try loadModel(path: path)
        case (nil, true):
            print("training a digits MLP for the demo…")
            fflush(nil)
            let digits = try DemoModels.digits(seed: try args.seed())
            print(String(format: "test accuracy %.1f%%; inputs are 64 raw pixel values 0…16 (8×8 digits)", digits.testAccuracy * 100))
            (predictor, generator) = (digits.classifier, ToyTextGenerator())
        default:
            throw UsageError("backprop serve: give either --model PATH or --demo")
        }
        let server = ModelServer(predictor: predictor, generator: generator, configuration: configuration)
        let bound = try server.start(host: host, port: port)
        print("serving \((predictor?.info ?? generator!.info).kind) on http://\(host):\(bound) (Ctrl-C to stop)")
        fflush(nil)  // the log lines should appear as they happen, also when stdout is a file
        let signal = ShutdownSignal.wait()
        print("\nreceived \(signal == SIGINT ? "SIGINT" : "SIGTERM"): finishing requests in flight…")
        fflush(nil)
        server.stop()
        let stats = server.statistics
        print("stopped after \(stats.requests) requests on \(stats.connectionsAccepted) connections (\(stats.connectionsRejected) refused)")
    }

    /// The model in a checkpoint, as the service's predictor or generator.
    /// For now only chapter 2's MLP checkpoints (`backprop train mlp --save`),
    /// which expect the standardised inputs they were trained on; the model
    /// registry of chapter 7 will take over.
    /// - Throws: `CheckpointError` for a bad file, `UsageError` for a kind not served yet.
    static func loadModel(path: String) throws -> (predictor: (any BatchPredictor)?, generator: (any TextGenerating)?) {
        let checkpoint = try Checkpoint.load(URL(fileURLWithPath: path))
        switch checkpoint.model {
        case "mlp": return (try MLPClassifier(checkpoint: checkpoint, path: path), nil)
        default:
            throw UsageError("backprop serve: serving '\(checkpoint.model)' checkpoints is not yet supported (only 'mlp' for now)")
        }
    }
}
