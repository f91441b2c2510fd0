// `backprop serve`: chapter 9's HTTP service for a trained model: any
// checkpoint the registry loads (classifiers on /v1/predict, text generators
// on /v1/generate), or with --demo a digits MLP trained on the spot plus the
// toy generator (or, with --model too, plus that checkpoint's text model);
// GET / is the playground page for whichever it serves.

import BackpropCore
import Foundation
import ModelAsAService

enum ServeCommand {
    static let command = Command(
        "serve", summary: "serve a model over HTTP: predict, generate, health",
        flags: [
            Flag(name: "model", value: "PATH", help: "checkpoint to serve: a classifier (raw inputs, preprocessed as saved) or a text generator"),
            Flag(name: "demo", value: nil, help: "serve a digits MLP trained now (a few seconds in release builds); with --model, beside that text model"),
            Flag(name: "host", value: "IP", help: "IPv4 or IPv6 address to bind (default 127.0.0.1; ::1 for IPv6 loopback)"),
            Flag(name: "port", value: "N", help: "port (default 8080; 0 picks a free one)"),
            Flag(name: "max-batch", value: "N", help: "rows per forward pass for dynamic batching (default 64; 1 = no batching)"),
            Flag(name: "max-wait-ms", value: "X", help: "longest a request waits for others to batch with (default 2)"),
            Flag(name: "max-connections", value: "N", help: "open connections at most; more get 503 (default 1024; must fit ulimit -n)"),
            Flag(name: "read-timeout", value: "S", help: "seconds for a request's head, and its body, to arrive before 408 (default 10)"),
            Flag(name: "idle-timeout", value: "S", help: "seconds an idle keep-alive connection stays open (default 5)"),
            Flag(name: "batching", value: "continuous|off", help: "GPT generation: all streams in one batched step per token (default continuous), or one per slot"),
            Flag(name: "max-active", value: "N", help: "generations running at once (default 64 with continuous batching, else one per core)"),
            Flag(name: "max-prompt-tokens", value: "N", help: "longest prompt in the model's tokens; longer is 413 (default 4096)"),
            Flag(name: "model-name", value: "NAME", help: "the text model's id in the OpenAI routes (default: the checkpoint's file name)"),
            Flag(name: "access-log", value: "FILE|-|off", help: "one JSON line per request: - is standard error (default), off for none"),
            Flag(name: "quantize", value: "int8", help: "GPT, char-LSTM and llama: decode with int8 weights (default float32)"),
            .seed(default: 42, "--demo training"),
        ],
        details: """
            Give --model PATH or --demo (or both: the demo's digits MLP beside the checkpoint's text model; the playground at / shows both). Serves until Ctrl-C (SIGINT) or SIGTERM; requests in flight are finished first.
            routes: GET /healthz, GET /v1/model, GET /metrics (Prometheus text),
                    POST /v1/predict  {"inputs": [[…], …]}
                    POST /v1/generate {"prompt": "…", "max_tokens": 64, "temperature": 1, "top_k": 5, "seed": 1, "stream": false}
                    OpenAI-compatible, for text models: GET /v1/models, POST /v1/completions,
                    POST /v1/chat/completions (chat rendered as "USER:\ntext\n\n…ASSISTANT:\n"; max_tokens,
                    temperature, top_p, stop, seed, stream; n = 1)
            example: curl -s localhost:8080/v1/predict -d '{"inputs": [[0,0,5,13,9,1,0,0, …]]}'
            example: OPENAI_BASE_URL=http://localhost:8080/v1 python3 chapters/experiments/09-openai-client.py
            --model serves any checkpoint of `backprop train … --save`: classifiers (perceptron, logistic,
            mlp, cnn) on /v1/predict, taking raw inputs (the preprocessing saved with the model is applied),
            and text generators on /v1/generate; linear regressors and word vectors are offline only
            (`backprop predict`).
            """
    ) { try run($0) }

