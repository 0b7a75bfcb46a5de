import Foundation

/// The fields of an HF `tokenizer.json` that a byte-level BPE tokenizer reads, as decoded from JSON.
///
/// Only decoding lives here; ``BPETokenizer`` checks the values and rejects what it does not implement.
/// Optional fields may be absent or `null`; unknown fields are ignored, as HF ignores them.
struct TokenizerFile: Decodable {
    struct AddedToken: Decodable {
        let id: Int
        let content: String
        let singleWord: Bool?
        let leftStrip: Bool?
        let rightStrip: Bool?
        let normalized: Bool?
        let special: Bool?

        enum CodingKeys: String, CodingKey {
            case id, content, normalized, special
            case singleWord = "single_word"
            case leftStrip = "lstrip"
            case rightStrip = "rstrip"
        }
    }

    /// A normalizer, pre-tokenizer, post-processor or decoder: its type and the ByteLevel options.
    struct Component: Decodable {
        let type: String
        let addPrefixSpace: Bool?
        let useRegex: Bool?

        enum CodingKeys: String, CodingKey {
            case type
            case addPrefixSpace = "add_prefix_space"
            case useRegex = "use_regex"
        }
    }

    /// A merge as `"a b"` (tokenizers < 0.20) or `["a", "b"]` (later versions).
    enum Merge: Decodable {
        case joined(String)
        case pair([String])

        init(from decoder: Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let joined = try? container.decode(String.self) {
                self = .joined(joined)
            } else {
                self = .pair(try container.decode([String].self))
            }
        }
    }

    struct BPEModel: Decodable {
        let type: String
        let vocab: [String: Int]?
        let merges: [Merge]?
        let unknownToken: String?
        let dropout: Double?
        let continuingSubwordPrefix: String?
        let endOfWordSuffix: String?
        let fuseUnknown: Bool?
        let byteFallback: Bool?
        let ignoreMerges: Bool?

        enum CodingKeys: String, CodingKey {
            case type, vocab, merges, dropout
            case unknownToken = "unk_token"
            case continuingSubwordPrefix = "continuing_subword_prefix"
            case endOfWordSuffix = "end_of_word_suffix"
            case fuseUnknown = "fuse_unk"
            case byteFallback = "byte_fallback"
            case ignoreMerges = "ignore_merges"
        }

        /// `type` first: another kind of model (Unigram's vocab is a list of pairs) is refused by
        /// its type, not by the first field whose JSON type differs from BPE's.
        init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            type = try container.decode(String.self, forKey: .type)
            let isBPE = type == "BPE"
            func field<Value: Decodable>(_ key: CodingKeys) throws -> Value? { isBPE ? try container.decodeIfPresent(Value.self, forKey: key) : nil }
            vocab = try field(.vocab)
            merges = try field(.merges)
            unknownToken = try field(.unknownToken)
            dropout = try field(.dropout)
            continuingSubwordPrefix = try field(.continuingSubwordPrefix)
            endOfWordSuffix = try field(.endOfWordSuffix)
            fuseUnknown = try field(.fuseUnknown)
            byteFallback = try field(.byteFallback)
            ignoreMerges = try field(.ignoreMerges)
        }
    }

    let addedTokens: [AddedToken]?
    let normalizer: Component?
    let preTokenizer: Component?
    let postProcessor: Component?
    let decoder: Component?
    let model: BPEModel

    enum CodingKeys: String, CodingKey {
        case normalizer, decoder, model
        case addedTokens = "added_tokens"
        case preTokenizer = "pre_tokenizer"
        case postProcessor = "post_processor"
    }

    /// Decodes `data`, naming `file` and the JSON path of the offending field in the error.
    /// - Throws: ``TokenizerError/invalidJSON(file:field:reason:)``.
    static func decoded(from data: Data, file: String) throws(TokenizerError) -> TokenizerFile {
        do {
            return try JSONDecoder().decode(TokenizerFile.self, from: data)
        } catch let DecodingError.keyNotFound(key, context) {
            throw .invalidJSON(file: file, field: path(context.codingPath + [key]), reason: "missing")
        } catch let DecodingError.typeMismatch(type, context) {
            throw .invalidJSON(file: file, field: path(context.codingPath), reason: "expected \(type)")
        } catch let DecodingError.valueNotFound(type, context) {
            throw .invalidJSON(file: file, field: path(context.codingPath), reason: "expected \(type), found null")
        } catch let DecodingError.dataCorrupted(context) {
            throw .invalidJSON(file: file, field: path(context.codingPath), reason: "not valid JSON")
        } catch {
            throw .invalidJSON(file: file, field: "", reason: "\(error)")
        }
    }

    /// `model.merges[3]` style paths.
    private static func path(_ codingPath: [CodingKey]) -> String {
        codingPath.reduce(into: "") { path, key in
            if let index = key.intValue {
                path += "[\(index)]"
            } else {
                path += path.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
    }
}
