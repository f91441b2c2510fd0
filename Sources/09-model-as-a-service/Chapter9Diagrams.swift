// Chapter 9's pictures of ideas, drawn from the chapter's own code (nothing
// is trained or measured; 09-batching.svg and 09-continuous-batching.svg,
// which are measured, are made by `backprop bench serve --figure` and
// `backprop bench serve-stream --figure` instead):
//
//   09-checkpoint-layout.svg  the bytes of a real checkpoint, the sample MLP
//                             4-5-3 of SampleCheckpoints as CheckpointWriter
//                             writes it: the preamble's actual bytes, the
//                             JSON header, the 64-byte-aligned tensors at
//                             the offsets the header gives, the CRC-32
//                             (recomputed here and checked against the file)
//   09-request-path.svg       a request's way through the server, from accept
//                             to response, with the limit that answers 503,
//                             408, 431, 411, 413 or 400 at each stage; every
//                             limit is read from the configuration's defaults

import BackpropCore
import Figures
import Foundation
import Storage

/// The figures of chapters/09-model-as-a-service.md drawn from code.
public enum Chapter9Figures {
    /// Figures that train and measure nothing (quick in a debug build; checked by a test).
    public static func untrained() throws -> [(String, any Figure)] {
        [("09-checkpoint-layout.svg", try checkpointLayout()), ("09-request-path.svg", requestPath())]
    }

    static func grouped(_ n: Int) -> String { n.formatted(.number.grouping(.automatic).locale(Locale(identifier: "en_US"))) }

