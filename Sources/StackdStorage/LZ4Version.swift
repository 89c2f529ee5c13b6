import CLZ4

/// The version of the liblz4 loaded at run time (`LZ4_versionString`), which may differ from the
/// headers compiled against: `stackd --version` shows it so a bug report names the real library.
public enum LZ4Version {
    public static var current: String { String(cString: LZ4_versionString()) }
}
