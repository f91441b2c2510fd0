// ShutdownSignal: waits for SIGINT (Ctrl-C) or SIGTERM with Dispatch signal
// sources, so the server can stop gracefully instead of dying mid-request.
// The default action of each signal is ignored while we wait (otherwise the
// process would exit before the source sees it) and the previous action is
// restored afterwards, so a second Ctrl-C during a slow drain still ends the
// process.

import BackpropCore
import Dispatch
import Foundation

public enum ShutdownSignal {
    /// Blocks until one of `signals` arrives; returns it.
    public static func wait(for signals: [Int32] = [SIGINT, SIGTERM]) -> Int32 {
        let received = DispatchSemaphore(value: 0)
        let which = LockedValue<Int32>(0)
        let queue = DispatchQueue(label: "shutdown-signals")
        var previous: [(Int32, sighandler_t?)] = []
        let sources = signals.map { number -> DispatchSourceSignal in
            previous.append((number, signal(number, SIG_IGN)))
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler {
                which.set(number)
                received.signal()
            }
            source.resume()
            return source
        }
        received.wait()
        for source in sources { source.cancel() }
        for (number, action) in previous { signal(number, action) }
        return which.get()
    }
}
