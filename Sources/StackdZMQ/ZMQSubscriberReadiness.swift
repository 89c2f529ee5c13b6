import CZeroMQ

extension ZMQSocket {
    /// Blocks until a subscription reaches this XPUB socket and returns its topic prefix, or
    /// nil if none arrived within the timeout.
    ///
    /// PUB/SUB has a slow-joiner problem: a subscription travels to the publisher asynchronously,
    /// and whatever is published before it lands is dropped for that subscriber. An XPUB socket
    /// publishes exactly like PUB but also delivers each subscription as a frame (`0x01` +
    /// prefix), so a publisher can wait for it instead of sleeping and hoping. Unsubscriptions
    /// (`0x00` + prefix) are skipped.
    ///
    /// Without `xpubVerbose`, XPUB forwards only the first subscription to each prefix; enable it
    /// to observe every subscriber.
    public func waitForSubscriber(timeoutMilliseconds: Int) throws -> [UInt8]? {
        guard type == .xpub else {
            throw ZMQError(code: EINVAL, operation: "wait for subscriber on \(type) socket (needs XPUB)")
        }
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .milliseconds(timeoutMilliseconds))
        let message = ZMQMessage()
        var items = [ZMQPollItem(socket: self)]
        while true {
            // Poll with the remaining budget rather than relying on the socket's receive timeout,
            // which belongs to the caller.
            let remaining = timeoutMilliseconds < 0 ? -1 : milliseconds(deadline - clock.now)
            guard try ZMQSocket.poll(&items, timeoutMilliseconds: remaining) > 0 else { return nil }
            guard try receive(into: message, dontWait: true) else { continue }
            let subscription = message.withUnsafeBytes { bytes -> [UInt8]? in
                bytes.first == 1 ? Array(bytes.dropFirst()) : nil
            }
            if let subscription { return subscription }
        }
    }
}

/// Whole milliseconds in `duration`, rounded up so a sub-millisecond remainder still polls.
private func milliseconds(_ duration: Duration) -> Int {
    guard duration > .zero else { return 0 }
    let (seconds, attoseconds) = duration.components
    return Int(seconds) * 1000 + Int((attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000)
}
