import Foundation
import Tensor
import Testing

struct SafetensorsTests {
    static func fixture(_ name: String) throws -> URL {
        try #require(Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: nil))
    }

    static let everyDType: [Safetensors.Entry] = [
        .float32(name: "f32", shape: [2, 2], values: [1, -2.5, 3.25, .greatestFiniteMagnitude]),
        .bfloat16(name: "bf16", shape: [3], values: [1, -0.5, 256]),
        .float16(name: "f16", shape: [3], values: [1, -0.5, 2048]),
        Safetensors.Entry(name: "f64", dtype: .F64, shape: [2], bytes: [0, 0, 0, 0, 0, 0, 0xF0, 0x3F, 0, 0, 0, 0, 0, 0, 0, 0xC0]),
        .int64(name: "i64", shape: [2], values: [-1, 1 << 40]),
        Safetensors.Entry(name: "i32", dtype: .I32, shape: [1], bytes: [0xFE, 0xFF, 0xFF, 0xFF]),
        Safetensors.Entry(name: "i16", dtype: .I16, shape: [2], bytes: [0x00, 0x80, 0x01, 0x00]),
        Safetensors.Entry(name: "i8", dtype: .I8, shape: [2], bytes: [0xFF, 0x7F]),
        Safetensors.Entry(name: "u16", dtype: .U16, shape: [1], bytes: [0xFF, 0xFF]),
        Safetensors.Entry(name: "u8", dtype: .U8, shape: [1, 3], bytes: [0, 128, 255]),
        Safetensors.Entry(name: "bool", dtype: .BOOL, shape: [2], bytes: [1, 0]),
        .float32(name: "scalar", shape: [], values: [7]),
        .float32(name: "empty", shape: [0, 4], values: []),
    ]

