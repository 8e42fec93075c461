public import CRIUImages
import Foundation

/// A node file that cannot be used: the file, the key (`cpu.capability_words[3]`) and what is wrong.
public struct NodeFactsError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The node file.
    public var file: String
    /// The JSON key path of the bad value; empty for the whole document.
    public var key: String
    /// What is wrong.
    public var message: String

    /// An error about `key` of `file`.
    public init(file: String, key: String, message: String) {
        self.file = file
        self.key = key
        self.message = message
    }

    /// `node-b.json: cpu.capability_words[3]: expected an integer, found a string`.
    public var description: String { "\(file): " + (key.isEmpty ? "" : "\(key): ") + message }
}

extension NodeFacts {
    /// The facts as a `ckpt-inspect/host/v1` document (Schemas/host.schema.json).
    public var json: JSONValue {
        let features: JSONValue = .array(kernelFeatures.map { f in
            JSONValue.object([("name", .string(f.name)), ("available", Self.bool(f.available)), ("evidence", .string(f.evidence))])
        })
        let members: [(String, JSONValue)] = [
            ("schema", .string(Self.schemaVersion)),
            ("hostname", Self.string(hostname)),
            ("captured_at", Self.string(capturedAt)),
            ("tool_version", Self.string(toolVersion)),
            ("architecture", Self.string(architecture)),
            ("page_size", Self.int(pageSize)),
            ("kernel", .object([("release", Self.string(kernelRelease)), ("version", Self.string(kernelVersion))])),
            ("euid", Self.int(euid)),
            ("kernel_features", features),
            ("cpu", cpu.map(Self.json) ?? .null),
            ("criu", criu.map(Self.json) ?? .null),
            ("cgroups", cgroups.map(Self.json) ?? .null),
            ("lsm", lsm.map(Self.json) ?? .null),
            ("engines", engines.map { .array($0.map(Self.json)) } ?? .null),
            ("images", images.map { .array($0.map(Self.json)) } ?? .null),
            ("network", .object([("namespace", Self.string(networkNamespace)), ("ports", ports.map { .array($0.map(Self.json)) } ?? .null)])),
            ("gpus", gpus.map { .array($0.map(Self.json)) } ?? .null),
            ("unknown", .array(unknown.map { JSONValue.object([("fact", .string($0.fact)), ("reason", .string($0.reason))]) })),
        ]
        return .object(members)
    }

    static func string(_ s: String?) -> JSONValue { s.map(JSONValue.string) ?? .null }
    static func int<T: BinaryInteger>(_ n: T?) -> JSONValue { n.map { JSONValue.int($0) } ?? .null }
    static func bool(_ b: Bool?) -> JSONValue { b.map(JSONValue.bool) ?? .null }
    static func strings(_ list: [String]?) -> JSONValue { list.map { JSONValue.array($0.map(JSONValue.string)) } ?? .null }
    static func hex(_ n: UInt64?) -> JSONValue { n.map { JSONValue.string("0x" + String($0, radix: 16)) } ?? .null }

    static func json(_ c: CPU) -> JSONValue {
        let xsave: JSONValue = .object([("features_mask", hex(c.xfeaturesMask)), ("size", int(c.xsaveSize)), ("size_max", int(c.xsaveSizeMax))])
        let words: JSONValue = c.capabilityWords.map { JSONValue.array($0.map { JSONValue.int($0) }) } ?? .null
        return .object([
            ("vendor", string(c.vendor)), ("family", int(c.family)), ("model", int(c.model)), ("stepping", int(c.stepping)),
            ("model_name", string(c.modelName)), ("flags", strings(c.flags)), ("capability_version", int(c.capabilityVersion)),
            ("capability_words", words), ("xsave", xsave), ("source", string(c.source)),
        ])
    }

    static func json(_ c: CRIU) -> JSONValue {
        .object([("installed", .bool(c.installed)), ("path", string(c.path)), ("version", string(c.version)), ("git_id", string(c.gitID)),
                 ("plugin_directory", string(c.pluginDirectory)), ("plugins", strings(c.plugins))])
    }

    static func json(_ g: Cgroups) -> JSONValue {
        .object([("version", .string(g.version)), ("v1_controllers", strings(g.v1Controllers)), ("v2_mount", string(g.v2Mount)),
                 ("v2_controllers", strings(g.v2Controllers))])
    }

