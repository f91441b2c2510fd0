// The errors of exercise 9.2's frame reader (exercises/09-model-as-a-service/
// ReadFrame.swift). They live here, not in the exercise file, so the
// student's answer, the reference solution and the grader share one type.

/// Why a byte string is not a valid frame.
public enum FrameError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Fewer bytes than the header, or than the length field promises.
    case truncated
    /// The first four bytes are not the magic "BPF1".
    case badMagic
    /// Bytes follow the checksum.
    case trailingBytes
    /// The stored CRC-32 is not the CRC-32 of everything before it.
    case checksumMismatch

    public var description: String {
        switch self {
        case .truncated: return "truncated"
        case .badMagic: return "badMagic"
        case .trailingBytes: return "trailingBytes"
        case .checksumMismatch: return "checksumMismatch"
        }
    }
}
