// Chapter 9's grader for exercise 9.6: an atomic save, run on a simulated
// disk that fails each call in turn and loses power before each call in turn.
//
// The disk keeps, per file, the bytes written and the bytes flushed (fsync);
// a power cut keeps the names (created, renamed, removed) and loses every
// byte not flushed, the failure mode of file systems with delayed
// allocation. Folders /data and /tmp are two file systems (rename between
// them is EXDEV). The checks are the stub's five promises.

import ExerciseKit
import Foundation

/// Exercise 9.6's signature.
public typealias SaveAtomically = (_ path: String, _ fileSystem: any SaveFileSystem,
                                   _ produce: (_ write: ([UInt8]) throws -> Void) throws -> Void) throws -> Void

extension Chapter09Graders {
    struct PowerCut: Error, CustomStringConvertible {
        var description: String { "the power was cut" }
    }

    /// The producer's own error, which a failed save must pass on unchanged.
    struct ProducerFailure: Error, Equatable, CustomStringConvertible {
        let afterChunks: Int
        var description: String { "the producer's error (a NaN found after \(afterChunks) chunks)" }
    }

    /// A disk in memory with fault injection (see the file header).
    final class SimulatedDisk: SaveFileSystem {
        final class Inode {
            var data: [UInt8]
            var durable: [UInt8]
            init(_ bytes: [UInt8]) { data = bytes; durable = bytes }
        }

        static let folders: Set<String> = ["/data", "/tmp"]
        var names: [String: Inode] = [:]
        var open: [Int32: (inode: Inode, path: String)] = [:]
        private var nextDescriptor: Int32 = 3
        /// Every call the save made, in order, e.g. "fsync(/data/.model.ckpt.tmp)".
        var calls: [String] = []
        /// The call (index into `calls`) that fails, and the one before which the power is cut.
        var failAt: Int?
        var cutAt: Int?
        private(set) var isCut = false
        /// The error of the call that was made to fail.
        private(set) var injected: FileSystemError?

        init(files: [String: [UInt8]]) { for (path, bytes) in files { names[path] = Inode(bytes) } }

        /// Records a call; fails it or cuts the power if it is the chosen one.
        private func begin(_ call: String, _ shown: String, path: String, failure: String) throws {
            if isCut { throw PowerCut() }
            let k = calls.count
            calls.append("\(call)(\(shown))")
            if k == cutAt { powerCut(); throw PowerCut() }
            if k == failAt {
                injected = FileSystemError(call: call, path: path, code: failure)
                throw injected!
            }
        }

        /// Every byte not flushed is lost; names stay; nothing is open.
        func powerCut() {
            isCut = true
            for inode in names.values { inode.data = inode.durable }
            open = [:]
        }

        /// The power comes back: later calls work again.
        func restore() {
            isCut = false
            cutAt = nil
            failAt = nil
            calls = []
        }

