import StackdZMQ

extension ZMQSocket {
    /// On a consumer of the daemon's binary outputs (`[topic][payload]`): receives until the
    /// output of the row at event time `eventTime` arrives (true), or until no output has come for
    /// `silenceMilliseconds` (false). The wait is bounded by a poll, not by the socket's receive
    /// timeout, so one consumer can wait briefly while warming up and long for a sentinel.
    func awaitOutput(eventTime: Int64, into message: ZMQMessage, silenceMilliseconds: Int) throws -> Bool {
        var items = [ZMQPollItem(socket: self)]
        while try ZMQSocket.poll(&items, timeoutMilliseconds: silenceMilliseconds) > 0 {
            guard try receive(into: message, dontWait: true), message.hasMore else { continue }
            guard try receive(into: message) else { return false }
            // The binary ensemble payload's event time (schemas/wire.md §5.3).
            let ts = message.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 16, as: Int64.self) }
            if ts == eventTime { return true }
        }
        return false
    }
}