    static func json(_ l: LSM) -> JSONValue {
        let apparmor: JSONValue = .object([("enabled", bool(l.apparmorEnabled)), ("profiles", strings(l.apparmorProfiles))])
        let selinux: JSONValue = .object([("enabled", bool(l.selinuxEnabled)), ("enforcing", bool(l.selinuxEnforcing)), ("policy", string(l.selinuxPolicy))])
        return .object([("active", strings(l.active)), ("criu_type", .string(l.criuType)), ("apparmor", apparmor), ("selinux", selinux)])
    }

    static func json(_ e: Engine) -> JSONValue {
        .object([("name", .string(e.name)), ("path", .string(e.path)), ("version", string(e.version))])
    }

    static func json(_ i: Image) -> JSONValue {
        .object([("engine", .string(i.engine)), ("id", .string(i.id)), ("digests", strings(i.digests)), ("names", strings(i.names)),
                 ("store", .string(i.store))])
    }

    static func json(_ p: Port) -> JSONValue {
        .object([("protocol", .string(p.protocolName)), ("address", .string(p.address)), ("port", .int(p.port))])
    }

    static func json(_ g: GPU) -> JSONValue {
        .object([("vendor", .string(g.vendor)), ("device", .string(g.device)), ("driver", string(g.driver)),
                 ("driver_version", string(g.driverVersion)), ("pci_address", string(g.pciAddress))])
    }

