// AtomicFile: every file the book writes (figures, embeddings, checkpoints)
// goes through here, so a failed or interrupted save never leaves a
// half-written file or destroys the previous one.
//
// The data goes to a temporary file in the destination's folder, is flushed
// to disk (fsync), and is then renamed over the destination. rename(2) within
// one file system replaces the target in one step: a reader sees the old
// file or the new one, never a mixture.
//
// Chapter 9 explains it (chapters/09-model-as-a-service.md, "Atomic save").

import Foundation

/// An error writing a file: the message names the path and the reason.
public struct FileWriteError: Error, CustomStringConvertible, Sendable {
    public let path: String
    public let reason: String
    public var description: String { "cannot write \(path): \(reason)" }
}

public enum AtomicFile {
    /// Writes `data` to `url` atomically, creating missing parent folders.
    /// - Throws: `FileWriteError`; the previous file at `url`, if any, is untouched.
    public static func write(_ data: Data, to url: URL) throws {
        try write(to: url) { handle in
            do { try handle.write(contentsOf: data) } catch {
                throw FileWriteError(path: url.path, reason: error.localizedDescription)
            }
        }
    }

    /// Writes whatever `produce` writes into the handle, atomically: the
    /// destination changes only if `produce` returns and the bytes reach the
    /// disk. If `produce` throws halfway, the temporary file is removed, the
    /// previous file at `url` is untouched, and `produce`'s own error is
    /// rethrown unchanged.
    /// - Throws: `FileWriteError` for a file-system failure, or `produce`'s error.
    public static func write(to url: URL, producing produce: (FileHandle) throws -> Void) throws {
        let fileManager = FileManager.default
        let directory = url.deletingLastPathComponent()
        do {
            try fileManager.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw FileWriteError(path: url.path, reason: "cannot create the folder \(directory.path)")
        }
        let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
        guard fileManager.createFile(atPath: temporary.path, contents: nil) else {
            throw FileWriteError(path: url.path, reason: "cannot create a temporary file in \(directory.path)")
        }
        do {
            let handle: FileHandle
            do { handle = try FileHandle(forWritingTo: temporary) } catch {
                throw FileWriteError(path: url.path, reason: error.localizedDescription)
            }
            defer { try? handle.close() }
            try produce(handle)  // the producer's errors pass through unchanged
            do { try handle.synchronize() } catch {  // fsync: the bytes are on disk before the rename
                throw FileWriteError(path: url.path, reason: error.localizedDescription)
            }
            guard rename(temporary.path, url.path) == 0 else {
                throw FileWriteError(path: url.path, reason: String(cString: strerror(errno)))
            }
        } catch {
            try? fileManager.removeItem(at: temporary)
            throw error
        }
    }
}
