// Exercise 9.6's grader is tested too: it accepts the reference solution and
// rejects the save the stub gives and saves with one mistake each, saying why.

#if canImport(Solutions09)
import ExerciseKit
import Foundation
@testable import Graders09
import Solutions09
import Testing

@Suite struct Chapter09AtomicSaveGraderSelfTests {
    @Test func graderAcceptsTheSolution() throws {
        let report = try Chapter09Graders.saveAtomically(Solutions09.saveAtomically)
        #expect(report.passed, "\(report.failures)")
    }

    /// The simulated disk loses unflushed bytes and keeps names on a power cut.
    @Test func thePowerCutModel() throws {
        let disk = Chapter09Graders.SimulatedDisk(files: ["/data/a": [1, 2]])
        let fd = try disk.create("/data/b")
        try disk.write(fd, [7, 7, 7])
        try disk.fsync(fd)
        try disk.write(fd, [8])
        try disk.rename("/data/b", "/data/a")
        #expect(throws: FileSystemError(call: "rename", path: "/data/a", code: "EXDEV")) {
            try disk.rename("/data/a", "/tmp/a")
        }
        disk.powerCut()
        #expect(disk.names["/data/a"]?.data == [7, 7, 7] && disk.names["/data/b"] == nil && disk.open.isEmpty)
        #expect(throws: Chapter09Graders.PowerCut.self) { try disk.unlink("/data/a") }
    }

    enum Mistake: CaseIterable {
        case asGiven, inPlace, tmpFolder, noFsync, leaksOnFailure, wrapsErrors, renameBeforeClose, ignoresCloseError,
             fixedName
    }

    struct SaveFailed: Error {}

    /// A save with one mistake (or the stub's, with several).
    static func save(_ mistake: Mistake) -> SaveAtomically {
        { path, fs, produce in
            let slash = path.lastIndex(of: "/")!
            let name = String(path[path.index(after: slash)...])
            let folder = mistake == .tmpFolder ? "/tmp" : String(path[..<slash])
            let unique = mistake == .asGiven || mistake == .fixedName ? "" : "." + UUID().uuidString
            let temporary = folder + "/." + name + unique + ".tmp"
            switch mistake {
            case .asGiven:
                let file = try fs.create(temporary)
                do {
                    try produce { bytes in try fs.write(file, bytes) }
                } catch {
                    try fs.close(file)
                    throw error
                }
                try fs.rename(temporary, path)
                try fs.fsync(file)
                try fs.close(file)
            case .inPlace:
                try? fs.unlink(path)
                let file = try fs.create(path)
                defer { try? fs.close(file) }
                try produce { bytes in try fs.write(file, bytes) }
                try fs.fsync(file)
            default:
                let file = try fs.create(temporary)
                var open = true
                do {
                    try produce { bytes in try fs.write(file, bytes) }
                    if mistake != .noFsync { try fs.fsync(file) }
                    if mistake == .renameBeforeClose {
                        try fs.rename(temporary, path)
                        open = false
                        try fs.close(file)
                        return
                    }
                    open = false
                    if mistake == .ignoresCloseError { try? fs.close(file) } else { try fs.close(file) }
                    try fs.rename(temporary, path)
                } catch {
                    if open && mistake != .leaksOnFailure { try? fs.close(file) }
                    try? fs.unlink(temporary)
                    throw mistake == .wrapsErrors ? SaveFailed() : error
                }
            }
        }
    }

    @Test("the atomic-save grader rejects broken saves and says why", arguments: [
        (Mistake.asGiven, ["fsync the temporary file before renaming it", "remove (unlink) the temporary file",
                           "rename is the commit point", "fresh name (UUID)"]),
        (.inPlace, ["never remove or write the destination itself"]),
        (.tmpFolder, ["another file system"]),
        (.noFsync, ["must be flushed (fsync) before the save returns"]),
        (.leaksOnFailure, ["close the file on every path"]),
        (.wrapsErrors, ["rethrow the producer's error unchanged", "pass on the error of the call that failed"]),
        (.renameBeforeClose, ["rename is the commit point"]),
        (.ignoresCloseError, ["close can report a write that failed late"]),
        (.fixedName, ["fresh name (UUID)"]),
    ])
    func graderRejects(mistake: Mistake, hints: [String]) throws {
        let report = try Chapter09Graders.saveAtomically(Self.save(mistake))
        #expect(!report.passed, "grader accepted: \(mistake)")
        for hint in hints {
            #expect(report.failures.contains { $0.contains(hint) }, "no hint '\(hint)' in \(report.failures)")
        }
    }
}
#endif
