// AtomicFile: every file the book writes (figures, embeddings, checkpoints)
// goes through here, so a failed or interrupted save never leaves a
// half-written file or destroys the previous one.
//
// The data goes to a temporary file in the destination's folder, is flushed
// to disk (fsync), and is then renamed over the destination. rename(2) within
// one file system replaces the target in one step: a reader sees the old
// file or the new one, never a mixture.

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
        let fileManager = FileManager.default
        let directory = url.deletingLastPathComponent()
        do {
            try fileManager.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw FileWriteError(path: url.path, reason: "cannot create the folder \(directory.path)")
        }
        let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
        do {
            guard fileManager.createFile(atPath: temporary.path, contents: nil) else {
                throw FileWriteError(path: url.path, reason: "cannot create a temporary file in \(directory.path)")
            }
            let handle = try FileHandle(forWritingTo: temporary)
            defer { try? handle.close() }
            try handle.write(contentsOf: data)
            try handle.synchronize()  // fsync: the bytes are on disk before the rename
            guard rename(temporary.path, url.path) == 0 else {
                throw FileWriteError(path: url.path, reason: String(cString: strerror(errno)))
            }
        } catch let error as FileWriteError {
            try? fileManager.removeItem(at: temporary)
            throw error
        } catch {
            try? fileManager.removeItem(at: temporary)
            throw FileWriteError(path: url.path, reason: error.localizedDescription)
        }
    }
}