    /// "89 42 50 43"
    static func hex<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        bytes.map { String(format: "%02X", $0) }.joined(separator: " ")
    }

    /// The sample MLP's checkpoint, byte by byte.
    static func checkpointLayout() throws -> Diagram {
        typealias D = Diagram
        let checkpoint = try SampleCheckpoints.all().first { $0.kind == "mlp" }!.checkpoint
        let file = [UInt8](try checkpoint.encoded())
        func u32(_ at: Int) -> Int { (0..<4).reduce(0) { $0 | Int(file[at + $1]) << (8 * $1) } }
        func u64(_ at: Int) -> Int { (0..<8).reduce(0) { $0 | Int(file[at + $1]) << (8 * $1) } }
        let (version, headerLength, dataLength) = (u32(8), u32(12), u64(16))
        let dataStart = CheckpointFormat.aligned(CheckpointFormat.preambleSize + headerLength)
        let headerBytes = Array(file[CheckpointFormat.preambleSize..<(CheckpointFormat.preambleSize + headerLength)])
        let header = try JSONParser.parse(headerBytes)
        let tensors = try (header["tensors"]?.arrayValue ?? []).map { t -> (name: String, dtype: String, shape: [Int], offset: Int, bytes: Int) in
            guard let name = t["name"]?.stringValue, let dtype = t["dtype"]?.stringValue, let offset = t["offset"]?.intValue,
                  let bytes = t["bytes"]?.intValue, let shape = t["shape"]?.arrayValue?.compactMap(\.intValue) else {
                throw CheckpointError.malformed(path: "sample mlp", reason: "unexpected tensor entry")
            }
            return (name, dtype, shape, offset, bytes)
        }
        let crcAt = dataStart + dataLength
        let stored = UInt32(u32(crcAt)), computed = CRC32.checksum(Array(file[0..<crcAt]))
        precondition(stored == computed && file.count == crcAt + 4, "checkpointLayout: the sample file is not what the format says")

        var d = Diagram(width: 1000, height: 640,
                        title: "A checkpoint file, byte by byte: the sample MLP 4-5-3, \(grouped(file.count)) bytes as CheckpointWriter writes them")
        // The whole file as a strip, one pixel per ~byte.
        let stripX = 30.0, stripW = 940.0, stripY = 58.0, stripH = 34.0
        let scale = stripW / Double(file.count)
        func strip(_ from: Int, _ to: Int, _ fill: String) {
            d.add(.rect(x: stripX + Double(from) * scale, y: stripY, width: Double(to - from) * scale, height: stripH,
                        style: .init(fill: fill, stroke: D.Ink.neutral, strokeWidth: 0.6)))
        }
        let preambleFill = "#C9D7EE", headerFill = D.Ink.operationFill, padFill = D.Ink.mutedFill, tensorFill = "#E3D5EE", crcFill = "#F4C7C3"
        strip(0, CheckpointFormat.preambleSize, preambleFill)
        strip(CheckpointFormat.preambleSize, CheckpointFormat.preambleSize + headerLength, headerFill)
        strip(CheckpointFormat.preambleSize + headerLength, dataStart, padFill)
        var end = dataStart
        for t in tensors {
            if dataStart + t.offset > end { strip(end, dataStart + t.offset, padFill) }
            strip(dataStart + t.offset, dataStart + t.offset + t.bytes, tensorFill)
            end = dataStart + t.offset + t.bytes
        }
        strip(crcAt, file.count, crcFill)
        d.add(D.label("JSON header (\(grouped(headerLength)) bytes)", x: stripX + (24 + Double(headerLength) / 2) * scale, y: stripY + 22, fontSize: 11))
        d.add(D.label("tensors", x: stripX + (Double(dataStart) + Double(dataLength) / 2) * scale, y: stripY + 22, fontSize: 11))
        for (offset, text) in [(0, "0"), (dataStart, "S = \(dataStart)"), (crcAt, "S + D = \(crcAt)")] {
            let x = stripX + Double(offset) * scale
            d.add(.line(x1: x, y1: stripY + stripH, x2: x, y2: stripY + stripH + 8, style: .init(stroke: D.Ink.neutral, strokeWidth: 1)))
            d.add(D.label(text, x: x, y: stripY + stripH + 20, fontSize: 10.5, anchor: offset == crcAt ? .end : (offset == 0 ? .start : .middle)))
        }
        d.add(D.label("\(grouped(file.count))", x: stripX + stripW, y: stripY - 6, fontSize: 10.5, anchor: .end))

        // The fields, one row each: offset, size, field, the actual bytes or contents.
        let columns: [(String, Double, TextAnchor)] = [("offset", 84, .end), ("size", 138, .end), ("field", 160, .start), ("contents", 390, .start)]
        var y = 142.0
        for c in columns { d.add(D.label(c.0, x: c.1, y: y, fontSize: 11.5, anchor: c.2, bold: true)) }
        d.add(.line(x1: 30, y1: y + 6, x2: 970, y2: y + 6, style: .init(stroke: "#999999", strokeWidth: 0.8)))
        func row(_ offset: String, _ size: String, _ field: String, _ contents: String, fill: String, color: String = D.Ink.neutral) {
            y += 21
            d.add(.rect(x: 30, y: y - 14, width: 8, height: 17, style: .init(fill: fill, stroke: D.Ink.neutral, strokeWidth: 0.5)))
            d.add(D.label(offset, x: columns[0].1, y: y, fontSize: 11, anchor: .end))
            d.add(D.label(size, x: columns[1].1, y: y, fontSize: 11, anchor: .end))
            d.add(D.label(field, x: columns[2].1, y: y, fontSize: 11, anchor: .start))
            d.add(D.label(contents, x: columns[3].1, y: y, color: color, fontSize: 11, anchor: .start))
        }
        let magicText = String(decoding: file[1..<5], as: UTF8.self)
        row("0", "8", "magic", hex(file[0..<8]) + "   (\\x89 \(magicText) \\r \\n \\x1A)", fill: preambleFill)
        row("8", "4", "format version, u32", hex(file[8..<12]) + "   = \(version)", fill: preambleFill)
        row("12", "4", "header length H, u32", hex(file[12..<16]) + "   = \(grouped(headerLength))", fill: preambleFill)
        row("16", "8", "data length D, u64", hex(file[16..<24]) + "   = \(grouped(dataLength))", fill: preambleFill)
        let opening = String(decoding: headerBytes.prefix(78), as: UTF8.self)
        row("24", grouped(headerLength), "header: UTF-8 JSON", opening + "…", fill: headerFill)
        row(grouped(24 + headerLength), "\(dataStart - 24 - headerLength)", "zero padding", "up to S = 64·⌈(24 + H)/64⌉ = \(dataStart)", fill: padFill)
        for t in tensors {
            let at = dataStart + t.offset
            let shape = "[" + t.shape.map(String.init).joined(separator: ", ") + "]"
            row(grouped(at), "\(t.bytes)", "tensor \(t.name)",
                "\(t.dtype) \(shape): header offset \(t.offset) (S + \(t.offset)), \(t.bytes) bytes", fill: tensorFill, color: D.Ink.parameter)
            let next = tensors.first { $0.offset > t.offset }?.offset ?? (t.offset + t.bytes)
            if next > t.offset + t.bytes {
                row(grouped(at + t.bytes), "\(next - t.offset - t.bytes)", "zero padding",
                    "to the next multiple of 64, where the next tensor starts", fill: padFill)
            }
        }
        row(grouped(crcAt), "4", "CRC-32, u32", hex(file[crcAt...]) + "   = 0x" + String(format: "%08X", stored)
            + ", the CRC of bytes 0 … \(crcAt - 1) (recomputed: equal)", fill: crcFill, color: D.Ink.backward)
        y += 30
        d.add(D.label("Every tensor starts 64-byte aligned (offsets \(tensors.map { "\($0.offset)" }.joined(separator: ", ")) from S); "
                      + "the file is exactly S + D + 4 = \(dataStart) + \(dataLength) + 4 = \(grouped(file.count)) bytes,",
                      x: 30, y: y, fontSize: 11.5, anchor: .start))
        d.add(D.label("so the 24-byte preamble alone tells a reader whether a file is truncated. Values are f32, little-endian, "
                      + "the same bits as in memory.", x: 30, y: y + 18, fontSize: 11.5, anchor: .start))
        d.height = y + 34
        return d
    }

    /// One request through HTTPServer and ModelServer, with each stage's limit.
    static func requestPath() -> Diagram {
        typealias D = Diagram
        let server = ModelServerConfiguration(), http = server.http, limits = http.limits, batching = server.batching
        func bytes(_ n: Int) -> String { n % (1 << 20) == 0 ? "\(n >> 20) MiB" : (n % 1024 == 0 ? "\(n >> 10) KiB" : "\(n) bytes") }
        func seconds(_ s: Double) -> String { s >= 1 ? "\(D.number(s)) s" : "\(D.number(s * 1000)) ms" }

        var d = Diagram(width: 1000, height: 600, title: "A request's way through the server, and the limit that can stop it at each stage")
        // Stages: (title lines, limit lines in red), drawn left to right in two rows.
        let top: [([String], [String])] = [
            (["1. accept", "event loop"], ["> \(http.maxConnections) open, none", "idle or slow: 503"]),
            (["2. read", "event loop (epoll)"], ["head or body late", "after \(seconds(http.readTimeout)): 408"]),
            (["3. parse the head", "HTTPParser"], ["head > \(bytes(limits.maxHeaderBytes)): 431", "malformed: 400, chunked: 411"]),
            (["4. the body", "Content-Length bytes"], ["declared > \(bytes(limits.maxBodyBytes)):", "413 before reading it"]),
        ]
        let bottom: [([String], [String])] = [
            (["5. route, decode JSON", "a worker thread"], ["404, 405; bad field or", "> \(server.maxRowsPerRequest) rows: 400"]),
            (["6. queue", "DynamicBatcher"], ["> \(grouped(batching.maxQueuedRequests)) waiting:", "503 with Retry-After"]),
            (["7. one forward pass", "for the whole batch"], ["a model error: 500,", "the server stays up"]),
            (["8. responses", "each its own rows"], ["then back to 2", "(keep-alive)"]),
        ]
        let boxW = 190.0, boxH = 56.0, gap = 52.0, left = 40.0
        func x(_ i: Int) -> Double { left + Double(i) * (boxW + gap) }
        for (r, stages) in [top, bottom].enumerated() {
            let y0 = r == 0 ? 70.0 : 300.0
            for (i, stage) in stages.enumerated() {
                d.add(D.box(stage.0, x: x(i), y: y0, width: boxW, height: boxH, fontSize: 11.5))
                if i > 0 {
                    d.add(D.arrow(from: SVGPoint(x(i - 1) + boxW, y0 + boxH / 2), to: SVGPoint(x(i), y0 + boxH / 2), color: D.Ink.forward))
                }
                // The limit, hanging below its stage (the last stage has none: it loops back).
                let isLimit = !(r == 1 && i == stages.count - 1)
                let color = isLimit ? D.Ink.backward : D.Ink.forward
                d.add(D.arrow(from: SVGPoint(x(i) + boxW / 2, y0 + boxH), to: SVGPoint(x(i) + boxW / 2, y0 + boxH + 24),
                              color: color, dashed: isLimit))
                for (k, line) in stage.1.enumerated() {
                    d.add(D.label(line, x: x(i) + boxW / 2, y: y0 + boxH + 40 + Double(k) * 15, color: color, fontSize: 11))
                }
            }
        }
        // Row 1 to row 2.
        let turnY = 215.0
        d.add(.polyline(points: [SVGPoint(x(3) + boxW, 98), SVGPoint(x(3) + boxW + 20, 98), SVGPoint(x(3) + boxW + 20, turnY),
                                 SVGPoint(left - 20, turnY), SVGPoint(left - 20, 328)],
                        style: .init(fill: "none", stroke: D.Ink.forward, strokeWidth: 1.5)))
        d.add(D.arrow(from: SVGPoint(left - 20, 328), to: SVGPoint(left, 328), color: D.Ink.forward))
        d.add(D.label("HTTPServer: bytes and framing", x: 500, y: 58, fontSize: 11.5, bold: true))
        d.add(D.label("ModelServer: routes, batching, the model", x: 500, y: turnY + 70, fontSize: 11.5, bold: true))
        // The batcher's rule, under stage 6 and 7.
        let ruleY = 470.0
        d.add(D.box([], x: x(1) - 10, y: ruleY - 20, width: 2 * boxW + gap + 20, height: 78, fill: D.Ink.dataFill, stroke: D.Ink.parameter))
        let rule = [
            "A worker starts a batch when \(batching.maxBatchRows) rows are queued or the oldest",
            "request has waited \(seconds(batching.maxWait)), whichever is first (at once if every open",
            "connection already has a request queued); one worker per core.",
        ]
        for (k, line) in rule.enumerated() {
            d.add(D.label(line, x: x(1) + 2, y: ruleY + Double(k) * 17, fontSize: 11, anchor: .start))
        }
        d.add(D.label("POST /v1/generate takes another way at 6: an AdmissionGate, one generation per core at a time and at most "
                      + "\(server.maxWaitingGenerations) waiting (503 beyond),", x: 40, y: 562, fontSize: 11, anchor: .start))
        d.add(D.label("then its tokens one forward pass at a time on the connection thread (max_tokens ≤ \(grouped(server.maxGenerateTokens))). "
                      + "Red: what the client gets when a limit is hit.", x: 40, y: 580, fontSize: 11, anchor: .start))
        return d
    }
}
