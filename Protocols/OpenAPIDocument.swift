import Foundation

/// The API description, `openapi.yaml` (OpenAPI 3.1) beside this file, as the aggregator serves
/// it. It describes every ``APIRoute`` with the JSON forms of the message types.
public enum OpenAPIDocument {
    /// The document's text.
    /// - Throws: `CocoaError` when the resource bundle is missing (a packaging error).
    public static func yaml() throws -> String {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml") else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: "openapi.yaml in the Protocols resource bundle"])
        }
        return try String(contentsOf: url, encoding: .utf8)
    }
}
