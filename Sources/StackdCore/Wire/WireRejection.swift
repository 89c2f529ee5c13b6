/// A refusal raised while decoding or validating one message.
///
/// It is thrown with typed throws so that rejecting a message costs no allocation: the detail
/// is a static string, and the context (topic, sender) is added by the driver when it logs.
public struct WireRejection: Error, Sendable, Equatable {
    public var reason: RejectReason
    public var detail: StaticString

    public init(_ reason: RejectReason, _ detail: StaticString) {
        self.reason = reason
        self.detail = detail
    }

    public static func == (lhs: WireRejection, rhs: WireRejection) -> Bool {
        lhs.reason == rhs.reason && "\(lhs.detail)" == "\(rhs.detail)"
    }
}
