import ArgumentParser
import Foundation

/// `stackd generate-manual`: the man page, generated from the command definitions themselves
/// (each command's abstract, discussion and the help text ArgumentParser derives from its
/// options), so it cannot drift from the binary. Hidden: an install step, not a daily command.
///
///     stackd generate-manual > /usr/local/share/man/man1/stackd.1
struct GenerateManual: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate-manual",
        abstract: "Print the stackd(1) man page (roff), generated from the command definitions.",
        shouldDisplay: false)

    func run() throws {
        print(ManualPage.render(), terminator: "")
    }
}

/// The roff text of stackd(1).
enum ManualPage {
    static func render() -> String {
        let root = Stackd.configuration
        var page = """
            .TH STACKD 1 "" "stackd \(StackdVersion.string)" "User Commands"
            .SH NAME
            stackd \\- \(escape(root.abstract))
            .SH SYNOPSIS
            .B stackd
            .I command
            .RI [ options ]
            .br
            .B stackd \\-\\-version
            .br
            .B stackd \\-\\-generate\\-completion\\-script
            .RB { bash | zsh | fish }
            .SH DESCRIPTION
            \(escape(root.discussion))
            .SH COMMANDS

            """
        for (path, command) in commands(root.subcommands, prefix: ["stackd"]) {
            let c = command.configuration
            page += ".SS \"\(path.joined(separator: " "))\"\n"
            if !c.abstract.isEmpty { page += escape(c.abstract) + "\n" }
            page += ".PP\n.nf\n"
            var help = Stackd.helpMessage(for: command, columns: 100)
            if help.hasPrefix("OVERVIEW: "), let end = help.range(of: "\n\n") { help = String(help[end.upperBound...]) }   // the abstract, above
            page += escape(help).trimmingCharacters(in: .newlines) + "\n"
            page += ".fi\n"
        }
        page += """
            .SH VERSION
            .B stackd \\-\\-version
            prints stackd's version and the versions of libzmq, liblz4, OpenBLAS and XGBoost loaded at run time.
            .SH SHELL COMPLETION
            .nf
            stackd \\-\\-generate\\-completion\\-script bash > /etc/bash_completion.d/stackd
            stackd \\-\\-generate\\-completion\\-script zsh > /usr/local/share/zsh/site\\-functions/_stackd
            stackd \\-\\-generate\\-completion\\-script fish > ~/.config/fish/completions/stackd.fish
            .fi
            .SH SEE ALSO
            The README and schemas/ of the stackd repository.

            """
        return page
    }

    /// Every displayed command below `subcommands`, depth first, with its full command path.
    static func commands(_ subcommands: [ParsableCommand.Type], prefix: [String]) -> [([String], ParsableCommand.Type)] {
        var out: [([String], ParsableCommand.Type)] = []
        for command in subcommands where command.configuration.shouldDisplay {
            let path = prefix + [command._commandName]
            out.append((path, command))
            out += commands(command.configuration.subcommands, prefix: path)
        }
        return out
    }

    /// Text safe in roff: backslashes escaped, no line starting with a control character.
    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\e")
            .split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.hasPrefix(".") || $0.hasPrefix("'") ? "\\&" + $0 : String($0) }
            .joined(separator: "\n")
    }
}