        static func folder(_ path: String) -> String {
            String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)])
        }

        func create(_ path: String) throws -> Int32 {
            try begin("create", path, path: path, failure: "ENOSPC")
            guard Self.folders.contains(Self.folder(path)) else {
                throw FileSystemError(call: "create", path: path, code: "ENOENT")
            }
            guard names[path] == nil else { throw FileSystemError(call: "create", path: path, code: "EEXIST") }
            let inode = Inode([])
            names[path] = inode
            let fd = nextDescriptor
            nextDescriptor += 1
            open[fd] = (inode, path)
            return fd
        }

        private func file(_ call: String, _ fd: Int32) throws -> Inode {
            guard let f = open[fd] else { throw FileSystemError(call: call, path: "descriptor \(fd)", code: "EBADF") }
            return f.inode
        }

        private func path(of fd: Int32) -> String { open[fd]?.path ?? "descriptor \(fd)" }

        func write(_ fd: Int32, _ bytes: [UInt8]) throws {
            try begin("write", path(of: fd), path: path(of: fd), failure: "ENOSPC")
            try file("write", fd).data += bytes
        }

        func fsync(_ fd: Int32) throws {
            try begin("fsync", path(of: fd), path: path(of: fd), failure: "EIO")
            let inode = try file("fsync", fd)
            inode.durable = inode.data
        }

        func close(_ fd: Int32) throws {
            let shown = path(of: fd)
            let released = open.removeValue(forKey: fd)  // released even when close fails
            try begin("close", shown, path: shown, failure: "EIO")
            guard released != nil else { throw FileSystemError(call: "close", path: shown, code: "EBADF") }
        }

        func rename(_ from: String, _ to: String) throws {
            try begin("rename", "\(from), \(to)", path: from, failure: "EIO")
            guard let inode = names[from] else { throw FileSystemError(call: "rename", path: from, code: "ENOENT") }
            guard Self.folder(from) == Self.folder(to) else {
                throw FileSystemError(call: "rename", path: from, code: "EXDEV")
            }
            names[to] = inode
            names[from] = nil
        }

        func unlink(_ path: String) throws {
            try begin("unlink", path, path: path, failure: "EIO")
            guard names.removeValue(forKey: path) != nil else {
                throw FileSystemError(call: "unlink", path: path, code: "ENOENT")
            }
        }
    }

    static let savePath = "/data/model.ckpt"
    static let previousModel = Array("BPCK yesterday's model, 37 bytes long".utf8)
    static let saveChunks: [[UInt8]] = [Array("BPCK".utf8), (0..<48).map { UInt8($0 * 5 % 256) }, Array("end".utf8)]
    static var newModel: [UInt8] { saveChunks.flatMap { $0 } }

    /// Runs the save; the producer throws ProducerFailure after `failAfter` chunks.
    static func runSave(_ save: SaveAtomically, on disk: SimulatedDisk, producerFailsAfter failAfter: Int? = nil)
        throws -> Error?
    {
        do {
            try save(savePath, disk) { write in
                for (i, chunk) in saveChunks.enumerated() {
                    if i == failAfter { throw ProducerFailure(afterChunks: i) }
                    try write(chunk)
                }
                if failAfter == saveChunks.count { throw ProducerFailure(afterChunks: saveChunks.count) }
            }
            return nil
        } catch let e as NotAttempted {
            throw e
        } catch {
            return error
        }
    }

    /// What `bytes` are, for messages.
    static func describeModel(_ bytes: [UInt8]?) -> String {
        guard let bytes else { return "does not exist" }
        if bytes == previousModel { return "holds the previous model" }
        if bytes == newModel { return "holds the new model" }
        return "holds \(bytes.count) bytes that are neither the previous model (\(previousModel.count) bytes) nor the "
            + "new one (\(newModel.count) bytes)"
    }

    /// Names on the disk besides the model.
    static func leftovers(_ disk: SimulatedDisk) -> [String] { disk.names.keys.filter { $0 != savePath }.sorted() }

    static func history(_ disk: SimulatedDisk, upTo k: Int) -> String {
        let shown = disk.calls.prefix(k)
        return shown.isEmpty ? "before any call" : "after " + shown.suffix(6).joined(separator: ", ")
    }

    /// Collects the failures of one group of cases: the first of each kind
    /// of mistake is reported, with a count of the others like it.
    struct FailureGroup {
        var kinds: [String] = []
        var first: [String: String] = [:]
        var count: [String: Int] = [:]
        mutating func add(_ message: String, kind: String) {
            if first[kind] == nil {
                kinds.append(kind)
                first[kind] = message
            }
            count[kind, default: 0] += 1
        }
        /// After a failed save: the previous model (if the save threw), no
        /// leftovers, nothing open.
        mutating func checkAfterFailure(_ disk: SimulatedDisk, _ setting: String, threw: Bool = true,
                                        commit: String = "") {
            if threw && disk.names[savePath]?.data != previousModel {
                add("\(setting): the save threw, but model.ckpt now \(describeModel(disk.names[savePath]?.data)); a "
                    + "failed save must leave the previous model" + commit, kind: "model" + commit)
            }
            if !leftovers(disk).isEmpty {
                add("\(setting): \(leftovers(disk)) left behind — remove (unlink) the temporary file when anything "
                    + "before the rename fails", kind: "left")
            }
            if !disk.open.isEmpty {
                add("\(setting): \(disk.open.count) file(s) still open — close the file on every path", kind: "open")
            }
        }

        func report(into report: inout GradeReport) {
            for kind in kinds {
                let n = count[kind]! - 1
                report.failures.append(first[kind]! + (n > 0 ? " (and \(n) more case\(n > 1 ? "s" : "") like it)" : ""))
            }
        }
    }

    /// Exercise 9.6: the five promises, each under every failure the disk can inject.
    public static func saveAtomically(_ candidate: SaveAtomically) throws -> GradeReport {
        var report = GradeReport()
        // 1. Nothing fails: the new model, durably, nothing left open or behind.
        var calls: [String] = []
        for previous in [true, false] {
            let disk = SimulatedDisk(files: previous ? [savePath: previousModel] : [:])
            let setting = previous ? "a save over the previous model on a disk where nothing fails"
                : "a first save (no previous file) on a disk where nothing fails"
            if let error = try runSave(candidate, on: disk) {
                var hint = ""
                if let e = error as? FileSystemError, e.code == "EXDEV" {
                    hint = " — the temporary file is on another file system (another folder here): rename works only "
                        + "within one, so create it in the destination's folder"
                } else if let e = error as? FileSystemError, e.code == "EBADF" {
                    hint = " — a call on a file already closed: fsync before close"
                }
                report.failures.append("\(setting): the save threw \(error) after the calls \(disk.calls)" + hint)
                return report
            }
            if previous { calls = disk.calls }
            report.check(disk.names[savePath]?.data == newModel,
                         "\(setting): after the save returned, model.ckpt \(describeModel(disk.names[savePath]?.data))")
            report.check(disk.names[savePath]?.durable == newModel,
                         "\(setting): a power cut right after the save returned would leave model.ckpt "
                            + "\(describeModel(disk.names[savePath]?.durable)) — the bytes must be flushed (fsync) "
                            + "before the save returns. Calls: \(disk.calls)")
            report.check(leftovers(disk).isEmpty, "\(setting): \(leftovers(disk)) left behind")
            report.check(disk.open.isEmpty, "\(setting): the save returned with \(disk.open.count) file(s) still "
                + "open — close what you open")
        }
        let renameAt = calls.firstIndex { $0.hasPrefix("rename(") }

        // 2a. The producer fails after each chunk.
        var producer = FailureGroup()
        for m in 0...saveChunks.count {
            let disk = SimulatedDisk(files: [savePath: previousModel])
            let setting = "the producer threw after \(m) of \(saveChunks.count) chunks"
            let error = try runSave(candidate, on: disk, producerFailsAfter: m)
            if error == nil {
                producer.add("\(setting): the save returned normally; it must throw the producer's error", kind: "returned")
            } else if (error as? ProducerFailure) != ProducerFailure(afterChunks: m) {
                producer.add("\(setting): the save threw \(error!) — rethrow the producer's error unchanged (a "
                    + "cleanup that throws must not replace it)", kind: "error")
            }
            producer.checkAfterFailure(disk, setting, threw: error != nil)
        }
        producer.report(into: &report)

        // 2b. Each call fails in turn.
        var failing = FailureGroup()
        for k in 0..<calls.count {
            let disk = SimulatedDisk(files: [savePath: previousModel])
            disk.failAt = k
            let error = try runSave(candidate, on: disk)
            guard k < disk.calls.count else { continue }
            let call = disk.calls[k]
            guard let injected = disk.injected else { continue }
            let setting = "call \(k + 1), \(call), failed (\(calls.count) calls when nothing fails: \(calls))"
            let commit = renameAt.map { k > $0 } == true
                ? " — rename is the commit point: do everything that can fail (write, fsync, close) before it, and "
                    + "nothing after it" : ""
            if error == nil {
                failing.add("\(setting): the save returned normally; a save whose \(injected.call) failed must throw"
                    + (injected.call == "close" ? " (close can report a write that failed late)" : "") + commit,
                            kind: "returned" + commit)
            } else if (error as? FileSystemError) != injected {
                failing.add("\(setting): the save threw \(error!) instead of \(injected) — pass on the error of "
                    + "the call that failed, unchanged", kind: "error")
            }
            failing.checkAfterFailure(disk, setting, threw: error != nil, commit: commit)
        }
        failing.report(into: &report)

        // 3. The power is cut before each call in turn.
        var cut = FailureGroup()
        var leftBehind: SimulatedDisk?
        for k in 0..<calls.count {
            let disk = SimulatedDisk(files: [savePath: previousModel])
            disk.cutAt = k
            _ = try runSave(candidate, on: disk)
            if !disk.isCut { disk.powerCut() }
            let after = disk.names[savePath]?.data
            if after != previousModel && after != newModel {
                var hint = ""
                if let r = renameAt, k > r, let sync = calls.firstIndex(where: { $0.hasPrefix("fsync(") }), sync > r {
                    hint = " — the renamed file's bytes had not reached the disk: fsync the temporary file before "
                        + "renaming it"
                } else if after == nil || calls.contains(where: { $0.hasPrefix("unlink(\(savePath)") || $0 == "create(\(savePath))" }) {
                    hint = " — never remove or write the destination itself: write a temporary file and rename it "
                        + "over the destination"
                } else if renameAt.map({ k > $0 }) == true {
                    hint = " — fsync the temporary file before renaming it"
                }
                cut.add("a power cut just before call \(k + 1), \(calls[k]) (\(history(disk, upTo: k))), leaves "
                    + "model.ckpt that \(describeModel(after))" + hint, kind: hint)
            }
            if leftBehind == nil && !leftovers(disk).isEmpty { leftBehind = disk }
        }
        cut.report(into: &report)

        // 4. A save beside the temporary file a cut-off save left behind.
        if let disk = leftBehind {
            let stale = leftovers(disk)
            disk.restore()
            if let error = try runSave(candidate, on: disk) {
                var hint = ""
                if let e = error as? FileSystemError, e.code == "EEXIST" {
                    hint = " — a fixed temporary name collides with the one a cut-off save left: give each save a "
                        + "fresh name (UUID)"
                }
                report.failures.append("after a power cut left \(stale) behind, the next save threw \(error)" + hint)
            } else {
                report.check(disk.names[savePath]?.data == newModel, "after a power cut left \(stale) behind, the next "
                    + "save returned but model.ckpt \(describeModel(disk.names[savePath]?.data))")
            }
        }
        return report
    }
}
