// The flags a command accepts. A command's usage line and help are generated
// from its list (Command.swift), so they cannot drift from what it parses.
// The same concept has the same flag in every command:
//
//   --epochs N      passes over the training data
//   --steps N       optimizer steps
//   --batch N       examples (sequences, streams) per step
//   --context N     sequence length: tokens the model reads at once
//   --width N       hidden width (--widths W,W… for a stack of layers)
//   --backend B     naive or simd kernels
//   --seed S, --json, --save PATH
//
// A flag's former names are rejected with a message naming the new one for
// one release (`--iters was renamed --steps`).

import BackpropCore

/// A flag a command accepts.
struct Flag: Sendable {
    let name: String
    /// The value's placeholder in usage and help ("N", "PATH", "rnn|lstm|gru"),
    /// or nil for a switch that takes no value.
    let value: String?
    let help: String
    /// Shown without brackets in the usage line.
    var required = false
    /// Names this flag had before; using one is an error naming this flag.
    var formerly: [String] = []

    init(name: String, value: String?, help: String, required: Bool = false, formerly: [String] = []) {
        self.name = name
        self.value = value
        self.help = help
        self.required = required
        self.formerly = formerly
    }

    /// A flag whose value is one of `choices`, shown as `a|b|c`.
    init(name: String, choices: [String], help: String, formerly: [String] = []) {
        self.init(name: name, value: choices.joined(separator: "|"), help: help, formerly: formerly)
    }

    /// "--name VALUE" as usage and help show it.
    var synopsis: String { "--\(name)" + (value.map { " \($0)" } ?? "") }
}

// Flags shared by many commands, worded once.
extension Flag {
    static func seed(default value: UInt64 = 42, _ what: String = "") -> Flag {
        Flag(name: "seed", value: "S", help: "random seed\(what.isEmpty ? "" : " for " + what) (default \(value))")
    }

    static let json = Flag(name: "json", value: nil, help: "end with one JSON line summarising the run")

    static let save = Flag(name: "save", value: "PATH", help: "write the trained model to a checkpoint file (atomically)")

    static let backend = Flag(name: "backend", choices: Backend.allCases.map(\.rawValue),
                              help: "the kernels: naive loops or SIMD (default simd)", formerly: ["kernels"])

    static func epochs(default value: Int, of what: String = "the training data") -> Flag {
        Flag(name: "epochs", value: "N", help: "passes over \(what) (default \(value))")
    }

    static func steps(default value: Int, _ what: String = "training steps") -> Flag {
        Flag(name: "steps", value: "N", help: "\(what) (default \(value))", formerly: ["iters"])
    }

    static func batch(default value: Int, of what: String = "examples per minibatch") -> Flag {
        Flag(name: "batch", value: "N", help: "\(what) (default \(value))")
    }

    static func learningRate(default value: Double, _ what: String = "learning rate") -> Flag {
        Flag(name: "lr", value: "X", help: "\(what) (default \(value))")
    }
}
