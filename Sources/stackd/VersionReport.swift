import StackdLearning
import StackdStorage
import StackdXGBoost
import StackdZMQ

/// What `stackd --version` prints: stackd's version, then one line per native library as loaded
/// at run time (not as compiled against), so that a bug report names the libraries really used.
enum VersionReport {
    /// `openblas_get_config()` starts with "OpenBLAS <version>" in every release.
    static var openBLAS: String {
        let c = OpenBLASVersion.configuration
        return c.hasPrefix("OpenBLAS") ? c : "OpenBLAS \(c)"
    }

    static var text: String {
        """
        stackd \(StackdVersion.string)
        libzmq \(ZMQVersion.current)
        liblz4 \(LZ4Version.current)
        \(openBLAS) (core \(OpenBLASVersion.coreName))
        XGBoost \(XGBoostVersion.linked)
        """
    }
}
