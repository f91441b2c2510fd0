// ModelServer: the routes of chapter 9's service on top of HTTPServer, for
// any model the registry loads: a `Classifier` on /v1/predict, a
// `TextGenerating` model on /v1/generate (or both, as `serve --demo` does).
// A streamed generation is admitted before its head is sent, so overload is
// always a 503 status, never a 200 followed by an error event.
//
//   GET  /healthz      {"status": "ok"} (503 {"status": "stopping"} while draining)
//   GET  /v1/model     {"kind", "parameters", "config", …} (ModelInfo, from the checkpoint)
//   POST /v1/predict   {"inputs": [[…], …]} raw inputs (the model applies its saved preprocessing)
//                      → {"outputs": [{"class": k, "label": "…", "probabilities": […]}, …]}
//                      ("label" when the model names its classes), through the
//                      DynamicBatcher (concurrent requests share forward passes)
//   GET  /metrics      Prometheus text: requests, latency, queues, tokens, time to first token (ServiceMetrics)
//   GET  /v1/models, GET /v1/models/{id}, POST /v1/completions, POST /v1/chat/completions
//                      the OpenAI wire format for the text model (OpenAIRoutes.swift)
//   POST /v1/generate  {"prompt", "max_tokens", "temperature", "top_k", "seed", "stream"}
//                      → {"text": …, "tokens": n, "seed": s}; with "stream": true, server-sent
//                      events over chunked encoding: `data: {"token": "…"}` per token, then
//                      `event: done` with the whole text (or `event: error`).
//
// Threads: HTTPServer's worker threads call `handle`. A predict request
// waits on its worker while the DynamicBatcher's threads run the model; a
// generate request runs on its worker once the AdmissionGate lets it in (at
// most one per core by default), bounded as BoundedWork.swift says (prompt
// length, queue deadline, stopped when the client leaves). The pool has a
// thread for every running and waiting generation and 32 more, so waiting
// generations never starve predict or health checks. Call `stop()` before
// dropping a server: it ends the loop, worker and batcher threads.
//
// Errors are JSON `{"error": "…"}`: 400 bad body or parameters (or an
// `InferenceError` from the model), 422 finite inputs whose scores overflow
// (no class can be read from them), 404 unknown
// path, 405 wrong method (with Allow), 413 a prompt over its limit, 503 queue
// full, waited too long or stopping (with Retry-After), 500 anything else. Connection-level errors (411, 413, 431, 408,
// 400 for malformed HTTP) come from HTTPServer.

import BackpropCore
import Foundation
import RecurrentNetworks

/// Everything the service can be configured with (defaults in brackets).
public struct ModelServerConfiguration: Sendable {
    /// Connections, sizes, timeouts (see HTTPServerConfiguration).
    public var http = HTTPServerConfiguration()
    /// Dynamic batching of predict requests [64 rows, 2 ms, 1024 queued].
    public var batching = DynamicBatcher.Policy()
    /// Rows one predict request may carry [256].
    public var maxRowsPerRequest = 256
    /// The largest max_tokens a generate request may ask for [1024].
    public var maxGenerateTokens = 1024
    /// Generations running at once [one per core] and waiting [64].
    public var maxActiveGenerations = max(1, ProcessInfo.processInfo.activeProcessorCount)
    public var maxWaitingGenerations = 64
    /// The longest prompt a text route accepts, in UTF-8 bytes [32 KiB] and in the model's tokens [4096].
    public var maxPromptBytes = 32 * 1024
    public var maxPromptTokens = 4096
    /// The id of the text model in the OpenAI routes [the checkpoint's kind].
    public var modelName: String?
    /// Where one JSON line per request goes [nowhere].
    public var accessLog: AccessLog?

    public init() {}
}

public final class ModelServer: @unchecked Sendable {
    public let classifier: (any Classifier)?
    public let generator: (any TextGenerating)?
    public let configuration: ModelServerConfiguration
    /// nil when there is no classifier to batch for.
    public let batcher: DynamicBatcher?
    let generations: AdmissionGate
    /// Counters and histograms for GET /metrics.
    public let metrics: ServiceMetrics
    /// Unix seconds at construction (the "created" of /v1/models).
    let startedAt = Int(Date().timeIntervalSince1970)
    private var http: HTTPServer!

    static let routes: [(path: String, methods: [String])] = [
        ("/", ["GET"]), ("/healthz", ["GET"]), ("/metrics", ["GET"]), ("/v1/model", ["GET"]), ("/v1/predict", ["POST"]), ("/v1/generate", ["POST"]),
        ("/v1/models", ["GET"]), ("/v1/completions", ["POST"]), ("/v1/chat/completions", ["POST"]),
    ]