    @Test func roundTripsEveryDType() throws {
        let file = try SafetensorsFile(data: Data(Safetensors.encode(Self.everyDType, metadata: ["format": "pt"])), source: "memory")
        #expect(file.metadata == ["format": "pt"])
        #expect(file.names.count == Self.everyDType.count)
        #expect(try file.floats("f32") == [1, -2.5, 3.25, .greatestFiniteMagnitude])
        #expect(try file.floats("bf16") == [1, -0.5, 256])
        #expect(try file.floats("f16") == [1, -0.5, 2048])
        #expect(try file.floats("f64") == [1, -2])
        #expect(try file.integers("i64") == [-1, 1 << 40])
        #expect(try file.integers("i32") == [-2])
        #expect(try file.integers("i16") == [-32768, 1])
        #expect(try file.integers("i8") == [-1, 127])
        #expect(try file.integers("u16") == [65535])
        #expect(try file.integers("u8") == [0, 128, 255])
        #expect(try file.integers("bool") == [1, 0])
        #expect(try file.tensor("scalar").shape == [])
        #expect(try file.info("empty").shape == [0, 4])
        for entry in Self.everyDType { #expect(try file.bytes(entry.name) == entry.bytes) }
    }

    /// A file the official writer made (safetensors 0.8, Rust: data laid out by alignment, header
    /// not in name order, an empty tensor at another's offset) with every dtype, read as Python reads it.
    @Test func readsEveryDTypeAsTheOfficialWriterLaysItOut() throws {
        let directory = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil)).appendingPathComponent("safetensors-dtypes")
        let file = try SafetensorsFile(contentsOf: directory.appendingPathComponent("every_dtype.safetensors"))
        let expected = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("every_dtype.json")))
            as? [String: [String: Any]])
        #expect(Set(file.names) == Set(expected.keys) && Set(Safetensors.DType.allCases.map(\.rawValue)).isSubset(of: Set(expected.values.compactMap { $0["dtype"] as? String })))
        #expect(file.metadata == ["format": "pt", "source": "safetensors 0.8"])
        for (name, fields) in expected {
            let info = try file.info(name)
            let values = try #require(fields["values"] as? [NSNumber])
            #expect(info.dtype.rawValue == fields["dtype"] as? String && info.shape == fields["shape"] as? [Int], "\(name)")
            switch info.dtype {
            case .F64, .F32, .F16, .BF16:
                #expect(try file.floats(name) == values.map { Float($0.doubleValue) }, "\(name)")
            default:
                #expect(try file.integers(name) == values.map { $0.intValue }, "\(name)")
            }
        }
    }

    @Test func roundsToBFloat16ToNearestEven() {
        // 1 + 2⁻⁸ is halfway between two bf16 values: ties go to the even one (1.0).
        #expect(Safetensors.bfloat16Bits(1 + 0x1p-8) == 0x3F80)
        #expect(Safetensors.bfloat16Bits(1 + 0x1p-8 + 0x1p-20) == 0x3F81)
        #expect(Safetensors.bfloat16Bits(1 + 3 * 0x1p-8) == 0x3F82)
        #expect(Safetensors.bfloat16Bits(.nan) & 0x7FC0 == 0x7FC0)
    }

    /// The canonical form byte for byte: sorted keys, no whitespace, space padding to 8.
    @Test func writesCanonicalBytes() {
        let bytes = Safetensors.encode([.float32(name: "b", shape: [1], values: [1]), .float32(name: "a", shape: [], values: [2])],
                                       metadata: ["z": "1", "round": "7"])
        let header = #"{"__metadata__":{"round":"7","z":"1"},"a":{"data_offsets":[0,4],"dtype":"F32","shape":[]},"b":{"data_offsets":[4,8],"dtype":"F32","shape":[1]}}"#
        var expected = Array(header.utf8)
        while expected.count % 8 != 0 { expected.append(0x20) }
        let length = UInt64(expected.count)
        let prefix = (0..<8).map { UInt8(truncatingIfNeeded: length >> (8 * UInt64($0))) }
        #expect(bytes == prefix + expected + [0, 0, 0, 0x40, 0, 0, 0x80, 0x3F])
    }

    /// An independent writer (Python's standard library, in another process) following the same
    /// rules produces the same bytes, so the format is the rule, not this implementation.
    @Test func matchesAnIndependentWriterInAnotherProcess() throws {
        let script = #"""
        import json, struct, sys
        tensors = {"layer.\"q\".weight": ("F32", [2], struct.pack("<2f", 1.5, -2.0)), "a\u00e9": ("I64", [1], struct.pack("<q", -3))}
        meta = {"site": "h\u00f4pital", "round": "3"}
        entries = {"__metadata__": meta}
        offset = 0
        for name in sorted(tensors, key=lambda n: n.encode()):
            dtype, shape, raw = tensors[name]
            entries[name] = {"data_offsets": [offset, offset + len(raw)], "dtype": dtype, "shape": shape}
            offset += len(raw)
        def canonical(value):
            if isinstance(value, dict):
                return "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" + canonical(value[k]) for k in sorted(value, key=lambda k: k.encode())) + "}"
            return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        header = canonical(entries).encode()
        header += b" " * (-len(header) % 8)
        data = b"".join(tensors[n][2] for n in sorted(tensors, key=lambda n: n.encode()))
        sys.stdout.buffer.write(struct.pack("<Q", len(header)) + header + data)
        """#
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let pythonBytes = [UInt8](pipe.fileHandleForReading.readDataToEndOfFile())
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let ours = Safetensors.encode([.float32(name: "layer.\"q\".weight", shape: [2], values: [1.5, -2]),
                                       .int64(name: "aé", shape: [1], values: [-3])],
                                      metadata: ["round": "3", "site": "hôpital"])
        #expect(ours == pythonBytes)
    }

    @Test func readsHuggingFacesLlavaCheckpoint() throws {
        let file = try SafetensorsFile(contentsOf: Self.fixture("llava-tiny-model.safetensors"))
        #expect(file.names.count == 64)
        #expect(file.metadata == ["format": "pt"])
        let patch = try file.tensor("vision_tower.embeddings.patch_embedding.weight")
        #expect(patch.shape == [32, 3, 8, 8])
        #expect(Array(patch.values.prefix(3)) == [-0.02058069221675396, -0.021261269226670265, -0.031246468424797058])
        let classEmbedding = try file.floats("vision_tower.embeddings.class_embedding")
        #expect(abs(classEmbedding.reduce(0, +) - 0.8506811419501901) < 1e-5)
        #expect(try file.info("language_model.lm_head.weight").shape == [320, 64])
    }

    @Test func readsPydicomsReferencePixels() throws {
        let file = try SafetensorsFile(contentsOf: Self.fixture("dicom-reference.safetensors"))
        let info = try file.info("CT_small.dcm.pixels")
        #expect(info.dtype == .I16 && info.shape == [128, 128] && info.range == 147456..<180224)
        #expect(try file.integers("CT_small.dcm.pixels").reduce(0, +) == 14_826_310)
        #expect(try file.integers("emri_small.dcm.pixels").reduce(0, +) == 4_493_276)
        #expect(try file.integers("SC_rgb.dcm.pixels").reduce(0, +) == 3_831_000)
        #expect(try file.floats("CT_small.dcm.hu").prefix(4) == [-849, -844, -858, -881])
    }

    /// A valid file with header `header` and `data` bytes, the length prefix computed.
    static func file(header: String, data: [UInt8] = [], lengthOverride: UInt64? = nil) -> Data {
        let length = lengthOverride ?? UInt64(header.utf8.count)
        return Data((0..<8).map { UInt8(truncatingIfNeeded: length >> (8 * UInt64($0))) } + Array(header.utf8) + data)
    }

    static let malformed: [(String, Data, SafetensorsError)] = [
        ("shorter than the length prefix", Data([1, 2, 3]), .truncatedHeader(file: "m", fileSize: 3, headerBytes: 0)),
        ("header longer than the file", file(header: "{}", lengthOverride: 50), .truncatedHeader(file: "m", fileSize: 10, headerBytes: 50)),
        ("header over 100 MB", file(header: "{}", lengthOverride: 200_000_000), .headerTooLarge(file: "m", headerBytes: 200_000_000, limit: 100_000_000)),
        ("bad JSON", file(header: "{\"a\":"), .malformedHeader(file: "m", reason: "invalid JSON")),
        ("JSON not an object", file(header: "[1]"), .malformedHeader(file: "m", reason: "not a JSON object")),
        ("unknown dtype", file(header: #"{"t":{"dtype":"F8","shape":[1],"data_offsets":[0,1]}}"#, data: [0]),
         .unknownDType(file: "m", tensor: "t", dtype: "F8")),
        ("negative extent", file(header: #"{"t":{"dtype":"U8","shape":[-1],"data_offsets":[0,1]}}"#, data: [0]),
         .malformedEntry(file: "m", tensor: "t", reason: "shape is not a list of non-negative integers")),
        ("offsets reversed", file(header: #"{"t":{"dtype":"U8","shape":[1],"data_offsets":[1,0]}}"#, data: [0]),
         .malformedEntry(file: "m", tensor: "t", reason: "data_offsets is not [begin, end] with 0 ≤ begin ≤ end")),
        ("size does not fit shape", file(header: #"{"t":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]),
         .sizeMismatch(file: "m", tensor: "t", shape: [2], dtype: "F32", bytes: 4)),
        ("elements × bytes overflows (an 89-byte upload once crashed the aggregator)",
         file(header: #"{"t":{"dtype":"F32","shape":[2305843009213693952],"data_offsets":[0,0]}}"#),
         .sizeMismatch(file: "m", tensor: "t", shape: [2_305_843_009_213_693_952], dtype: "F32", bytes: 0)),
        ("elements overflow", file(header: #"{"t":{"dtype":"U8","shape":[4294967296,4294967296],"data_offsets":[0,0]}}"#),
         .sizeMismatch(file: "m", tensor: "t", shape: [4_294_967_296, 4_294_967_296], dtype: "U8", bytes: 0)),
        ("offsets past the end", file(header: #"{"t":{"dtype":"U8","shape":[4],"data_offsets":[0,4]}}"#, data: [0, 0]),
         .offsetsOutOfRange(file: "m", tensor: "t", begin: 0, end: 4, dataBytes: 2)),
        ("overlapping tensors", file(header: #"{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[2],"data_offsets":[1,3]}}"#, data: [0, 0, 0]),
         .offsetsNotContiguous(file: "m", tensor: "b", begin: 1, expected: 2)),
        ("trailing bytes", file(header: #"{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}"#, data: [0, 9]),
         .trailingBytes(file: "m", indexed: 1, dataBytes: 2)),
        ("metadata value not a string", file(header: #"{"__metadata__":{"round":7}}"#),
         .malformedHeader(file: "m", reason: "__metadata__ value of round is not a string")),
    ]

    /// HF's writer orders tensors by dtype, then name: an empty F32 tensor may follow an F16 one
    /// at the same offset by name.
    @Test func readsAnEmptyTensorSharingItsOffset() throws {
        let file = try SafetensorsFile(data: Self.file(header: #"{"a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},"z":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}"#,
                                                       data: [0, 0, 0, 0]), source: "m")
        #expect(Set(file.names) == ["a", "z"])
    }

    @Test(arguments: malformed.indices)
    func rejectsMalformedFileWithItsExactError(index: Int) {
        let (_, data, error) = Self.malformed[index]
        #expect(throws: error) { try SafetensorsFile(data: data, source: "m") }
    }

    @Test func namesTheMissingTensorAndTheWrongDType() throws {
        let file = try SafetensorsFile(data: Data(Safetensors.encode([.int64(name: "ids", shape: [1], values: [3])])), source: "case")
        #expect(throws: SafetensorsError.missingTensor(file: "case", tensor: "logits")) { try file.floats("logits") }
        #expect(throws: SafetensorsError.wrongDType(file: "case", tensor: "ids", found: "I64", expected: "a floating-point type")) {
            try file.floats("ids")
        }
    }

    @Test func reportsAnUnreadablePath() {
        #expect { try SafetensorsFile(contentsOf: URL(fileURLWithPath: "/nonexistent/x.safetensors")) } throws: { error in
            guard case let .unreadable(file, reason)? = error as? SafetensorsError else { return false }
            return file == "/nonexistent/x.safetensors" && !reason.isEmpty
        }
    }
}
