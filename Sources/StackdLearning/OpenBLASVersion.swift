import COpenBLAS

/// The OpenBLAS loaded at run time: its build configuration (version, threading, core list) and
/// the CPU core it selected. `stackd --version` shows both, since fits differ in speed (and in
/// the last bits) across builds and cores.
public enum OpenBLASVersion {
    /// `openblas_get_config()`, e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Haswell MAX_THREADS=64".
    public static var configuration: String { openblas_get_config().map { String(cString: $0) } ?? "unknown" }
    /// `openblas_get_corename()`, e.g. "Haswell".
    public static var coreName: String { openblas_get_corename().map { String(cString: $0) } ?? "unknown" }
}