    /// A server for a classifier, a generator, or both.
    public init(classifier: (any Classifier)? = nil, generator: (any TextGenerating)? = nil,
                configuration: ModelServerConfiguration = .init()) {
        precondition(classifier != nil || generator != nil, "ModelServer needs a model to serve")
        self.classifier = classifier
        self.generator = generator
        self.configuration = configuration
        let connections = LockedValue<HTTPServer?>(nil)
        batcher = classifier.map {
            DynamicBatcher(classifier: $0, policy: configuration.batching, senders: { connections.get()?.requestsInFlight ?? 1 })
        }
        generations = AdmissionGate(maxActive: configuration.maxActiveGenerations, maxWaiting: configuration.maxWaitingGenerations)
        let metrics = ServiceMetrics(routes: Self.routes.map(\.path))
        self.metrics = metrics
        var httpConfiguration = configuration.http
        if httpConfiguration.workerThreads == 0 {
            // Enough threads for every running and waiting generation, and 32 more for everything else.
            httpConfiguration.workerThreads = generations.maxActive + generations.maxWaiting + 32
        }
        let previous = httpConfiguration.observer, log = configuration.accessLog
        httpConfiguration.observer = { exchange in
            metrics.record(exchange)
            log?.write(exchange)
            previous?(exchange)
        }
        http = HTTPServer(configuration: httpConfiguration) { [weak self] request in
            self?.handle(request) ?? .response(.error(503, ServingError.stopping.description))
        }
        connections.set(http)
    }

    /// A server for a model loaded from a checkpoint (`ModelRegistry.open`).
    /// - Throws: `UnservableModelError` for a regressor or word vectors.
    public convenience init(model: LoadedModel, configuration: ModelServerConfiguration = .init()) throws {
        switch model {
        case .classifier(let c): self.init(classifier: c, configuration: configuration)
        case .generator(let g): self.init(generator: g, configuration: configuration)
        case .regressor: throw UnservableModelError(kind: model.kind, holds: "a regressor")
        case .embeddings: throw UnservableModelError(kind: model.kind, holds: "word vectors")
        }
    }

    /// Starts listening (port 0 = ephemeral) and returns the port.
    @discardableResult
    public func start(host: String = "127.0.0.1", port: Int = 0) throws -> Int {
        try http.start(host: host, port: port)
    }

    public var port: Int? { http.port }

    public var statistics: HTTPServerStatistics { http.statistics }

    /// Graceful stop: no new connections, requests in flight are answered,
    /// then the batch workers finish and end.
    public func stop() {
        http.stop()
        batcher?.shutdown()
    }

    // MARK: routing

    func handle(_ request: HTTPRequest) -> HTTPReply {
        let path = request.path
        if path.hasPrefix("/v1/models/") { return .response(openAIModel(request, id: String(path.dropFirst("/v1/models/".count)))) }
        guard let route = Self.routes.first(where: { $0.path == path }) else {
            return .response(.error(404, "no route \(path); routes are \(Self.routes.map(\.path).joined(separator: ", "))"))
        }
        // HEAD is GET without the body (RFC 9110 §9.3.2); the server leaves the body out.
        let allowed = route.methods.contains("GET") ? route.methods + ["HEAD"] : route.methods
        guard allowed.contains(request.method) else {
            return .response(.error(405, "\(path) accepts \(allowed.joined(separator: ", ")), not \(request.method)",
                                    headers: [("Allow", allowed.joined(separator: ", "))]))
        }
        do {
            switch path {
            case "/healthz":
                return .response(http.isStopping ? .json(503, .object([("status", .string("stopping"))]))
                                                 : .json(200, .object([("status", .string("ok"))])))
            case "/": return .response(HTTPResponse(status: 200, headers: [("Content-Type", "text/html; charset=utf-8")],
                                                    body: Array(PlaygroundPage.html.utf8)))
            case "/v1/model": return .response(.json(200, modelDescription()))
            case "/v1/predict": return .response(try predict(request))
            case "/metrics": return .response(metricsResponse())
            case "/v1/models": return .response(openAIModels())
            case "/v1/completions": return openAICompletion(request, chat: false)
            case "/v1/chat/completions": return openAICompletion(request, chat: true)
            default: return try generate(request)
            }
        } catch {
            return .response(Self.response(for: error))
        }
    }

    /// The status and body for an error thrown while answering.
    static func response(for error: Error) -> HTTPResponse {
        switch error {
        case let e as ServingError:
            switch e {
            case .invalidInput(let message): return .error(400, message)
            case .overloaded(let message): return .error(503, message, headers: [("Retry-After", "1")])
            case .stopping: return .error(503, e.description, headers: [("Retry-After", "1")])
            case .promptTooLong(let message): return .error(413, message)
            case .cancelled: return .error(499, e.description)
            }
        case let e as InferenceError:
            if case .nonFiniteOutput = e { return .error(422, e.description) }
            return .error(400, e.description)
        case let e as TrainingError: return .error(400, e.description)
        default: return .error(500, "internal error: \(error)")
        }
    }

    /// GET /metrics: the exposition text with the gauges read now.
    func metricsResponse() -> HTTPResponse {
        let (active, waiting) = generations.occupancy
        let text = metrics.render(predictQueue: batcher?.queuedRequests ?? 0, generateQueue: waiting, activeGenerations: active,
                                  openConnections: http.openConnectionCount)
            + ((generator as? any ContinuouslyBatching)?.batchingStatistics.prometheus ?? "")
        return HTTPResponse(status: 200, headers: [("Content-Type", "text/plain; version=0.0.4; charset=utf-8")], body: Array(text.utf8))
    }

