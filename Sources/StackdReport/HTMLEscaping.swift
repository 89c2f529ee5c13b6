/// Model names, reasons and source paths come from outside (data files, trainers), and the report
/// is opened in a browser: every piece of text goes through here before it reaches the page.
public enum HTMLEscaping {
    /// Escapes `& < > " '` so the text is safe in element content and in quoted attributes.
    public static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for ch in s.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }
}
