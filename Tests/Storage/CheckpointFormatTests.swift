// The binary checkpoint format: its byte layout, a bit-exact round trip in
// f32 and f64, one specific typed error for each kind of damage, the CRC-32
// check value and the header's JSON parser. (The fuzzer's own test is
// chapter 9's: Tests/09-model-as-a-service/CheckpointFuzzTests.swift.)

import BackpropCore
import Foundation
import Storage
import TestSupport
import Testing

@Suite struct CheckpointFormatTests {
    @Test("CRC-32 matches the standard check value")
    func crcCheckValue() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.checksum([UInt8]()) == 0)
        #expect(CRC32.checksum(Array("The quick brown fox jumps over the lazy dog".utf8)) == 0x414F_A339)
    }

    @Test("f32 and f64 checkpoints round-trip bit-exactly, config and metadata included")
    func roundTrip() throws {
        for original in [try CheckpointSamples.float32(), try CheckpointSamples.float64()] {
            let loaded = try Checkpoint.decode(try original.encoded())
            #expect(loaded.kind == original.kind && loaded.dtype == original.dtype)
            #expect(loaded.tensors.map(\.name) == original.tensors.map(\.name))
            for (a, b) in zip(original.tensors, loaded.tensors) {
                #expect(a.tensor.shape == b.tensor.shape)
                #expect(a.tensor.scalars.map(\.bitPattern) == b.tensor.scalars.map(\.bitPattern), "\(a.name)")
            }
            #expect(JSONValue.object(loaded.config) == JSONValue.object(original.config))
        }
        let loaded = try Checkpoint.decode(try CheckpointSamples.float32().encoded())
        #expect(try loaded.configStrings("names") == ["a \"b\"", "ü→日本"])
        #expect(loaded.metadata.first { $0.0 == "loss" }?.1 == .string("nan"))
    }

    @Test("the bytes follow the documented layout")
    func layout() throws {
        let bytes = [UInt8](try CheckpointSamples.float32().encoded())
        #expect(Array(bytes[0..<8]) == [0x89, 0x42, 0x50, 0x43, 0x4B, 0x0D, 0x0A, 0x1A])
        #expect(Array(bytes[8..<12]) == [2, 0, 0, 0])
        let h = CheckpointSamples.readLE(bytes, at: 12, count: 4)
        let d = CheckpointSamples.readLE(bytes, at: 16, count: 8)
        let start = (24 + h + 63) / 64 * 64
        #expect(bytes.count == start + d + 4)
        let header = try JSONParser.parse(Array(bytes[24..<(24 + h)]))
        #expect(header["model"] == .string("toy"))
        let w = try #require(header["tensors"]?.arrayValue?.first)
        #expect(w["dtype"] == .string("f32") && w["offset"] == .integer(0) && w["bytes"] == .integer(24))
        let b = try #require(header["tensors"]?.arrayValue?[1])
        #expect(b["offset"] == .integer(64))  // aligned
        // The first element, 1.5 as a little-endian binary32: 0x3FC00000.
        #expect(Array(bytes[start..<(start + 4)]) == [0x00, 0x00, 0xC0, 0x3F])
        #expect(Array(bytes[(start + 64)..<(start + 68)]) == [0x00, 0x00, 0x80, 0x3E])  // 0.25
        #expect(Array(bytes.suffix(4)) == CheckpointSamples.le(CRC32.checksum(Array(bytes.dropLast(4)))))
        // f32 files store 4 bytes per value, f64 files 8.
        let f64 = [UInt8](try CheckpointSamples.float64().encoded())
        let dataLength = CheckpointSamples.readLE(f64, at: 16, count: 8)
        #expect(dataLength == 64 + 8)
    }

    @Test("the writer refuses values it could not read back")
    func writerRefuses() throws {
        let nan = Checkpoint(kind: "toy", tensors: [("w", Tensor([1, .nan]))])
        let e1 = #expect(throws: CheckpointError.self) { try nan.encoded() }
        #expect(e1?.kind == "nonFinite" && e1?.description.contains("'w'") == true)
        let inexact = Checkpoint(kind: "toy", dtype: .float32, tensors: [("w", Tensor([0.1]))])
        #expect((#expect(throws: CheckpointError.self) { try inexact.encoded() })?.kind == "notRepresentable")
        let twice = Checkpoint(kind: "toy", tensors: [("w", Tensor([1])), ("w", Tensor([2]))])
        #expect((#expect(throws: CheckpointError.self) { try twice.encoded() })?.description.contains("appears twice") == true)
        let config = Checkpoint(kind: "toy", config: [("p", .number(.infinity))], tensors: [])
        #expect((#expect(throws: CheckpointError.self) { try config.encoded() })?.kind == "badConfig")
        let repeated = Checkpoint(kind: "toy", config: [("p", .integer(1)), ("p", .integer(2))], tensors: [])
        #expect((#expect(throws: CheckpointError.self) { try repeated.encoded() })?.description.contains("'p' appears twice") == true)
        // Metadata is informational: a repeated key keeps its first value and the file stays readable.
        let meta = Checkpoint(kind: "toy", metadata: [("seed", .integer(1)), ("seed", .string("2"))], tensors: [])
        #expect(try Checkpoint.decode(try meta.encoded()).metadata.count == 1)
    }

    static let good = (try? [UInt8](CheckpointSamples.float32().encoded())) ?? []
    static func resealed(_ edit: (inout [UInt8]) -> Void) -> [UInt8] {
        var b = good
        edit(&b)
        CheckpointSamples.reseal(&b)
        return b
    }
    static let four: [UInt8] = [0, 0, 128, 63, 0, 0, 0, 64]  // 1.0, 2.0 as f32

    @Test("each kind of damage is its own typed error naming the problem", arguments: [
        ("empty", [], "notACheckpoint", "empty"),
        ("json", Array("{\"format\": \"backprop-checkpoint\", \"version\": 1}".utf8), "notACheckpoint", "version-1"),
        ("png", [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0], "notACheckpoint", "found 89 50 4e 47"),
        ("short magic", Array(CheckpointFormat.magic.prefix(5)), "truncated", "truncated"),
        ("newer version", resealed { $0[8] = 3 }, "unsupportedVersion", "newer backprop"),
        ("old version", resealed { $0[8] = 1 }, "unsupportedVersion", "old JSON format"),
        ("truncated", Array(good.dropLast(10)), "truncated", "truncated"),
        ("trailing", good + [0, 0], "trailingBytes", "2 unexpected bytes"),
        ("bit flip", { var b = good; b[b.count - 20] ^= 4; return b }(), "badChecksum", "bad checksum"),
        ("huge data length", resealed { for i in 16..<24 { $0[i] = 0xFF } }, "truncated", "truncated"),
        ("huge header length", resealed { for i in 12..<16 { $0[i] = 0xFF } }, "truncated", "truncated"),
        ("header not JSON", CheckpointSamples.assemble(header: "{\"model\": ", data: []), "malformed", "not valid JSON"),
        ("header deep", CheckpointSamples.assemble(header: String(repeating: "[", count: 1000), data: []), "malformed", "nested deeper"),
        ("no model", CheckpointSamples.assemble(header: "{\"config\":{},\"tensors\":[]}", data: []), "malformed", "no model kind"),
        ("unknown dtype", CheckpointSamples.assemble(header: CheckpointSamples.table([("a", "f16", [2], 0, 4)]), data: [0, 0, 0, 0]),
         "unknownDType", "'f16'"),
        ("size mismatch", CheckpointSamples.assemble(header: CheckpointSamples.table([("a", "f32", [3], 0, 8)]), data: four),
         "tensorSizeMismatch", "shape [3]"),
        ("absurd shape", CheckpointSamples.assemble(header: CheckpointSamples.table([("a", "f32", [1 << 40, 1 << 40], 0, 8)]), data: four),
         "tensorSizeMismatch", "'a'"),
        ("out of bounds", CheckpointSamples.assemble(header: CheckpointSamples.table([("a", "f32", [2], 64, 8)]), data: four),
         "tensorOutOfBounds", "does not fit"),
        ("absurd offset", CheckpointSamples.assemble(header: CheckpointSamples.table([("a", "f32", [2], 9_223_372_036_854_775_744, 8)]), data: four),
         "tensorOutOfBounds", "does not fit"),
        ("overlap", CheckpointSamples.assemble(header: CheckpointSamples.table([("a", "f32", [2], 0, 8), ("b", "f32", [1], 0, 4)]), data: four),
         "overlappingTensors", "'a' and 'b' overlap"),
        ("misaligned", CheckpointSamples.assemble(header: CheckpointSamples.table([("a", "f32", [1], 4, 4)]), data: four),
         "malformed", "not a multiple of 64"),
        ("duplicate", CheckpointSamples.assemble(header: CheckpointSamples.table([("a", "f32", [1], 0, 4), ("a", "f32", [0], 0, 0)]), data: four),
         "malformed", "appears twice"),
        ("nan", CheckpointSamples.assemble(header: CheckpointSamples.table([("a", "f32", [2], 0, 8)]), data: [0, 0, 128, 63, 0, 0, 192, 127]),
         "nonFinite", "element 1"),
    ] as [(String, [UInt8], String, String)])
    func damage(label: String, bytes: [UInt8], kind: String, message: String) {
        let error = #expect(throws: CheckpointError.self) { try Checkpoint.decode(Data(bytes), path: "m.ckpt") }
        #expect(error?.kind == kind, "\(label): got \(String(describing: error))")
        #expect(error?.description.contains(message) == true, "\(label): got \(String(describing: error))")
        #expect(error?.description.contains("m.ckpt") == true)
    }

    @Test("a hand-assembled valid file loads, so the damage cases differ from it in one way only")
    func assembledFileLoads() throws {
        let c = try Checkpoint.decode(Data(CheckpointSamples.assemble(header: CheckpointSamples.table([("a", "f32", [2], 0, 8)]), data: Self.four)))
        #expect(c.tensors.first?.tensor.scalars == [1, 2])
        #expect(throws: CheckpointError.self) { try Checkpoint.load(URL(fileURLWithPath: "/nonexistent/model.ckpt")) }
    }

    @Test("the header parser keeps key order, decodes escapes and refuses bad JSON")
    func jsonParser() throws {
        let v = try JSONParser.parse("{\"b\": [1, 2.5, -0.0, 1e3], \"a\": \"x\\u00e9\\ud83d\\ude00\\n\", \"c\": true}")
        #expect(v.objectValue?.map(\.0) == ["b", "a", "c"])
        #expect(v["b"]?.arrayValue?.first == .integer(1) && v["b"]?.arrayValue?[1].doubleValue == 2.5)
        #expect(v["b"]?.arrayValue?[2].doubleValue?.sign == .minus)
        #expect(v["a"]?.stringValue == "xé😀\n")
        for bad in ["{\"a\":1,\"a\":2}", "[1,]", "01", "\"\\ud800\"", "{\"a\" 1}", "[1] 2", "null", "\"a\u{01}\"", "1e999"] {
            #expect(throws: JSONParseError.self, "\(bad)") { try JSONParser.parse(bad) }
        }
        #expect(throws: JSONParseError.self) { try JSONParser.parse([0x22, 0xFF, 0x22]) }
    }
}