    func modelDescription() -> JSONValue {
        var fields: [(String, JSONValue)] = []
        if let c = classifier {
            guard case .object(let info) = c.info.json else { return c.info.json }
            fields = info + [("input_width", .integer(c.inputWidth)), ("routes", .array([.string("/v1/predict")]))]
        }
        if let g = generator {
            if fields.isEmpty {
                guard case .object(let info) = g.info.json else { return g.info.json }
                fields = info + [("routes", .array([.string("/v1/generate")]))]
            } else {
                fields.append(("generator", g.info.json))
            }
        }
        return .object(fields)
    }

    // MARK: predict

    func predict(_ request: HTTPRequest) throws -> HTTPResponse {
        guard let classifier, let batcher else {
            return .error(404, "this server's model does not classify; use /v1/generate")
        }
        let body = try PredictRequest.parse(request.body, width: classifier.inputWidth, maxRows: configuration.maxRowsPerRequest)
        let predictions = try batcher.predict(body.inputs)
        // Finite inputs can still overflow the model (64 × −3.4e38): no class can be read from NaN scores.
        if let row = predictions.firstIndex(where: { !$0.isFinite }) { throw InferenceError.nonFiniteOutput(row: row) }
        let outputs: [JSONValue] = predictions.map { .object($0.jsonFields) }
        return .json(200, .object([("outputs", .array(outputs))]))
    }

    // MARK: generate

    func generate(_ request: HTTPRequest) throws -> HTTPReply {
        guard let generator else {
            return .response(.error(404, "this server's model does not generate text; use /v1/predict"))
        }
        let (body, sampling) = try GenerateRequest.parse(request.body, maxTokens: configuration.maxGenerateTokens)
        let seed = body.seed ?? Int.random(in: 0...Int.max)
        let maxTokens = body.maxTokens ?? 64
        try generator.validate(prompt: body.prompt)
        try checkPromptLength(body.prompt, generator: generator)
        let metrics = metrics, receivedAt = request.receivedAt
        if !body.stream {
            return .response(try generations.run(deadline: queueDeadline(request), isCancelled: request.isCancelled) {
                var rng = SeededRandom(seed: UInt64(seed))
                var count = 0
                let text = try generator.generate(prompt: body.prompt, maxTokens: maxTokens, sampling: sampling, rng: &rng,
                                                  isCancelled: request.isCancelled) { _ in  // a client that left stops it
                    count += 1
                    metrics.tokenGenerated(first: count == 1, receivedAt: request.receivedAt)
                }
                return .json(200, .object([("text", .string(text)), ("tokens", .integer(count)),
                                           ("seed", .integer(seed))]))
            })
        }
        let head = HTTPResponse(status: 200, headers: [("Content-Type", "text/event-stream"), ("Cache-Control", "no-cache")])
        // Admitted (or refused with 503) before the head is written: see AdmissionGate.
        let ticket = try admit(request)
        let httpRequest = request, prompt = body.prompt
        return .stream(head) { writer in
            defer { ticket.release() }
            do {
                var rng = SeededRandom(seed: UInt64(seed))
                var count = 0
                // Events gathered and sent once per group the generator hands over (onPause).
                let text = try generator.generate(prompt: prompt, maxTokens: maxTokens, sampling: sampling, rng: &rng,
                                                  isCancelled: httpRequest.isCancelled, onToken: { token in
                    count += 1
                    metrics.tokenGenerated(first: count == 1, receivedAt: receivedAt)
                    writer.append(Self.event(nil, .object([("token", .string(token))])))
                }, onPause: writer.flush)
                try writer.write(Self.event("done", .object([("text", .string(text)), ("tokens", .integer(count)),
                                                             ("seed", .integer(seed))])))
            } catch let error as SocketError {
                throw error  // the client is gone: nothing more to say
            } catch ServingError.cancelled {
                throw ServingError.cancelled
            } catch {
                try writer.write(Self.event("error", .object([("error", .string("\(error)")),
                                                              ("status", .integer(Self.response(for: error).status))])))
            }
        }
    }

    /// One server-sent event: optional `event:` line, one `data:` line, blank line.
    static func event(_ name: String?, _ data: JSONValue) -> [UInt8] {
        Array(((name.map { "event: \($0)\n" } ?? "") + "data: \(data.rendered)\n\n").utf8)
    }
}

/// A checkpoint whose model the service has no route for.
public struct UnservableModelError: Error, CustomStringConvertible, Sendable {
    public var kind: String
    /// What the checkpoint holds instead ("a regressor", "word vectors").
    public var holds: String

    public var description: String {
        "a '\(kind)' checkpoint holds \(holds), which the service cannot serve; it serves classifiers "
            + "(POST /v1/predict) and text generators (POST /v1/generate). Use `backprop predict --model PATH` for it offline."
    }
}