    /// Reads a node file written by `ckpt-inspect host --format json` (or by hand, in the same form).
    ///
    /// Keys the schema does not name are ignored; a value of the wrong type is an error naming its key.
    /// - Throws: ``NodeFactsError`` naming `file` and the key.
    public init(json bytes: [UInt8], file: String) throws(NodeFactsError) {
        let root: JSONTree
        do {
            root = try JSONDecoder().decode(JSONTree.self, from: Data(bytes))
        } catch {
            throw NodeFactsError(file: file, key: "", message: "not valid JSON")
        }
        let r = NodeFactsReader(file: file)
        guard case .object(let doc) = root else { throw r.error("", "expected a JSON object, found \(root.kind)") }
        let schema = try r.string(doc, "schema")
        guard schema == Self.schemaVersion else {
            throw r.error("schema", "is \(schema.map { "\"\($0)\"" } ?? "missing"), expected \"\(Self.schemaVersion)\"")
        }
        self.init()
        hostname = try r.string(doc, "hostname")
        capturedAt = try r.string(doc, "captured_at")
        toolVersion = try r.string(doc, "tool_version")
        architecture = try r.string(doc, "architecture")
        pageSize = try r.int(doc, "page_size")
        if let kernel = try r.object(doc, "kernel") {
            kernelRelease = try r.string(kernel, "release", in: "kernel")
            kernelVersion = try r.string(kernel, "version", in: "kernel")
        }
        euid = try r.int(doc, "euid")
        for (i, item) in try r.objects(doc, "kernel_features").enumerated() {
            let at = "kernel_features[\(i)]"
            guard let name = try r.string(item, "name", in: at) else { throw r.error(at + ".name", "is missing") }
            kernelFeatures.append(KernelFeature(name: name, available: try r.bool(item, "available", in: at),
                                                evidence: try r.string(item, "evidence", in: at) ?? ""))
        }
        if let c = try r.object(doc, "cpu") {
            var cpu = CPU()
            cpu.vendor = try r.string(c, "vendor", in: "cpu")
            cpu.family = try r.int(c, "family", in: "cpu")
            cpu.model = try r.int(c, "model", in: "cpu")
            cpu.stepping = try r.int(c, "stepping", in: "cpu")
            cpu.modelName = try r.string(c, "model_name", in: "cpu")
            cpu.flags = try r.strings(c, "flags", in: "cpu")
            cpu.capabilityVersion = try r.int(c, "capability_version", in: "cpu")
            cpu.capabilityWords = try r.ints(c, "capability_words", in: "cpu")
            if let x = try r.object(c, "xsave", in: "cpu") {
                cpu.xfeaturesMask = try r.hex(x, "features_mask", in: "cpu.xsave")
                cpu.xsaveSize = try r.int(x, "size", in: "cpu.xsave")
                cpu.xsaveSizeMax = try r.int(x, "size_max", in: "cpu.xsave")
            }
            cpu.source = try r.string(c, "source", in: "cpu")
            self.cpu = cpu
        }
        if let c = try r.object(doc, "criu") {
            guard let installed = try r.bool(c, "installed", in: "criu") else { throw r.error("criu.installed", "is missing") }
            criu = CRIU(installed: installed, path: try r.string(c, "path", in: "criu"), version: try r.string(c, "version", in: "criu"),
                        gitID: try r.string(c, "git_id", in: "criu"), pluginDirectory: try r.string(c, "plugin_directory", in: "criu"),
                        plugins: try r.strings(c, "plugins", in: "criu") ?? [])
        }
        if let g = try r.object(doc, "cgroups") {
            guard let version = try r.string(g, "version", in: "cgroups") else { throw r.error("cgroups.version", "is missing") }
            guard ["v1", "v2", "hybrid", "none"].contains(version) else {
                throw r.error("cgroups.version", "is \"\(version)\", expected v1, v2, hybrid or none")
            }
            cgroups = Cgroups(version: version, v1Controllers: try r.strings(g, "v1_controllers", in: "cgroups") ?? [],
                              v2Mount: try r.string(g, "v2_mount", in: "cgroups"), v2Controllers: try r.strings(g, "v2_controllers", in: "cgroups"))
        }
        if let l = try r.object(doc, "lsm") {
            guard let type = try r.string(l, "criu_type", in: "lsm") else { throw r.error("lsm.criu_type", "is missing") }
            var lsm = LSM(active: try r.strings(l, "active", in: "lsm"), criuType: type)
            if let a = try r.object(l, "apparmor", in: "lsm") {
                lsm.apparmorEnabled = try r.bool(a, "enabled", in: "lsm.apparmor")
                lsm.apparmorProfiles = try r.strings(a, "profiles", in: "lsm.apparmor")
            }
            if let s = try r.object(l, "selinux", in: "lsm") {
                lsm.selinuxEnabled = try r.bool(s, "enabled", in: "lsm.selinux")
                lsm.selinuxEnforcing = try r.bool(s, "enforcing", in: "lsm.selinux")
                lsm.selinuxPolicy = try r.string(s, "policy", in: "lsm.selinux")
            }
            self.lsm = lsm
        }
        if r.has(doc, "engines") {
            engines = try r.objects(doc, "engines").enumerated().map { (i, e) throws(NodeFactsError) in
                let at = "engines[\(i)]"
                return Engine(name: try r.required(e, "name", in: at), path: try r.required(e, "path", in: at), version: try r.string(e, "version", in: at))
            }
        }
        if r.has(doc, "images") {
            images = try r.objects(doc, "images").enumerated().map { (i, e) throws(NodeFactsError) in
                let at = "images[\(i)]"
                return Image(engine: try r.required(e, "engine", in: at), id: try r.required(e, "id", in: at),
                             digests: try r.strings(e, "digests", in: at) ?? [], names: try r.strings(e, "names", in: at) ?? [],
                             store: try r.string(e, "store", in: at) ?? "")
            }
        }
        if let n = try r.object(doc, "network") {
            networkNamespace = try r.string(n, "namespace", in: "network")
            if r.has(n, "ports") {
                ports = try r.objects(n, "ports", in: "network").enumerated().map { (i, p) throws(NodeFactsError) in
                    let at = "network.ports[\(i)]"
                    guard let port: UInt32 = try r.int(p, "port", in: at) else { throw r.error(at + ".port", "is missing") }
                    return Port(protocolName: try r.required(p, "protocol", in: at), address: try r.string(p, "address", in: at) ?? "", port: port)
                }
            }
        }
        if r.has(doc, "gpus") {
            gpus = try r.objects(doc, "gpus").enumerated().map { (i, g) throws(NodeFactsError) in
                let at = "gpus[\(i)]"
                return GPU(vendor: try r.required(g, "vendor", in: at), device: try r.required(g, "device", in: at),
                           driver: try r.string(g, "driver", in: at), driverVersion: try r.string(g, "driver_version", in: at),
                           pciAddress: try r.string(g, "pci_address", in: at))
            }
        }
        for (i, u) in try r.objects(doc, "unknown").enumerated() {
            let at = "unknown[\(i)]"
            unknown.append(Unknown(fact: try r.required(u, "fact", in: at), reason: try r.string(u, "reason", in: at) ?? ""))
        }
    }
}

/// A JSON document decoded strictly: booleans are not numbers, integers keep every bit.
enum JSONTree: Decodable {
    case null, bool(Bool), integer(UInt64), negative(Int64), number(Double), string(String), array([JSONTree]), object([String: JSONTree])

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let u = try? c.decode(UInt64.self) { self = .integer(u) }
        else if let i = try? c.decode(Int64.self) { self = .negative(i) }
        else if let d = try? c.decode(Double.self) { self = .number(d) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONTree].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONTree].self)) }
    }

    var kind: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .integer, .negative, .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

