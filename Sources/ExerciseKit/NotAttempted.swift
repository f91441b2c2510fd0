public struct NotAttempted: Error {}
