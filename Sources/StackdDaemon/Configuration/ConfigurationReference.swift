/// Generates `schemas/config.schema.json` and the README's configuration table from
/// ``ConfigurationKeys``; `ConfigurationReferenceTests` compares the committed files with these
/// (and rewrites them with `STACKD_REGENERATE_CONFIG_REFERENCE=1`), so they cannot drift.
package enum ConfigurationReference {
    /// Sections that must be present: the ones with a required key, and the two socket sections
    /// (each needs at least one endpoint).
    static let requiredSections = ["models", "stream", "input", "output"]
    /// Schema for the items of the endpoint keys (the loader's own check is stricter).
    static let endpointPattern = "^(tcp|ipc|inproc)://."

    /// The JSON Schema (draft 2020-12) of the configuration file, as text.
    package static func jsonSchema() -> String {
        var sections: [(String, JSONValue)] = []
        for (name, keys) in ConfigurationKeys.sections {
            var properties: [(String, JSONValue)] = []
            for key in keys { properties.append((key.name, schema(of: key))) }
            var object: [(String, JSONValue)] = [
                ("type", .string("object")),
                ("additionalProperties", .bool(false)),
                ("properties", .object(properties)),
                ("required", .array(keys.filter(\.required).map { .string($0.name) })),
            ]
            if name == "input" || name == "output" {
                object.append(("anyOf", .array(["connect", "bind"].map { k in
                    .object([("required", .array([.string(k)])),
                             ("properties", .object([(k, .object([("minItems", .int(1))]))]))])
                })))
            }
            sections.append((name, .object(object)))
        }
        let root: JSONValue = .object([
            ("$schema", .string("https://json-schema.org/draft/2020-12/schema")),
            ("$id", .string("urn:stackd:config:v1")),
            ("title", .string("stackd configuration (TOML), version 1")),
            ("description", .string("The TOML file `stackd run --config` reads, as the JSON document TOML parsers produce. Generated from the loader's key table (Sources/StackdDaemon/Configuration/ConfigurationKeys.swift); `stackd check-config` enforces the same rules and more (cross-key rules, endpoint syntax, the memory budget, the host checks) and reports each violation with its line and key; unknown sections and keys are errors. `x-stackd-reload` says what a change does on SIGHUP.")),
            ("type", .string("object")),
            ("additionalProperties", .bool(false)),
            ("required", .array(requiredSections.map(JSONValue.string))),
            ("properties", .object(sections)),
        ])
        return root.render(indent: 0) + "\n"
    }

    static func schema(of key: ConfigurationKey) -> JSONValue {
        var out: [(String, JSONValue)] = []
        switch key.type {
        case .integer(let r):
            out += [("type", .string("integer")), ("minimum", .int(r.lowerBound)), ("maximum", .int(r.upperBound))]
        case .number(let r):
            out += [("type", .string("number")), ("minimum", .number(r.lowerBound)), ("maximum", .number(r.upperBound))]
        case .duration(let r, let unit):
            out += [("type", .string("number")), ("minimum", .number(r.lowerBound)), ("maximum", .number(r.upperBound)),
                    ("x-stackd-unit", .string(unit.rawValue))]
        case .boolean: out.append(("type", .string("boolean")))
        case .string: out.append(("type", .string("string")))
        case .choice(let words): out.append(("enum", .array(words.map(JSONValue.string))))
        case .strings(let pattern):
            var items: [(String, JSONValue)] = [("type", .string("string"))]
            if let pattern { items.append(("pattern", .string(pattern))) }
            else if ["connect", "bind"].contains(key.name) { items.append(("pattern", .string(endpointPattern))) }
            out += [("type", .string("array")), ("items", .object(items))]
        case .integers(let r):
            out += [("type", .string("array")),
                    ("items", .object([("type", .string("integer")), ("minimum", .int(r.lowerBound)), ("maximum", .int(r.upperBound))]))]
        }
        if let d = key.defaultValue { out.append(("default", json(d))) }
        out.append(("description", .string(key.doc)))
        out.append(("x-stackd-reload", .string(key.reload.rawValue)))
        return .object(out)
    }

    static func json(_ v: ConfigurationValue) -> JSONValue {
        switch v {
        case .integer(let i): return .int(i)
        case .number(let d): return .number(d)
        case .boolean(let b): return .bool(b)
        case .string(let s): return .string(s)
        case .strings(let a): return .array(a.map(JSONValue.string))
        case .integers(let a): return .array(a.map(JSONValue.int))
        }
    }

    /// The README's table: one row per key, in table order.
    package static func markdownTable() -> String {
        var lines = ["| key | type, range | default | on reload | meaning |", "|---|---|---|---|---|"]
        for key in ConfigurationKeys.all {
            let def = key.defaultText ?? key.defaultValue.map { "`\($0.description)`" } ?? "none"
            lines.append("| `\(key.path)` | \(typeText(key.type)) | \(def) | \(key.reload.rawValue) | \(key.doc) |")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func typeText(_ type: ConfigurationValueType) -> String {
        func n(_ d: Double) -> String { ConfigurationValue.number(d).description }
        switch type {
        case .integer(let r): return "integer \(r.lowerBound)–\(r.upperBound)"
        case .number(let r): return "number \(n(r.lowerBound))–\(n(r.upperBound))"
        case .duration(let r, let unit): return "\(unit.rawValue) \(n(r.lowerBound))–\(n(r.upperBound))"
        case .boolean: return "boolean"
        case .string: return "string"
        case .choice: return "word"
        case .strings: return "strings"
        case .integers(let r): return "integers \(r.lowerBound)–\(r.upperBound)"
        }
    }
}