    static func run(_ args: Arguments) throws {
        var configuration = ModelServerConfiguration()
        configuration.batching.maxBatchRows = try args.int("max-batch", default: 64, range: 1...4096)
        configuration.batching.maxWait = try args.string("max-wait-ms") == nil ? 0.002 : args.double("max-wait-ms", default: 2) / 1000
        configuration.http.maxConnections = try args.int("max-connections", default: 1024, range: 1...1_048_576)
        configuration.http.readTimeout = try args.double("read-timeout", default: 10)
        configuration.http.timeouts.idle = try args.double("idle-timeout", default: min(5, configuration.http.readTimeout))
        configuration.maxPromptTokens = try args.int("max-prompt-tokens", default: 4096, range: 1...1_000_000)
        guard let batching = GenerationBatching(rawValue: args.string("batching") ?? "continuous") else {
            throw args.error("--batching is continuous or off, not '\(args.string("batching") ?? "")'")
        }
        configuration.maxActiveGenerations = try args.int("max-active", default: batching == .continuous ? 64 : configuration.maxActiveGenerations,
                                                          range: 1...4096)
        let host = args.string("host") ?? "127.0.0.1"
        switch args.string("access-log") ?? "-" {
        case "off": break
        case let path: configuration.accessLog = try AccessLog(path: path)
        }
        configuration.modelName = args.string("model-name")
            ?? args.string("model").map { URL(fileURLWithPath: $0).deletingPathExtension().lastPathComponent }
        let port = try args.int("port", default: 8080, range: 0...65535)
        let format = try args.string("quantize").map { try WeightFormat(parsing: $0) } ?? .float32

        let server: ModelServer
        switch (args.string("model"), args.has("demo")) {
        case (let path?, false):
            server = try loadModel(path: path, configuration: configuration, format: format, batching: batching)
        case (let path, true):
            guard format == .float32 else { throw args.error("--quantize applies to a text model given with --model alone") }
            // --demo alone: the digits MLP and the stand-in generator; with --model, that
            // checkpoint's text model beside the MLP (the playground at / then shows both)
            var generator: any TextGenerating = ToyTextGenerator()
            if let path {
                guard case .generator(let g) = try ModelRegistry.open(URL(fileURLWithPath: path)) else {
                    throw args.error("with --demo, --model must be a text model (char-rnn, gpt, llama): \(path) is not")
                }
                generator = g
            }
            print("training a digits MLP for the demo…")
            fflush(nil)
            let digits = try DemoModels.digits(seed: try args.seed())
            print(String(format: "test accuracy %.1f%%; inputs are 64 raw pixel values 0…16 (8×8 digits)", digits.testAccuracy * 100))
            server = ModelServer(classifier: digits.classifier, generator: generator, configuration: configuration)
        default:
            throw args.error("give --model PATH or --demo (or both: the demo's classifier beside a text model)")
        }
        let bound = try server.start(host: host, port: port)
        let info = server.classifier?.info ?? server.generator!.info
        let name = (server.generator == nil ? "" : " as '\(server.modelID)'")
            + (info.quantization.map { " with \($0.scheme) weights (\($0.weightBytes) bytes, float32 \($0.floatWeightBytes))" } ?? "")
        print("serving \(info.kind)\(name) (\(info.parameterCount) parameters) on http://\(Socket.display(host: host, port: bound)) "
            + "(Ctrl-C to stop)")
        fflush(nil)  // the log lines should appear as they happen, also when stdout is a file
        let signal = ShutdownSignal.wait()
        print("\nreceived \(signal == SIGINT ? "SIGINT" : "SIGTERM"): finishing requests in flight…")
        fflush(nil)
        server.stop()
        let stats = server.statistics
        print("stopped after \(stats.requests) requests on \(stats.connectionsAccepted) connections (\(stats.connectionsRejected) refused)")
    }

    /// A server for the model in a checkpoint, loaded by the registry.
    /// - Throws: `CheckpointError` for a bad file, `UnservableModelError`
    ///   for a kind with nothing to serve (a regressor, word vectors).
    /// With `format` int8, a GPT's, char-LSTM's or Llama's weights are quantized (Quantization/); with
    /// `batching` continuous, a GPT's streams (float or int8) share one batched step per token
    /// (ContinuousGeneration.swift, QuantizedBatching.swift).
    static func loadModel(path: String, configuration: ModelServerConfiguration, format: WeightFormat = .float32,
                          batching: GenerationBatching = .continuous) throws -> ModelServer {
        var model = try format.apply(to: ModelRegistry.open(URL(fileURLWithPath: path)), releasingFloatWeights: true)
        if case .generator(let g) = model { model = .generator(batching.apply(to: g, maxActive: configuration.maxActiveGenerations)) }
        return try ModelServer(model: model, configuration: configuration)
    }
}
