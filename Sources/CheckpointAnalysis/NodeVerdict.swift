/// Whether one machine can restore a checkpoint, and why not (`verify --target NODE.json`).
public struct NodeVerdict: Sendable {
    /// The machine's name (its host name, or what the node file was called).
    public var name: String
    /// The node file it was read from; nil for this machine.
    public var file: String?
    /// The machine's facts.
    public var node: NodeFacts
    /// The comparison: facts, `host.*` findings, checks.
    public var report: HostReport
    /// The checkpoint itself has errors (damaged images): no machine can restore it.
    public var checkpointDamaged: Bool

    /// A verdict on `report`.
    public init(name: String, file: String?, node: NodeFacts, report: HostReport, checkpointDamaged: Bool) {
        self.name = name
        self.file = file
        self.node = node
        self.report = report
        self.checkpointDamaged = checkpointDamaged
    }

    /// The findings that stop a restore on this machine (severity ``Severity/error``).
    public var blocking: [Finding] { report.findings.filter { $0.severity == .error } }
    /// Risks that do not stop CRIU.
    public var warnings: [Finding] { report.findings.filter { $0.severity == .warning } }
    /// Notes, `host.unknown` included.
    public var infos: [Finding] { report.findings.filter { $0.severity == .info } }
    /// What could not be compared (`host.unknown`).
    public var unknowns: [Finding] { report.findings.filter { $0.id == "host.unknown" } }
    /// No blocking finding, and the checkpoint is not damaged.
    public var canRestore: Bool { !checkpointDamaged && blocking.isEmpty }
}
