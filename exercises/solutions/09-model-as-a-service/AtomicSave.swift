// Reference solution of exercise 9.6 (exercises/09-model-as-a-service/AtomicSave.swift).
//
// The bugs of the given save: (1) it renames before fsync, so a power cut
// between the two leaves an empty checkpoint, and a failing fsync or close
// is reported after the old file is already gone; (2) after a failure it
// closes the temporary file but never removes it; (3) its temporary name is
// fixed, so one left by a cut-off save makes every later create fail with
// EEXIST. (A close that throws in its catch would also replace the
// producer's error, and a failure after the rename leaves the file open.)

import ExerciseKit
import Foundation

public func saveAtomically(to path: String, fileSystem fs: any SaveFileSystem,
                           producing produce: (_ write: ([UInt8]) throws -> Void) throws -> Void) throws {
    let slash = path.lastIndex(of: "/")!
    let temporary = String(path[..<slash]) + "/." + path[path.index(after: slash)...] + "." + UUID().uuidString + ".tmp"
    let file = try fs.create(temporary)
    var open = true
    do {
        try produce { bytes in try fs.write(file, bytes) }
        try fs.fsync(file)
        open = false  // close releases the descriptor even when it throws
        try fs.close(file)
        try fs.rename(temporary, path)  // the commit point: nothing can fail after it
    } catch {
        if open { try? fs.close(file) }
        try? fs.unlink(temporary)
        throw error
    }
}