/// Typed reads from a ``JSONTree``, with the key path in every error.
struct NodeFactsReader {
    typealias Object = [String: JSONTree]
    let file: String

    func error(_ key: String, _ message: String) -> NodeFactsError { NodeFactsError(file: file, key: key, message: message) }

    func path(_ key: String, _ parent: String?) -> String { parent.map { $0 + "." + key } ?? key }

    /// nil when absent or null.
    func value(_ object: Object, _ key: String) -> JSONTree? {
        guard let v = object[key] else { return nil }
        if case .null = v { return nil }
        return v
    }

    func has(_ object: Object, _ key: String) -> Bool { value(object, key) != nil }

    func string(_ object: Object, _ key: String, in parent: String? = nil) throws(NodeFactsError) -> String? {
        guard let v = value(object, key) else { return nil }
        guard case .string(let s) = v else { throw error(path(key, parent), "expected a string, found \(v.kind)") }
        return s
    }

    func required(_ object: Object, _ key: String, in parent: String? = nil) throws(NodeFactsError) -> String {
        guard let s = try string(object, key, in: parent) else { throw error(path(key, parent), "is missing") }
        return s
    }

    func bool(_ object: Object, _ key: String, in parent: String? = nil) throws(NodeFactsError) -> Bool? {
        guard let v = value(object, key) else { return nil }
        guard case .bool(let b) = v else { throw error(path(key, parent), "expected true or false, found \(v.kind)") }
        return b
    }

    func integer<T: FixedWidthInteger>(_ v: JSONTree, _ at: String) throws(NodeFactsError) -> T {
        guard case .integer(let n) = v else {
            throw error(at, "expected a non-negative integer, found \(v.kind)")
        }
        guard let value = T(exactly: n) else { throw error(at, "\(n) does not fit \(T.bitWidth) bits") }
        return value
    }

    func int<T: FixedWidthInteger>(_ object: Object, _ key: String, in parent: String? = nil) throws(NodeFactsError) -> T? {
        guard let v = value(object, key) else { return nil }
        return try integer(v, path(key, parent))
    }

    func hex(_ object: Object, _ key: String, in parent: String? = nil) throws(NodeFactsError) -> UInt64? {
        guard let s = try string(object, key, in: parent) else { return nil }
        guard s.hasPrefix("0x"), let n = UInt64(s.dropFirst(2), radix: 16) else {
            throw error(path(key, parent), "expected a hex string such as \"0x2e7\", found \"\(s)\"")
        }
        return n
    }

    func object(_ object: Object, _ key: String, in parent: String? = nil) throws(NodeFactsError) -> Object? {
        guard let v = value(object, key) else { return nil }
        guard case .object(let o) = v else { throw error(path(key, parent), "expected an object, found \(v.kind)") }
        return o
    }

    func array(_ object: Object, _ key: String, in parent: String?) throws(NodeFactsError) -> [JSONTree]? {
        guard let v = value(object, key) else { return nil }
        guard case .array(let a) = v else { throw error(path(key, parent), "expected an array, found \(v.kind)") }
        return a
    }

    func strings(_ object: Object, _ key: String, in parent: String? = nil) throws(NodeFactsError) -> [String]? {
        guard let a = try array(object, key, in: parent) else { return nil }
        var out: [String] = []
        for (i, v) in a.enumerated() {
            guard case .string(let s) = v else { throw error(path(key, parent) + "[\(i)]", "expected a string, found \(v.kind)") }
            out.append(s)
        }
        return out
    }

    func ints<T: FixedWidthInteger>(_ object: Object, _ key: String, in parent: String? = nil) throws(NodeFactsError) -> [T]? {
        guard let a = try array(object, key, in: parent) else { return nil }
        var out: [T] = []
        for (i, v) in a.enumerated() { out.append(try integer(v, path(key, parent) + "[\(i)]")) }
        return out
    }

    /// An array of objects; empty when absent or null.
    func objects(_ object: Object, _ key: String, in parent: String? = nil) throws(NodeFactsError) -> [Object] {
        guard let a = try array(object, key, in: parent) else { return [] }
        var out: [Object] = []
        for (i, v) in a.enumerated() {
            guard case .object(let o) = v else { throw error(path(key, parent) + "[\(i)]", "expected an object, found \(v.kind)") }
            out.append(o)
        }
        return out
    }
}
