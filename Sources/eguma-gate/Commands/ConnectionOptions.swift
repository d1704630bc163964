import ArgumentParser
import EgumaAPI
import Foundation

/// How a one-shot command reaches e-guma: `--base-url`, and the key from `--api-key-file` or the
/// `EGUMA_API_KEY` environment variable (never from the command line, where `ps` would show it).
struct ConnectionOptions: ParsableArguments {
    @Option(name: .long, help: "e-guma base URL (http:// only for loopback, e.g. the simulator).")
    var baseURL: String = EgumaClientConfiguration.productionBaseURL

    @Option(name: .long, help: "File holding the outlet's API key (mode 0600/0640). Default: $EGUMA_API_KEY.")
    var apiKeyFile: String?

    @Option(name: .long, help: "Extra PEM trust root, e.g. the simulator's CA.")
    var caFile: String?

    @Option(name: .long, help: "Whole-request timeout in milliseconds.")
    var timeoutMs: Int = 8000

    @Flag(name: .long, help: "Print one JSON object instead of text.")
    var json = false

    func apiKey() throws -> APIKey {
        if let path = apiKeyFile {
            let text: String
            do {
                text = try String(contentsOfFile: path, encoding: .utf8)
            } catch {
                throw CLIError.usage("--api-key-file \(path): cannot read it (\(error.localizedDescription)) — check the path and that this user may read it")
            }
            let key = APIKey(text)
            guard !key.isEmpty else { throw CLIError.usage("--api-key-file \(path): the file is empty — put the outlet's e-guma API key in it") }
            return key
        }
        if let env = ProcessInfo.processInfo.environment["EGUMA_API_KEY"], !APIKey(env).isEmpty {
            return APIKey(env)
        }
        throw CLIError.usage("no API key: pass --api-key-file FILE or set EGUMA_API_KEY")
    }

    func makeClient() throws -> EgumaClient {
        let configuration = EgumaClientConfiguration(
            baseURL: baseURL, connectTimeout: .milliseconds(min(3000, timeoutMs)),
            requestTimeout: .milliseconds(timeoutMs), caFile: caFile)
        do {
            return try EgumaClient(configuration: configuration)
        } catch let error as EgumaConfigurationError {
            throw CLIError.usage("\(error)")
        }
    }

    /// Runs `body` with a client and always shuts the client down.
    func withClient<T>(_ body: (EgumaClient, APIKey) async throws -> T) async throws -> T {
        try await Self.using(try makeClient(), key: try apiKey(), body)
    }

    /// Runs `body` with `client` and `key`, maps e-guma failures to exit codes, and always shuts
    /// the client down.
    static func using<T>(_ client: EgumaClient, key: APIKey, _ body: (EgumaClient, APIKey) async throws -> T) async throws -> T {
        do {
            let result = try await body(client, key)
            try? await client.shutdown()
            return result
        } catch let error as EgumaError {
            try? await client.shutdown()
            throw CLIError(error)
        } catch {
            try? await client.shutdown()
            throw error
        }
    }
}

/// Prints a response as sorted JSON (for `--json`).
func printJSON<T: Encodable>(_ value: T) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}
