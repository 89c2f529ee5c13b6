import CZeroMQ
#if canImport(Glibc)
import Glibc
#endif

/// Repeats a libzmq call that failed with EINTR.
///
/// Why: socket set-up calls (`zmq_bind`, `zmq_connect`, `zmq_socket_monitor`, `zmq_setsockopt`, …)
/// first process the socket's command mailbox, and a signal arriving then makes them fail with
/// EINTR before they have done anything. A daemon that receives SIGTERM while it starts must stop
/// cleanly, not refuse to start with "Interrupted system call"; these calls are idempotent when
/// they failed that early, so trying again is the right answer. Receives, sends and polls keep
/// returning EINTR to their callers, whose loops check for a stop request.
@inline(__always)
func retryingOnInterrupt(_ call: () -> Int32) -> Int32 {
    while true {
        let rc = call()
        if rc == 0 || zmq_errno() != EINTR { return rc }
    }
}
