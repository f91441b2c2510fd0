// A small command-line parser: `backprop <command> [positionals] [--flags]`.
// Every command declares its flags (Flag.swift); anything else is an error
// that names the problem (unknown or renamed flag, missing value, value of the
// wrong kind).

import BackpropCore

/// A usage error: printed on one line, exit status 2.
public struct UsageError: Error, CustomStringConvertible {
    public let description: String
    public init(_ message: String) { description = message }
}

/// The parsed words of one command line.
struct Arguments {
    let command: String
    var positionals: [String] = []
    var values: [String: String] = [:]
    var switches: Set<String> = []
    var wantsHelp = false

    /// Parses `words` (after the command name) against the command's flags.
    init(command: String, words: [String], flags: [Flag]) throws {
        self.command = command
        var i = 0
        while i < words.count {
            let word = words[i]
            if word == "--help" || word == "-h" {
                wantsHelp = true
            } else if word.hasPrefix("--") {
                var name = String(word.dropFirst(2))
                var inline: String?
                if let eq = name.firstIndex(of: "=") {
                    inline = String(name[name.index(after: eq)...])
                    name = String(name[..<eq])
                }
                guard let flag = flags.first(where: { $0.name == name }) else {
                    if let renamed = flags.first(where: { $0.formerly.contains(name) }) {
                        throw UsageError("backprop \(command): --\(name) was renamed --\(renamed.name)")
                    }
                    throw UsageError("backprop \(command): unknown flag --\(name) (see `backprop \(command) --help`)")
                }
                if flag.value != nil {
                    if let inline { values[name] = inline } else {
                        guard i + 1 < words.count, !words[i + 1].hasPrefix("--") else {
                            throw UsageError("backprop \(command): --\(name) needs a value (\(flag.value!))")
                        }
                        values[name] = words[i + 1]
                        i += 1
                    }
                } else {
                    guard inline == nil else { throw UsageError("backprop \(command): --\(name) takes no value") }
                    switches.insert(name)
                }
            } else if word.hasPrefix("-") && word.count > 1 && Double(word) == nil {
                throw UsageError("backprop \(command): unknown option \(word) (flags are written --name)")
            } else {
                positionals.append(word)
            }
            i += 1
        }
    }

    func has(_ name: String) -> Bool { switches.contains(name) }

    /// A usage error for this command: "backprop <command>: <message>".
    func error(_ message: String) -> UsageError { UsageError("backprop \(command): \(message)") }

    func string(_ name: String) -> String? { values[name] }

    func int(_ name: String, default value: Int, range: ClosedRange<Int> = 1...Int.max) throws -> Int {
        guard let text = values[name] else { return value }
        guard let v = Int(text), range.contains(v) else {
            throw UsageError("backprop \(command): --\(name) expects an integer in \(range.lowerBound)…\(range.upperBound == Int.max ? "" : String(range.upperBound)), got '\(text)'")
        }
        return v
    }

    func double(_ name: String, default value: Double) throws -> Double {
        guard let text = values[name] else { return value }
        guard let v = Double(text), v.isFinite, v > 0 else {
            throw UsageError("backprop \(command): --\(name) expects a positive number, got '\(text)'")
        }
        return v
    }

    func seed(default value: UInt64 = 42) throws -> UInt64 {
        guard let text = values["seed"] else { return value }
        guard let v = UInt64(text) else {
            throw UsageError("backprop \(command): --seed expects a non-negative integer, got '\(text)'")
        }
        return v
    }

    /// A probability in [0, 1), such as a dropout rate.
    func probability(_ name: String, default value: Double) throws -> Double {
        guard let text = values[name] else { return value }
        guard let v = Double(text), v >= 0, v < 1 else {
            throw UsageError("backprop \(command): --\(name) expects a number in [0, 1), got '\(text)'")
        }
        return v
    }

    /// The backend named by --backend (naive or simd), or the default.
    func backend(default value: Backend = .simd) throws -> Backend {
        try choice("backend", from: Backend.allCases.map(\.rawValue), default: nil).flatMap(Backend.init) ?? value
    }

    /// The value of an option restricted to a list of choices.
    func choice(_ name: String, from options: [String], default value: String?) throws -> String? {
        guard let text = values[name] else { return value }
        guard options.contains(text) else {
            throw UsageError("backprop \(command): --\(name) must be one of \(options.joined(separator: ", ")), got '\(text)'")
        }
        return text
    }
}
