// Exercise 9.6 — find the bugs in an atomic save
// (chapters/09-model-as-a-service.md, "Atomic save").
//
// Debug and measure. `backprop train … --save model.ckpt` replaces
// yesterday's model. Somebody wrote the save below, against the file-system
// calls of `SaveFileSystem` (in ExerciseKit: create, write, fsync, close,
// rename, unlink, as in POSIX). `produce` writes the checkpoint's bytes by
// calling the `write` it is given, once per chunk; it may throw part-way (a
// NaN found in the last tensor, say).
//
//   public func saveAtomically(to path: String, fileSystem fs: any SaveFileSystem,
//                              producing produce: (_ write: ([UInt8]) throws -> Void) throws -> Void) throws {
//       let slash = path.lastIndex(of: "/")!
//       let temporary = String(path[..<slash]) + "/." + path[path.index(after: slash)...] + ".tmp"
//       let file = try fs.create(temporary)
//       do {
//           try produce { bytes in try fs.write(file, bytes) }
//       } catch {
//           try fs.close(file)
//           throw error
//       }
//       try fs.rename(temporary, path)
//       try fs.fsync(file)
//       try fs.close(file)
//   }
//
// Its author's test saves, reads the file back and compares: it passes. Yet
// it breaks the promises below, which only show when something goes wrong.
// Find its bugs (there is more than one) and write a save that keeps them:
//
//   1. If the save returns, `path` holds exactly the produced bytes, and a
//      power cut right after would not lose them.
//   2. If it throws (the producer's error, or a file-system call that
//      failed: a full disk, EIO from fsync or close, a rename refused), `path`
//      still holds the previous file (or still does not exist), no file the
//      save created is left behind, and the error thrown is the one that
//      occurred, unchanged.
//   3. A power cut at ANY moment of the save leaves `path` holding the
//      previous file or the new one, whole. (It may leave a temporary file.)
//   4. A temporary file left behind by an earlier save that was cut off does
//      not stop the next save.
//   5. No file stays open, whatever happens.
//
// The grader runs your save on a simulated disk. It keeps, for each file,
// the bytes written so far and the bytes that have reached the disk (fsync);
// a power cut keeps every name created, renamed or removed but loses every
// byte that was not flushed, as file systems with delayed allocation did.
// Then, one run per case: each call the save makes fails in turn, the
// producer fails after each chunk, the power is cut before each call and
// right after the save returns, and a new save runs beside the temporary file
// a cut-off one left. Use only the calls of `fileSystem`; write nothing else.
// Foundation's UUID() gives a fresh name.
//
// Replace the `throw` with your code, then run:
//   swift test --package-path exercises/09-model-as-a-service --filter Chapter09Exercises/saveAtomically

import ExerciseKit
import Foundation

public func saveAtomically(to path: String, fileSystem fs: any SaveFileSystem,
                           producing produce: (_ write: ([UInt8]) throws -> Void) throws -> Void) throws {
    throw NotAttempted()
}
