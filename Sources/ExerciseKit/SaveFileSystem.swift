// The file-system calls of exercise 9.6's atomic save (exercises/
// 09-model-as-a-service/AtomicSave.swift), named as in POSIX. They live here,
// not in the exercise file, so that the student's save, the reference
// solution and the grader's simulated disk share them.

/// A failed file-system call: the call, its path and the errno name.
public struct FileSystemError: Error, Equatable, Sendable, CustomStringConvertible {
    /// "create", "write", "fsync", "close", "rename" or "unlink".
    public var call: String
    public var path: String
    /// ENOSPC, EIO, EEXIST, ENOENT, EXDEV, EBADF, …
    public var code: String

    public init(call: String, path: String, code: String) {
        self.call = call
        self.path = path
        self.code = code
    }

    public var description: String { "\(call)(\(path)) failed: \(code)" }
}

/// The calls a save needs. A descriptor is an Int32, as in POSIX; paths are
/// absolute ("/data/model.ckpt").
public protocol SaveFileSystem: AnyObject {
    /// open(path, O_WRONLY | O_CREAT | O_EXCL): creates a new, empty file and
    /// opens it for writing. Throws EEXIST if the name exists, ENOENT if its
    /// folder does not.
    func create(_ path: String) throws -> Int32
    /// write(2): appends all of `bytes` to the open file (ENOSPC when the disk is full).
    func write(_ file: Int32, _ bytes: [UInt8]) throws
    /// fsync(2): returns once the file's bytes are on the disk (EIO when they could not be written).
    func fsync(_ file: Int32) throws
    /// close(2). The descriptor is released even when close throws (it may
    /// report a write that failed late, EIO).
    func close(_ file: Int32) throws
    /// rename(2): gives the file called `from` the name `to`, replacing a
    /// file called `to` in one step. Both names must be on one file system
    /// (EXDEV otherwise).
    func rename(_ from: String, _ to: String) throws
    /// unlink(2): removes a name.
    func unlink(_ path: String) throws
}
